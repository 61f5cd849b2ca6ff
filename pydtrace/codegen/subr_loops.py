"""bpf_loop callbacks shared by the string subroutines.

Every string subroutine first copies its string arguments into per-CPU scratch
slots, so a callback only ever reads ``state + offset + i`` with the offset and
``i`` bounded: the verifier checks each callback once per call site instead of
unrolling a strsize-long loop, which keeps clauses with hundreds of string
operations loadable.

A callback is ``long cb(u64 i, ctx *r2)``; ``ctx`` lives on the clause's stack::

    0 state ptr | 8 A (offset of string a) | 16 B (offset of b) | 24 OUT
    32 X1 | 40 X2 | 48 X3 | 56 X4 | 64 X5 | 72 X6 | 80 X7

Callbacks are written on machine registers (no allocation): R1 = i, R2 = ctx.
Callbacks that carry a state from one iteration to the next (strtok, cleanpath)
keep it in scratch at offset X7 (R9 points there), not in ``ctx``: the verifier
knows stack values exactly, so it would walk every iteration, while values it
loads from a map are unknown and its states converge after a few iterations.
"""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item, Label

R0, R1, R2, R3, R4, R5, R6, R7, R8, R9 = range(10)
CTX_STATE, CTX_A, CTX_B, CTX_OUT, CTX_X1, CTX_X2, CTX_X3, CTX_X4, CTX_X5, CTX_X6, CTX_X7 = \
    range(0, 88, 8)
CTX_SIZE = 88
TOKMAP_SIZE = 32  # strtok's delimiter bitmap (256 bits)
NTOP_BUF = 64  # inet_ntoa6/inet_ntop build their text here (longest is 45 + NUL)


