"""bpf_loop callbacks shared by the string subroutines.

Every string subroutine first copies its string arguments into per-CPU scratch
slots, so a callback only ever reads ``state + offset + i`` with the offset and
``i`` bounded: the verifier checks each callback once per call site instead of
unrolling a strsize-long loop, which keeps clauses with hundreds of string
operations loadable.

A callback is ``long cb(u64 i, ctx *r2)``; ``ctx`` lives on the clause's stack::

    0 state ptr | 8 A (offset of string a) | 16 B (offset of b) | 24 OUT
    32 X1 | 40 X2 | 48 X3 | 56 X4

Callbacks are written on machine registers (no allocation): R1 = i, R2 = ctx.
"""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item, Label

R0, R1, R2, R3, R4, R5, R6, R7, R8 = range(9)
CTX_STATE, CTX_A, CTX_B, CTX_OUT, CTX_X1, CTX_X2, CTX_X3, CTX_X4 = range(0, 64, 8)
CTX_SIZE = 64


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


def cb_chill(label: str) -> list[Item]:
    """Spins until ktime_get_ns() >= X1."""
    from pydtrace.bpf import helpers as H

    cb = CB(label)
    stop = cb.lbl("stop")
    cb.e(I.mov64(R6, R2), I.call_helper(H.KTIME_GET_NS), I.ldx(O.DW, R1, R6, CTX_X1),
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