class CB:
    """A tiny assembler for one callback."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[Item] = [Label(label)]
        self.n = 0

    def lbl(self, hint: str) -> str:
        self.n += 1
        return f"{self.label}.{hint}{self.n}"

    def e(self, *insns) -> None:
        self.items.extend(insns)

    def at(self, name: str) -> None:
        self.items.append(Label(name))

    def ret(self, value: int) -> None:
        self.e(I.mov64_imm(R0, value), I.exit_insn())

    def ptr(self, dst: int, field: int, limit: int, stop: str) -> None:
        """dst = state + ctx[field] (offset checked against ``limit``)."""
        self.e(I.ldx(O.DW, dst, R2, CTX_STATE), I.ldx(O.DW, R0, R2, field),
               I.jmp_imm(O.JGT, R0, limit, stop), I.alu64_reg(O.ADD, dst, R0))


def bounded_index(cb: CB, strsize: int, stop: str) -> None:
    cb.e(I.jmp_imm(O.JGE, R1, strsize, stop))


def cb_chr(label: str, strsize: int, limit: int, last: bool) -> list[Item]:
    """OUT = index of the first (last) byte == X1 in string A (NUL included)."""
    cb = CB(label)
    stop, miss = cb.lbl("stop"), cb.lbl("miss")
    bounded_index(cb, strsize, stop)
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R1), I.ldx(O.B, R4, R3, 0), I.ldx(O.DW, R5, R2, CTX_X1),
         I.jmp_reg(O.JNE, R4, R5, miss), I.stx(O.DW, R2, CTX_OUT, R1))
    if not last:
        cb.ret(1)
    cb.at(miss)
    cb.e(I.jmp_imm(O.JEQ, R4, 0, stop))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_search(label: str, strsize: int, limit: int, last: bool) -> list[Item]:
    """Does B (length X2) occur in A at start X1 + i (i = the loop index)? Starts
    beyond X4 (signed) stop the loop; OUT = the first (last) matching start.
    Nothing is carried between iterations, so the verifier's states converge;
    the comparison is unrolled eight bytes at a time."""
    cb = CB(label)
    stop, match, miss = cb.lbl("stop"), cb.lbl("match"), cb.lbl("miss")
    bounded_index(cb, strsize, stop)
    cb.e(I.ldx(O.DW, R6, R2, CTX_X1), I.alu64_reg(O.ADD, R6, R1),
         I.ldx(O.DW, R7, R2, CTX_X4), I.jmp_reg(O.JSGT, R6, R7, stop),
         I.jmp_imm(O.JSLT, R6, 0, stop), I.jmp_imm(O.JGE, R6, strsize, stop),
         I.ldx(O.DW, R5, R2, CTX_X2))
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R6))
    cb.ptr(R4, CTX_B, limit, stop)
    for w in range(0, strsize, 8):
        full = cb.lbl("full")
        cb.e(I.jmp_imm(O.JLE, R5, w, match),
             I.ldx(O.DW, R7, R4, w), I.ldx(O.DW, R8, R3, w), I.alu64_reg(O.XOR, R7, R8),
             I.mov64(R0, R5), I.add64_imm(R0, -w), I.jmp_imm(O.JGE, R0, 8, full),
             I.alu64_imm(O.LSH, R0, 3), I.mov64_imm(R8, 1), I.alu64_reg(O.LSH, R8, R0),
             I.add64_imm(R8, -1), I.alu64_reg(O.AND, R7, R8))
        cb.at(full)
        cb.e(I.jmp_imm(O.JNE, R7, 0, miss))
    cb.at(match)
    cb.e(I.stx(O.DW, R2, CTX_OUT, R6))
    if not last:
        cb.ret(1)
    cb.at(miss)
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_case(label: str, strsize: int, limit: int, upper: bool) -> list[Item]:
    """Converts string A in place to upper (lower) case."""
    cb = CB(label)
    stop, keep = cb.lbl("stop"), cb.lbl("keep")
    bounded_index(cb, strsize, stop)
    cb.ptr(R3, CTX_A, limit, stop)
    lo, hi = (ord("a"), ord("z")) if upper else (ord("A"), ord("Z"))
    cb.e(I.alu64_reg(O.ADD, R3, R1), I.ldx(O.B, R4, R3, 0), I.jmp_imm(O.JEQ, R4, 0, stop),
         I.jmp_imm(O.JLT, R4, lo, keep), I.jmp_imm(O.JGT, R4, hi, keep),
         I.alu64_imm(O.XOR, R4, 0x20), I.stx(O.B, R3, 0, R4))
    cb.at(keep)
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_path(label: str, strsize: int, limit: int) -> list[Item]:
    """For basename/dirname of A: X1 = last non-slash index, X2 = start of the
    last component, X3 = end of the component before it (all -1 if none)."""
    cb = CB(label)
    stop, notstart, cont = cb.lbl("stop"), cb.lbl("ns"), cb.lbl("c")
    bounded_index(cb, strsize, stop)
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R1), I.ldx(O.B, R4, R3, 0), I.jmp_imm(O.JEQ, R4, 0, stop),
         I.jmp_imm(O.JEQ, R4, ord("/"), cont))
    start = cb.lbl("st")
    cb.e(I.jmp_imm(O.JEQ, R1, 0, start), I.ldx(O.B, R5, R3, -1),
         I.jmp_imm(O.JNE, R5, ord("/"), notstart))
    cb.at(start)
    cb.e(I.ldx(O.DW, R5, R2, CTX_X1), I.stx(O.DW, R2, CTX_X3, R5), I.stx(O.DW, R2, CTX_X2, R1))
    cb.at(notstart)
    cb.e(I.stx(O.DW, R2, CTX_X1, R1))
    cb.at(cont)
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_digits(label: str, limit: int) -> list[Item]:
    """One digit of X1 (unsigned) in base X2, written at A + 70 - i; X3 = the
    position before the digits written so far."""
    cb = CB(label)
    stop, low = cb.lbl("stop"), cb.lbl("low")
    cb.e(I.ldx(O.DW, R6, R2, CTX_X1), I.ldx(O.DW, R7, R2, CTX_X2),
         I.jmp_imm(O.JGE, R1, 70, stop), I.mov64_imm(R8, 70), I.alu64_reg(O.SUB, R8, R1),
         I.jmp_imm(O.JEQ, R7, 0, stop))
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R8), I.mov64(R4, R6), I.alu64_reg(O.MOD, R4, R7),
         I.alu64_reg(O.DIV, R6, R7), I.add64_imm(R4, ord("0")),
         I.jmp_imm(O.JLE, R4, ord("9"), low), I.add64_imm(R4, ord("a") - ord("9") - 1))
    cb.at(low)
    cb.e(I.stx(O.B, R3, 0, R4), I.add64_imm(R8, -1), I.stx(O.DW, R2, CTX_X3, R8),
         I.stx(O.DW, R2, CTX_X1, R6), I.jmp_imm(O.JEQ, R6, 0, stop))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


CHILL_READS = 32


def cb_chill(label: str) -> list[Item]:
    """Spins until ktime_get_ns() >= X1 (several clock reads per iteration: the
    loop's iteration limit alone would end a long chill() early)."""
    from pydtrace.bpf import helpers as H

    cb = CB(label)
    stop = cb.lbl("stop")
    cb.e(I.mov64(R6, R2))
    for _ in range(CHILL_READS):
        cb.e(I.call_helper(H.KTIME_GET_NS), I.ldx(O.DW, R1, R6, CTX_X1),
             I.jmp_reg(O.JGE, R0, R1, stop))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_progeny(label: str, parent_off: int, tgid_off: int) -> list[Item]:
    """X1 = task; OUT = 1 when a task up the real_parent chain has tgid X2."""
    from pydtrace.bpf import helpers as H

    cb = CB(label)
    stop, found = cb.lbl("stop"), cb.lbl("found")
    cb.e(I.mov64(R6, R2), I.ldx(O.DW, R7, R6, CTX_X1), I.jmp_imm(O.JEQ, R7, 0, stop),
         # tgid
         I.mov64(R1, R6), I.add64_imm(R1, CTX_X3), I.mov64_imm(R2, 4),
         I.mov64(R3, R7), I.add64_imm(R3, tgid_off), I.call_helper(H.PROBE_READ_KERNEL),
         I.ldx(O.W, R4, R6, CTX_X3), I.ldx(O.DW, R5, R6, CTX_X2),
         I.jmp_reg(O.JEQ, R4, R5, found),
         # parent
         I.mov64(R1, R6), I.add64_imm(R1, CTX_X3), I.mov64_imm(R2, 8),
         I.mov64(R3, R7), I.add64_imm(R3, parent_off), I.call_helper(H.PROBE_READ_KERNEL),
         I.ldx(O.DW, R4, R6, CTX_X3), I.jmp_reg(O.JEQ, R4, R7, stop),
         I.stx(O.DW, R6, CTX_X1, R4))
    cb.ret(0)
    cb.at(found)
    cb.e(I.st_imm(O.DW, R6, CTX_OUT, 1))
    cb.at(stop)
    cb.ret(1)
    return cb.items


def tokmap_bit(cb: CB, dst: int, char: int, limit: int, stop: str) -> None:
    """dst = bit ``char`` of the delimiter bitmap B (R5 = the bitmap byte's address)."""
    cb.ptr(R5, CTX_B, limit - TOKMAP_SIZE, stop)
    cb.e(I.mov64(dst, char), I.alu64_imm(O.RSH, dst, 3), I.alu64_reg(O.ADD, R5, dst),
         I.ldx(O.B, dst, R5, 0), I.mov64(R8, char), I.alu64_imm(O.AND, R8, 7),
         I.alu64_reg(O.RSH, dst, R8), I.alu64_imm(O.AND, dst, 1))


def cb_tokmap(label: str, strsize: int, limit: int) -> list[Item]:
    """Sets bit c of the 256-bit map B for each byte c of string A (strtok)."""
    cb = CB(label)
    stop = cb.lbl("stop")
    bounded_index(cb, strsize, stop)
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R1), I.ldx(O.B, R4, R3, 0), I.jmp_imm(O.JEQ, R4, 0, stop))
    cb.ptr(R5, CTX_B, limit - TOKMAP_SIZE, stop)
    cb.e(I.mov64(R7, R4), I.alu64_imm(O.RSH, R7, 3), I.alu64_reg(O.ADD, R5, R7),
         I.ldx(O.B, R6, R5, 0), I.mov64(R8, R4), I.alu64_imm(O.AND, R8, 7),
         I.mov64_imm(R0, 1), I.alu64_reg(O.LSH, R0, R8), I.alu64_reg(O.OR, R6, R0),
         I.stx(O.B, R5, 0, R6))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_strtok(label: str, strsize: int, limit: int) -> list[Item]:
    """Scans string A from X1: phase X3 = 0 skips delimiters (bitmap B), then the
    token starts (X2 = its index, X3 = 1) and runs to the next delimiter or NUL;
    X1 ends at the byte that stopped it."""
    cb = CB(label)
    stop, tok, cont = cb.lbl("stop"), cb.lbl("tok"), cb.lbl("cont")
    cb.ptr(R9, CTX_X7, limit - 32, stop)
    cb.e(I.ldx(O.DW, R6, R9, 0), I.jmp_imm(O.JGE, R6, strsize, stop))
    cb.ptr(R3, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R6), I.ldx(O.B, R4, R3, 0), I.jmp_imm(O.JEQ, R4, 0, stop))
    tokmap_bit(cb, R7, R4, limit, stop)
    cb.e(I.ldx(O.DW, R0, R9, 16), I.jmp_imm(O.JNE, R0, 0, tok),
         I.jmp_imm(O.JNE, R7, 0, cont), I.stx(O.DW, R9, 8, R6),
         I.st_imm(O.DW, R9, 16, 1), I.ja(cont))
    cb.at(tok)
    cb.e(I.jmp_imm(O.JNE, R7, 0, stop))
    cb.at(cont)
    cb.e(I.add64_imm(R6, 1), I.stx(O.DW, R9, 0, R6))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_cleanpath(label: str, strsize: int, limit: int) -> list[Item]:
    """illumos' cleanpath state machine, one input byte (or one step of backing
    up over the output) per iteration. A = input, B = output, X1 = input index,
    X2 = output index, X3 = state (0 plain, 1 after "/", 2 after "/.", 3 after
    "/..", 4 backing up to the previous "/"), X4 = the "/.." ended the input."""
    cb = CB(label)
    stop, fin = cb.lbl("stop"), cb.lbl("fin")
    st1, st2, st3, back, notback, load = (cb.lbl(h) for h in ("s1", "s2", "s3", "bk", "nb",
                                                               "ld"))
    w1, w2, w3, save = cb.lbl("w1"), cb.lbl("w2"), cb.lbl("w3"), cb.lbl("sv")
    full = strsize - 6  # the output index must stay <= this (j + 5 < strsize)
    cb.ptr(R9, CTX_X7, limit - 32, stop)
    # R6 = i, R7 = j, R8 = state, R3 = &out[0], R4 = c
    cb.e(I.ldx(O.DW, R6, R9, 0), I.ldx(O.DW, R7, R9, 8),
         I.ldx(O.DW, R8, R9, 16))
    cb.e(I.jmp_imm(O.JGT, R7, full, fin) if full >= 0 else I.ja(fin))
    cb.ptr(R3, CTX_B, limit, stop)
    cb.e(I.jmp_imm(O.JNE, R8, 4, notback))
    # backing up: while (j != 0 && out[--j] != '/')
    cb.at(back)
    done_back = cb.lbl("bd")
    cb.e(I.jmp_imm(O.JEQ, R7, 0, done_back), I.add64_imm(R7, -1),
         I.mov64(R5, R3), I.alu64_reg(O.ADD, R5, R7), I.ldx(O.B, R4, R5, 0),
         I.jmp_imm(O.JEQ, R4, ord("/"), done_back), I.ja(save))
    cb.at(done_back)
    cb.e(I.mov64_imm(R8, 0), I.ldx(O.DW, R0, R9, 24), I.jmp_imm(O.JEQ, R0, 0, save),
         I.add64_imm(R7, 1), I.ja(fin))
    cb.at(notback)
    cb.e(I.jmp_imm(O.JGE, R6, strsize, fin))
    cb.ptr(R5, CTX_A, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R5, R6), I.ldx(O.B, R4, R5, 0), I.add64_imm(R6, 1),
         I.mov64(R5, R3), I.alu64_reg(O.ADD, R5, R7),  # R5 = &out[j]
         I.jmp_imm(O.JEQ, R8, 1, st1), I.jmp_imm(O.JEQ, R8, 2, st2),
         I.jmp_imm(O.JEQ, R8, 3, st3))
    # state 0
    cb.e(I.jmp_imm(O.JEQ, R4, ord("/"), load))
    cb.e(I.stx(O.B, R5, 0, R4), I.add64_imm(R7, 1), I.jmp_imm(O.JEQ, R4, 0, fin), I.ja(save))
    cb.at(load)  # a "/" starts a component
    cb.e(I.mov64_imm(R8, 1), I.ja(save))
    cb.at(st1)
    cb.e(I.jmp_imm(O.JEQ, R4, ord("/"), save), I.mov64_imm(R8, 2),
         I.jmp_imm(O.JEQ, R4, ord("."), save))
    cb.at(w1)  # "/" c
    cb.e(I.st_imm(O.B, R5, 0, ord("/")), I.stx(O.B, R5, 1, R4), I.add64_imm(R7, 2),
         I.mov64_imm(R8, 0), I.jmp_imm(O.JEQ, R4, 0, fin), I.ja(save))
    cb.at(st2)
    cb.e(I.mov64_imm(R8, 1), I.jmp_imm(O.JEQ, R4, ord("/"), save), I.mov64_imm(R8, 3),
         I.jmp_imm(O.JEQ, R4, ord("."), save))
    cb.at(w2)  # "/." c
    cb.e(I.st_imm(O.B, R5, 0, ord("/")), I.st_imm(O.B, R5, 1, ord(".")),
         I.stx(O.B, R5, 2, R4), I.add64_imm(R7, 3), I.mov64_imm(R8, 0),
         I.jmp_imm(O.JEQ, R4, 0, fin), I.ja(save))
    cb.at(st3)
    cb.e(I.jmp_imm(O.JEQ, R4, ord("/"), w3), I.jmp_imm(O.JEQ, R4, 0, w3))
    cb.e(I.st_imm(O.B, R5, 0, ord("/")), I.st_imm(O.B, R5, 1, ord(".")),
         I.st_imm(O.B, R5, 2, ord(".")), I.stx(O.B, R5, 3, R4), I.add64_imm(R7, 4),
         I.mov64_imm(R8, 0), I.ja(save))
    cb.at(w3)  # "/../" or "/..\0": back up (the "/" is read again afterwards)
    cb.e(I.add64_imm(R6, -1), I.mov64_imm(R8, 4), I.mov64_imm(R0, 0),
         I.jmp_imm(O.JNE, R4, 0, (nz := cb.lbl("nz"))), I.mov64_imm(R0, 1))
    cb.at(nz)
    cb.e(I.stx(O.DW, R9, 24, R0))
    cb.at(save)
    cb.e(I.stx(O.DW, R9, 0, R6), I.stx(O.DW, R9, 8, R7),
         I.stx(O.DW, R9, 16, R8))
    cb.ret(0)
    cb.at(fin)  # out[j] = 0
    cb.e(I.jmp_imm(O.JLT, R7, strsize, (ok := cb.lbl("ok"))), I.mov64_imm(R7, strsize - 1))
    cb.at(ok)
    cb.ptr(R3, CTX_B, limit, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R7), I.st_imm(O.B, R3, 0, 0))
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_zrun(label: str, limit: int) -> list[Item]:
    """illumos' search for the longest run of zero 16-bit groups in the 16 bytes
    at A: X1 = the run being tried, X2 = firstzero, X3 = numzero; i = byte index."""
    cb = CB(label)
    stop, done, trying = cb.lbl("stop"), cb.lbl("done"), cb.lbl("try")
    cb.e(I.jmp_imm(O.JGE, R1, 16, stop))
    cb.ptr(R3, CTX_A, limit - 16, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R1), I.ldx(O.B, R4, R3, 0), I.ldx(O.DW, R6, R2, CTX_X1),
         I.jmp_imm(O.JNE, R4, 0, trying), I.jmp_imm(O.JNE, R6, -1, trying),
         I.mov64(R0, R1), I.alu64_imm(O.AND, R0, 1), I.jmp_imm(O.JNE, R0, 0, trying),
         I.stx(O.DW, R2, CTX_X1, R1), I.ja(done))
    cb.at(trying)
    reset, take = cb.lbl("reset"), cb.lbl("take")
    cb.e(I.jmp_imm(O.JEQ, R6, -1, done), I.jmp_imm(O.JNE, R4, 0, take),
         I.jmp_imm(O.JNE, R1, 15, done))
    cb.at(take)
    cb.e(I.mov64(R0, R1), I.alu64_reg(O.SUB, R0, R6), I.ldx(O.DW, R7, R2, CTX_X3),
         I.jmp_reg(O.JSLE, R0, R7, reset),
         I.stx(O.DW, R2, CTX_X2, R6), I.mov64(R7, R1), I.mov64(R0, R1),
         I.alu64_imm(O.AND, R0, 1), I.alu64_reg(O.SUB, R7, R0), I.alu64_reg(O.SUB, R7, R6),
         I.jmp_imm(O.JNE, R4, 0, (st := cb.lbl("st"))), I.jmp_imm(O.JNE, R1, 15, st),
         I.add64_imm(R7, 2))
    cb.at(st)
    cb.e(I.stx(O.DW, R2, CTX_X3, R7))
    cb.at(reset)
    cb.e(I.st_imm(O.DW, R2, CTX_X1, -1))
    cb.at(done)
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items


def cb_ntoa6(label: str, limit: int) -> list[Item]:
    """Writes one item of an IPv6 address's text at A + X2 (the bytes are at B):
    item 0-7: that group in hex; item 12-15: that byte of an embedded IPv4 address.
    X3 = the group where "::" goes (-1: none), X4 = the group after the run,
    X5 = the group followed by no ":" (the one before "::"), X6 = the last
    group, OUT = 1 when an embedded IPv4 address follows it. The item and the
    text position live in scratch at X7 (+0, +8)."""
    cb = CB(label)
    stop, v4, after, store = cb.lbl("stop"), cb.lbl("v4"), cb.lbl("after"), cb.lbl("store")
    room = NTOP_BUF - 8
    cb.ptr(R9, CTX_X7, limit - 16, stop)
    cb.e(I.ldx(O.DW, R6, R9, 0), I.ldx(O.DW, R7, R9, 8),
         I.jmp_imm(O.JGT, R7, room, stop), I.jmp_imm(O.JGT, R6, 15, stop))
    cb.ptr(R3, CTX_A, limit - NTOP_BUF, stop)
    cb.e(I.alu64_reg(O.ADD, R3, R7))  # R3 = &out[pos]
    cb.ptr(R4, CTX_B, limit - 16, stop)
    cb.e(I.jmp_imm(O.JGE, R6, 12, v4), I.ldx(O.DW, R0, R2, CTX_X6),
         I.jmp_reg(O.JSGT, R6, R0, after),
         I.ldx(O.DW, R0, R2, CTX_X3), I.jmp_reg(O.JNE, R6, R0, (grp := cb.lbl("grp"))),
         I.st_imm(O.B, R3, 0, ord(":")), I.st_imm(O.B, R3, 1, ord(":")), I.add64_imm(R7, 2),
         I.ldx(O.DW, R6, R2, CTX_X4), I.ja(store))
    cb.at(grp)
    cb.e(I.mov64(R5, R6), I.alu64_imm(O.LSH, R5, 1), I.alu64_reg(O.ADD, R4, R5),
         I.ldx(O.B, R5, R4, 0), I.alu64_imm(O.LSH, R5, 8), I.ldx(O.B, R0, R4, 1),
         I.alu64_reg(O.OR, R5, R0))  # R5 = the group's value
    # hex digits without leading zeros; R8 = digits written
    cb.e(I.mov64_imm(R8, 0))
    for shift in (12, 8, 4, 0):
        skip, low = cb.lbl("sk"), cb.lbl("lo")
        cb.e(I.mov64(R0, R5), I.alu64_imm(O.RSH, R0, shift), I.alu64_imm(O.AND, R0, 15))
        if shift:
            cb.e(I.mov64(R1, R0), I.alu64_reg(O.OR, R1, R8), I.jmp_imm(O.JEQ, R1, 0, skip))
        cb.e(I.add64_imm(R0, ord("0")), I.jmp_imm(O.JLE, R0, ord("9"), low),
             I.add64_imm(R0, ord("a") - ord("9") - 1))
        cb.at(low)
        cb.e(I.jmp_imm(O.JGT, R8, 3, stop), I.mov64(R1, R3), I.alu64_reg(O.ADD, R1, R8),
             I.stx(O.B, R1, 0, R0), I.add64_imm(R8, 1))
        cb.at(skip)
    cb.e(I.alu64_reg(O.ADD, R7, R8), I.alu64_reg(O.ADD, R3, R8),
         I.jmp_imm(O.JGE, R6, 7, (nocolon := cb.lbl("nc"))), I.mov64(R0, R6),
         I.add64_imm(R0, 1), I.ldx(O.DW, R1, R2, CTX_X5), I.jmp_reg(O.JEQ, R0, R1, nocolon),
         I.st_imm(O.B, R3, 0, ord(":")), I.add64_imm(R7, 1))
    cb.at(nocolon)
    cb.e(I.add64_imm(R6, 1), I.ja(store))
    cb.at(after)  # past the last group: the IPv4 part, if any
    cb.e(I.ldx(O.DW, R0, R2, CTX_OUT), I.jmp_imm(O.JEQ, R0, 0, stop), I.mov64_imm(R6, 12),
         I.ja(store))
    cb.at(v4)  # a byte in decimal, then "." unless it is the last
    cb.e(I.alu64_reg(O.ADD, R4, R6),
         I.ldx(O.B, R5, R4, 0), I.mov64_imm(R8, 0))
    for div in (100, 10, 1):
        skip = cb.lbl("dk")
        cb.e(I.mov64(R0, R5), I.alu64_imm(O.DIV, R0, div), I.alu64_imm(O.MOD, R0, 10))
        if div > 1:
            cb.e(I.mov64(R1, R0), I.alu64_reg(O.OR, R1, R8), I.jmp_imm(O.JEQ, R1, 0, skip))
        cb.e(I.add64_imm(R0, ord("0")), I.jmp_imm(O.JGT, R8, 3, stop), I.mov64(R1, R3),
             I.alu64_reg(O.ADD, R1, R8), I.stx(O.B, R1, 0, R0), I.add64_imm(R8, 1))
        cb.at(skip)
    cb.e(I.alu64_reg(O.ADD, R7, R8), I.alu64_reg(O.ADD, R3, R8),
         I.jmp_imm(O.JGE, R6, 15, (last := cb.lbl("last"))),
         I.st_imm(O.B, R3, 0, ord(".")), I.add64_imm(R7, 1))
    cb.at(last)
    cb.e(I.add64_imm(R6, 1))
    cb.at(store)
    cb.e(I.stx(O.DW, R9, 0, R6), I.stx(O.DW, R9, 8, R7))
    cb.ret(0)
    cb.at(stop)
    cb.ret(1)
    return cb.items
