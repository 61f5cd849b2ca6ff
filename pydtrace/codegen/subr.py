"""Lowering of subroutine calls (``strlen``, ``copyin``, ``htons`` ...).

Integer-valued subroutines return a vreg holding the value; string-valued ones
a vreg pointing at a per-CPU scratch slot (``string_call``). String arguments
are first copied into scratch slots (one ``probe_read_kernel_str``), and loops
run as ``bpf_loop`` callbacks (``codegen.subr_loops``) on ``state + offset``
addresses, so the verifier sees small, bounded code whatever strsize is.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import STATE_TS
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

FAULT_BADADDR, FAULT_ILLOP, FAULT_NOSCRATCH = 1, 3, 5
SIGSTOP = 19
CHILL_MAX_NS = 500_000_000  # per CHILL_INTERVAL_NS window per CPU (illumos)
CHILL_INTERVAL_NS = 1_000_000_000
PROGENY_DEPTH = 64


def unsupported(n: A.Node, name: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", f"subroutine {name}( ) is not supported yet",
                         n.line or None)


# ---------------------------------------------------------------- clause hooks


def statement_done(g: ClauseGen, stmt: A.Stmt) -> None:
    """Scratch temporaries die at the end of each statement (values that must live
    longer, like alloca/copyin results, pin their slots)."""
    g.scratch_release()


def callback_items(g: ClauseGen) -> list:
    """The bpf_loop callbacks this clause uses, appended after its code."""
    cbs = g.subr_callbacks
    if not cbs:
        return []
    limit = scratch_end(g)
    out: list = []
    for label, (kind, arg) in cbs.items():
        if kind == "chr":
            out += L.cb_chr(label, g.strsize, limit, arg)
        elif kind == "search":
            out += L.cb_search(label, g.strsize, limit, arg)
        elif kind == "case":
            out += L.cb_case(label, g.strsize, limit, arg)
        elif kind == "path":
            out += L.cb_path(label, g.strsize, limit)
        elif kind == "digits":
            out += L.cb_digits(label, limit)
        elif kind == "chill":
            out += L.cb_chill(label)
        elif kind == "progeny":
            out += L.cb_progeny(label, *arg)
        elif kind == "tokmap":
            out += L.cb_tokmap(label, g.strsize, limit)
        elif kind == "strtok":
            out += L.cb_strtok(label, g.strsize, limit)
        elif kind == "cleanpath":
            out += L.cb_cleanpath(label, g.strsize, limit)
        elif kind == "zrun":
            out += L.cb_zrun(label, limit)
        elif kind == "ntoa6":
            out += L.cb_ntoa6(label, limit)
    return out


def scratch_end(g: ClauseGen) -> int:
    from pydtrace.codegen.layout import STATE_SCRATCH

    return STATE_SCRATCH + g.an.symbols.this_size + g.scratch_next * g.slot_size


# ---------------------------------------------------------------- building blocks


def ctx(g: ClauseGen) -> int:
    """The stack offset of the clause's (single, reused) bpf_loop context."""
    off = g.subr_ctx
    if off is None:
        off = g.em.stack_alloc(L.CTX_SIZE)
        g.subr_ctx = off
    return off


def ctx_set(g: ClauseGen, field: int, value: int | tuple) -> None:
    base = ctx(g)
    if isinstance(value, tuple):
        g.em.emit(I.st_imm(O.DW, O.R10, base + field, value[1]))
    else:
        g.em.emit(I.stx(O.DW, O.R10, base + field, value))


def ctx_get(g: ClauseGen, field: int) -> int:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, O.R10, ctx(g) + field))
    return reg


def run_loop(g: ClauseGen, kind: str, arg, count: int) -> None:
    """bpf_loop(count, callback, &ctx, 0); the context's state pointer is set here."""
    cbs = g.subr_callbacks
    label = f"{g.em.prefix}.cb_{kind}_{arg}".replace("(", "").replace(")", "") \
        .replace(", ", "_").replace(" ", "")
    cbs.setdefault(label, (kind, arg))
    ctx_set(g, L.CTX_STATE, STATE_REG)
    g.em.emit(I.ld_func(O.R2, label))
    g.em.call_void(H.LOOP, [("imm", count), None, ("fp", ctx(g)), ("imm", 0)])


def slot_ptr(g: ClauseGen, off: int) -> int:
    reg = g.em.copy(STATE_REG)
    g.em.emit(I.add64_imm(reg, off))
    return reg


def clamp(g: ClauseGen, reg: int, lo: int, hi: int) -> None:
    """Signed clamp of ``reg`` into [lo, hi] (also tells the verifier)."""
    em = g.em
    a, b = em.new_label("cl"), em.new_label("ch")
    em.emit(I.jmp_imm(O.JSGE, reg, lo, a))
    em.emit(I.mov64_imm(reg, lo))
    em.label(a)
    em.emit(I.jmp_imm(O.JSLE, reg, hi, b))
    em.emit(I.mov64_imm(reg, hi))
    em.label(b)


def str_input(g: ClauseGen, node: A.Expr) -> tuple[int, int]:
    """Copies a string argument into a fresh scratch slot: (offset, length vreg)."""
    from pydtrace.codegen.strings import string_ptr

    ptr = string_ptr(g, node)
    off = g.scratch_slot()
    n = g.em.call(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, off), ("imm", g.strsize), ptr])
    g.em.emit(I.add64_imm(n, -1))
    clamp(g, n, 0, g.strsize - 1)
    return off, n


def result_literal(g: ClauseGen, off: int, text: bytes) -> None:
    from pydtrace.codegen.strings import store_literal

    store_literal(g, STATE_REG, off, text, len(text) + 1)


def copy_range(g: ClauseGen, dst: int, src_off: int, start: int, count: int) -> None:
    """dst slot = src[start : start + count] (start in [0, strsize-1], count >= 0)."""
    em = g.em
    clamp(g, start, 0, g.strsize - 1)
    size = em.copy(count)
    em.emit(I.add64_imm(size, 1))
    clamp(g, size, 1, g.strsize)
    src = slot_ptr(g, src_off)
    em.emit(I.alu64_reg(O.ADD, src, start))
    em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), size, src])


def suffix(g: ClauseGen, src_off: int, idx: int) -> tuple[int, int]:
    """Result slot holding src[idx:] ("" when idx < 0); (offset, found vreg)."""
    em = g.em
    dst = g.scratch_slot()
    miss, done = em.new_label("sfx0"), em.new_label("sfx")
    em.emit(I.jmp_imm(O.JSLT, idx, 0, miss))
    em.emit(I.jmp_imm(O.JSGE, idx, g.strsize, miss))
    src = slot_ptr(g, src_off)
    em.emit(I.alu64_reg(O.ADD, src, idx))
    em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize), src])
    em.emit(I.ja(done))
    em.label(miss)
    em.emit(I.st_imm(O.B, STATE_REG, dst, 0))
    em.label(done)
    found = em.copy(idx)
    em.emit(I.alu64_imm(O.RSH, found, 63))
    em.emit(I.alu64_imm(O.XOR, found, 1))
    return dst, found


def fault_if(g: ClauseGen, op: int, reg: int, imm: int, code: int, addr: int | None = None):
    from pydtrace.codegen.faults import fault_label

    g.em.emit(I.jmp_imm(op, reg, imm, fault_label(g, code, fault_addr(g, addr))))


def fault_addr(g: ClauseGen, addr: int | None):
    """Parks a fault's address in the clause's stack slot so the value need not
    stay live (in a register or a spill slot) until the fault stubs at the end."""
    if addr is None:
        return None
    slot = g.fault_addr_slot
    if slot is None:
        slot = g.fault_addr_slot = g.em.stack_alloc(8)
    g.em.emit(I.stx(O.DW, O.R10, slot, addr))
    return ("fp", slot)


# ---------------------------------------------------------------- string subroutines


def s_strjoin(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.strings import string_ptr

    em = g.em
    pa, pb = string_ptr(g, n.args[0]), string_ptr(g, n.args[1])
    dst = g.scratch_slot()
    la = em.call(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize), pa])
    em.emit(I.add64_imm(la, -1))
    clamp(g, la, 0, g.strsize - 1)
    tail = slot_ptr(g, dst)
    em.emit(I.alu64_reg(O.ADD, tail, la))
    # may run past the slot into free scratch (or the map's slack); cut at strsize-1
    em.call_void(H.PROBE_READ_KERNEL_STR, [tail, ("imm", g.strsize), pb])
    em.emit(I.st_imm(O.B, STATE_REG, dst + g.strsize - 1, 0))
    return dst, None


def s_substr(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    src, length = str_input(g, n.args[0])
    index = em.copy(compile_int(g, n.args[1]))
    remaining = em.copy(compile_int(g, n.args[2])) if len(n.args) > 2 \
        else em.mov_imm(g.strsize)
    # illumos' dtrace_dif_subr(SUBSTR), in signed 64-bit arithmetic
    pos, empty, done = em.new_label("sspos"), em.new_label("ssempty"), em.new_label("ss")
    em.emit(I.jmp_imm(O.JSGE, index, 0, pos))
    em.emit(I.alu64_reg(O.ADD, index, length))
    em.emit(I.jmp_imm(O.JSGE, index, 0, pos))
    tmp = em.copy(index)
    em.emit(I.alu64_reg(O.ADD, tmp, remaining))
    em.emit(I.jmp_imm(O.JSLE, tmp, 0, pos))
    em.emit(I.alu64_reg(O.ADD, remaining, index))
    em.emit(I.mov64_imm(index, 0))
    em.label(pos)
    em.emit(I.jmp_imm(O.JSLT, index, 0, empty))
    em.emit(I.jmp_reg(O.JSGE, index, length, empty))
    nonneg, capped = em.new_label("ssnn"), em.new_label("sscap")
    em.emit(I.jmp_imm(O.JSGE, remaining, 0, nonneg))
    em.emit(I.alu64_reg(O.ADD, remaining, length))
    em.emit(I.alu64_reg(O.SUB, remaining, index))
    em.label(nonneg)
    em.emit(I.jmp_imm(O.JSLE, remaining, 0, empty))
    em.emit(I.jmp_imm(O.JSLE, remaining, g.strsize - 1, capped))
    em.emit(I.mov64_imm(remaining, g.strsize - 1))
    em.label(capped)
    dst = g.scratch_slot()
    copy_range(g, dst, src, index, remaining)
    em.emit(I.ja(done))
    em.label(empty)
    em.emit(I.st_imm(O.B, STATE_REG, dst, 0))
    em.label(done)
    return dst, None


def search(g: ClauseGen, s_off: int, t_off: int, t_len: int, start: int, end: int,
           last: bool) -> int:
    ctx_set(g, L.CTX_A, ("imm", s_off))
    ctx_set(g, L.CTX_B, ("imm", t_off))
    ctx_set(g, L.CTX_X1, start)
    ctx_set(g, L.CTX_X2, t_len)
    ctx_set(g, L.CTX_X4, end)
    ctx_set(g, L.CTX_OUT, ("imm", -1))
    run_loop(g, "search", last, g.strsize)
    return ctx_get(g, L.CTX_OUT)


def index_value(g: ClauseGen, n: A.Call, reverse: bool) -> tuple[int, int]:
    """index()/rindex() (Perl semantics): (result vreg, haystack offset)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    s_off, ls = str_input(g, n.args[0])
    t_off, lt = str_input(g, n.args[1])
    out = em.vreg()
    done, run = em.new_label("ixdone"), em.new_label("ixrun")
    end = em.copy(ls)
    em.emit(I.alu64_reg(O.SUB, end, lt))
    if not reverse:
        start = em.mov_imm(0) if len(n.args) < 3 else em.copy(compile_int(g, n.args[2]))
        ok = em.new_label("ixpos")
        em.emit(I.jmp_imm(O.JSGE, start, 0, ok))
        em.emit(I.mov64_imm(start, 0))
        em.label(ok)
        em.emit(I.jmp_reg(O.JSLT, start, ls, run))
        em.emit(I.mov64_imm(out, -1))
        em.emit(I.jmp_imm(O.JNE, lt, 0, done))
        em.emit(I.mov64(out, ls))
        em.emit(I.ja(done))
    else:
        start = em.mov_imm(0)
        if len(n.args) >= 3:
            pos = em.copy(compile_int(g, n.args[2]))
            nonneg = em.new_label("rxpos")
            em.emit(I.jmp_imm(O.JSGE, pos, 0, nonneg))
            em.emit(I.mov64_imm(out, -1))
            em.emit(I.jmp_imm(O.JNE, lt, 0, done))
            em.emit(I.mov64_imm(out, 0))
            em.emit(I.ja(done))
            em.label(nonneg)
            em.emit(I.jmp_reg(O.JSGE, pos, end, run))
            em.emit(I.mov64(end, pos))
    em.label(run)
    em.emit(I.mov64(out, search(g, s_off, t_off, lt, start, end, reverse)))
    em.label(done)
    return out, s_off


def s_strstr(g: ClauseGen, n: A.Call):
    idx, s_off = index_value(g, n, False)
    return suffix(g, s_off, idx)


def s_strchr(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    s_off, _ = str_input(g, n.args[0])
    c = g.em.copy(compile_int(g, n.args[1]))
    g.em.emit(I.alu64_imm(O.AND, c, 0xFF))
    ctx_set(g, L.CTX_A, ("imm", s_off))
    ctx_set(g, L.CTX_X1, c)
    ctx_set(g, L.CTX_OUT, ("imm", -1))
    run_loop(g, "chr", n.name == "strrchr", g.strsize)
    return suffix(g, s_off, ctx_get(g, L.CTX_OUT))


def s_case(g: ClauseGen, n: A.Call):
    off, _ = str_input(g, n.args[0])
    ctx_set(g, L.CTX_A, ("imm", off))
    run_loop(g, "case", n.name == "toupper", g.strsize)
    return off, None


def s_path(g: ClauseGen, n: A.Call):
    em = g.em
    src, length = str_input(g, n.args[0])
    for f in (L.CTX_X1, L.CTX_X2, L.CTX_X3):
        ctx_set(g, f, ("imm", -1))
    ctx_set(g, L.CTX_A, ("imm", src))
    run_loop(g, "path", None, g.strsize)
    last, first, prev = ctx_get(g, L.CTX_X1), ctx_get(g, L.CTX_X2), ctx_get(g, L.CTX_X3)
    dst = g.scratch_slot()
    done, slash, dot, some = (em.new_label(h) for h in ("pdone", "pslash", "pdot", "psome"))
    em.emit(I.jmp_imm(O.JSGE, last, 0, some))
    em.emit(I.jmp_imm(O.JEQ, length, 0, dot))
    em.emit(I.ja(slash))
    em.label(some)
    if n.name == "basename":
        count = em.copy(last)
        em.emit(I.alu64_reg(O.SUB, count, first))
        em.emit(I.add64_imm(count, 1))
        copy_range(g, dst, src, first, count)
    else:
        em.emit(I.jmp_imm(O.JSGE, prev, 0, (copy := em.new_label("pcopy"))))
        em.emit(I.jmp_imm(O.JSGT, first, 0, slash))
        em.emit(I.ja(dot))
        em.label(copy)
        count = em.copy(prev)
        em.emit(I.add64_imm(count, 1))
        copy_range(g, dst, src, em.mov_imm(0), count)
    em.emit(I.ja(done))
    em.label(dot)
    result_literal(g, dst, b".")
    em.emit(I.ja(done))
    em.label(slash)
    result_literal(g, dst, b"/")
    em.label(done)
    return dst, None


def s_lltostr(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    value = em.copy(compile_int(g, n.args[0]))
    if len(n.args) > 1:
        base = em.copy(compile_int(g, n.args[1]))
        fault_if(g, O.JSLT, base, 2, FAULT_ILLOP)
        fault_if(g, O.JSGT, base, 36, FAULT_ILLOP)
    else:
        base = em.mov_imm(10)
    buf = g.scratch_slot(max(1, -(-80 // g.slot_size)))
    neg = em.mov_imm(0)
    unsigned = em.new_label("ltu")
    em.emit(I.jmp_imm(O.JNE, base, 10, unsigned))
    em.emit(I.jmp_imm(O.JSGE, value, 0, unsigned))
    em.emit(I.mov64_imm(neg, 1))
    em.emit(I.neg64(value))
    em.label(unsigned)
    em.emit(I.st_imm(O.B, STATE_REG, buf + 71, 0))
    ctx_set(g, L.CTX_A, ("imm", buf))
    ctx_set(g, L.CTX_X1, value)
    ctx_set(g, L.CTX_X2, base)
    ctx_set(g, L.CTX_X3, ("imm", 70))
    run_loop(g, "digits", None, 70)
    pos = ctx_get(g, L.CTX_X3)  # index of the byte before the first digit
    clamp(g, pos, 2, 70)
    ptr = slot_ptr(g, buf)
    em.emit(I.alu64_reg(O.ADD, ptr, pos))
    tmp = em.vreg()
    not16, not8, noneg = em.new_label("lt16"), em.new_label("lt8"), em.new_label("ltn")
    em.emit(I.jmp_imm(O.JNE, base, 16, not16))
    em.emit(I.st_imm(O.B, ptr, 0, ord("x")))
    em.emit(I.st_imm(O.B, ptr, -1, ord("0")))
    em.emit(I.add64_imm(ptr, -2))
    em.emit(I.ja(noneg))
    em.label(not16)
    em.emit(I.jmp_imm(O.JNE, base, 8, not8))
    em.emit(I.ldx(O.B, tmp, ptr, 1))
    em.emit(I.jmp_imm(O.JNE, tmp, ord("0"), (octal := em.new_label("lt8p"))))
    em.emit(I.ldx(O.B, tmp, ptr, 2))
    em.emit(I.jmp_imm(O.JEQ, tmp, 0, noneg))  # 0 in base 8 is just "0"
    em.label(octal)
    em.emit(I.st_imm(O.B, ptr, 0, ord("0")))
    em.emit(I.add64_imm(ptr, -1))
    em.emit(I.ja(noneg))
    em.label(not8)
    em.emit(I.jmp_imm(O.JEQ, neg, 0, noneg))
    em.emit(I.st_imm(O.B, ptr, 0, ord("-")))
    em.emit(I.add64_imm(ptr, -1))
    em.label(noneg)
    em.emit(I.add64_imm(ptr, 1))
    dst = g.scratch_slot()
    em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize), ptr])
    return dst, None


def s_copyinstr(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, n.args[0]))
    dst = g.scratch_slot()
    if len(n.args) > 1:  # maxlen characters when maxlen < strsize (then the NUL)
        size = em.copy(compile_int(g, n.args[1]))
        full = em.new_label("cismax")
        em.emit(I.jmp_imm(O.JGE, size, g.strsize, full))
        em.emit(I.add64_imm(size, 1))
        em.label(full)
        clamp(g, size, 1, g.strsize)
    else:
        size = ("imm", g.strsize)
    got = em.call(H.PROBE_READ_USER_STR, [("reg+", STATE_REG, dst), size, addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return dst, None


def s_inet_ntoa(g: ClauseGen, n: A.Call):
    """Dotted quad of the 4 bytes at the address (kernel memory first, then user)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, n.args[0]))
    raw = em.stack_alloc(8)
    got = em.call(H.PROBE_READ_KERNEL, [("fp", raw), ("imm", 4), addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    dst = g.scratch_slot()
    buf = g.scratch_slot()
    pos_reg = slot_ptr(g, dst)
    for k in range(4):
        byte = em.vreg()
        em.emit(I.ldx(O.B, byte, O.R10, raw + k))
        ctx_set(g, L.CTX_A, ("imm", buf))
        ctx_set(g, L.CTX_X1, byte)
        ctx_set(g, L.CTX_X2, ("imm", 10))
        ctx_set(g, L.CTX_X3, ("imm", 70))
        em.emit(I.st_imm(O.B, STATE_REG, buf + 71, ord("." if k < 3 else "\0")))
        em.emit(I.st_imm(O.B, STATE_REG, buf + 72, 0))
        run_loop(g, "digits", None, 4)
        pos = ctx_get(g, L.CTX_X3)
        clamp(g, pos, 60, 70)
        src = slot_ptr(g, buf)
        em.emit(I.alu64_reg(O.ADD, src, pos))
        em.emit(I.add64_imm(src, 1))
        got = em.call(H.PROBE_READ_KERNEL_STR, [pos_reg, ("imm", 6), src])
        clamp(g, got, 1, 6)
        em.emit(I.add64_imm(got, -1))
        em.emit(I.alu64_reg(O.ADD, pos_reg, got))
    return dst, None


def slots_for(g: ClauseGen, nbytes: int) -> int:
    """Scratch slots (contiguous) holding at least ``nbytes``."""
    return g.scratch_slot(max(1, -(-nbytes // g.slot_size)))


def clause_start(g: ClauseGen, clause: A.Clause) -> None:
    """Clause prologue. A program using strtok() keeps the string being split
    and the position in it (the slot's spare bytes; -1 or an empty string: no
    tokenization in progress) in the first scratch slot of every clause, so
    ``strtok(NULL, ...)`` continues in later clauses of the same firing."""
    if "strtok" in g.an.uses:
        # two slots: the string and position, then the firing's timestamp (the
        # state survives firings; a stale one means no tokenization in progress)
        g.strtok_slot = g.scratch_slot(2)  # type: ignore[attr-defined]
        g.scratch_pin()


def s_strtok(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.strings import string_ptr
    from pydtrace.sema.check import string_like

    em = g.em
    buf = g.strtok_slot  # type: ignore[attr-defined]
    posoff = buf + g.slot_size - 8
    stampoff = buf + g.slot_size
    stamp = em.vreg()
    em.emit(I.ldx(O.DW, stamp, STATE_REG, STATE_TS))
    first = n.args[0]
    if string_like(g.an.types[first].resolve()):
        ptr = string_ptr(g, first)
        em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, buf), ("imm", g.strsize),
                                               ptr])
        em.emit(I.st_imm(O.DW, STATE_REG, posoff, 0))
        em.emit(I.stx(O.DW, STATE_REG, stampoff, stamp))
    else:  # NULL continues; another address starts over on that string
        addr = compile_int(g, first)
        cont, started = em.new_label("tkcont"), em.new_label("tkstarted")
        em.emit(I.jmp_imm(O.JEQ, addr, 0, cont))
        em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, buf), ("imm", g.strsize),
                                               addr])
        em.emit(I.st_imm(O.DW, STATE_REG, posoff, 0))
        em.emit(I.stx(O.DW, STATE_REG, stampoff, stamp))
        em.emit(I.ja(started))
        em.label(cont)  # continuing: only what this firing started
        old = em.vreg()
        em.emit(I.ldx(O.DW, old, STATE_REG, stampoff))
        em.emit(I.jmp_reg(O.JEQ, old, stamp, started))
        em.emit(I.st_imm(O.DW, STATE_REG, posoff, -1))
        em.label(started)
    delims, _ = str_input(g, n.args[1])
    tokmap = slots_for(g, L.TOKMAP_SIZE)
    for k in range(0, L.TOKMAP_SIZE, 8):
        em.emit(I.st_imm(O.DW, STATE_REG, tokmap + k, 0))
    ctx_set(g, L.CTX_A, ("imm", delims))
    ctx_set(g, L.CTX_B, ("imm", tokmap))
    run_loop(g, "tokmap", None, g.strsize)
    dst = g.scratch_slot()
    found = em.mov_imm(0)
    pos = em.vreg()
    em.emit(I.ldx(O.DW, pos, STATE_REG, posoff))
    none, done = em.new_label("tknone"), em.new_label("tkdone")
    em.emit(I.jmp_imm(O.JSLT, pos, 0, none))
    ctx_set(g, L.CTX_A, ("imm", buf))
    loopvars = slots_for(g, 32)
    ctx_set(g, L.CTX_X7, ("imm", loopvars))
    em.emit(I.stx(O.DW, STATE_REG, loopvars, pos))
    em.emit(I.st_imm(O.DW, STATE_REG, loopvars + 16, 0))
    run_loop(g, "strtok", None, g.strsize + 1)
    phase, start, end = em.vreg(), em.vreg(), em.vreg()
    em.emit(I.ldx(O.DW, phase, STATE_REG, loopvars + 16))
    em.emit(I.jmp_imm(O.JEQ, phase, 0, none))
    em.emit(I.ldx(O.DW, start, STATE_REG, loopvars + 8))
    em.emit(I.ldx(O.DW, end, STATE_REG, loopvars))
    em.emit(I.stx(O.DW, STATE_REG, posoff, end))
    count = em.copy(end)
    em.emit(I.alu64_reg(O.SUB, count, start))
    copy_range(g, dst, buf, start, count)
    em.emit(I.mov64_imm(found, 1))
    em.emit(I.ja(done))
    em.label(none)
    em.emit(I.st_imm(O.DW, STATE_REG, posoff, -1))
    em.emit(I.st_imm(O.B, STATE_REG, dst, 0))
    em.label(done)
    return dst, found


def s_cleanpath(g: ClauseGen, n: A.Call):
    src, _ = str_input(g, n.args[0])
    dst = g.scratch_slot()
    g.em.emit(I.st_imm(O.B, STATE_REG, dst, 0))
    ctx_set(g, L.CTX_A, ("imm", src))
    ctx_set(g, L.CTX_B, ("imm", dst))
    loopvars = slots_for(g, 32)
    ctx_set(g, L.CTX_X7, ("imm", loopvars))
    for k in range(0, 32, 8):
        g.em.emit(I.st_imm(O.DW, STATE_REG, loopvars + k, 0))
    run_loop(g, "cleanpath", None, 3 * g.strsize + 8)
    return dst, None


def ntoa6_text(g: ClauseGen, raw: int, out: int, ntop: bool) -> None:
    """The text of the 16 bytes at state + raw into state + out (illumos'
    algorithm: the longest zero run becomes "::"; a v4-mapped or v4-compatible
    address ends in dotted decimal, and inet_ntoa6 then prints only that part)."""
    em = g.em
    words = []
    for k in range(4):
        w = em.vreg()
        em.emit(I.ldx(O.W, w, STATE_REG, raw + 4 * k))
        words.append(w)
    v4 = em.mov_imm(0)
    no4, yes4 = em.new_label("no4"), em.new_label("yes4")
    em.emit(I.jmp_imm(O.JNE, words[0], 0, no4))
    em.emit(I.jmp_imm(O.JNE, words[1], 0, no4))
    compat = em.new_label("compat")
    em.emit(I.jmp_imm(O.JEQ, words[2], 0, compat))
    mapped = em.mov_imm(0xFFFF0000)
    em.emit(I.jmp_reg(O.JNE, words[2], mapped, no4))
    em.emit(I.ja(yes4))
    em.label(compat)  # ::a.b.c.d, except :: and ::1
    em.emit(I.jmp_imm(O.JEQ, words[3], 0, no4))
    em.emit(I.jmp_imm(O.JEQ, words[3], 0x01000000, no4))
    em.label(yes4)
    em.emit(I.mov64_imm(v4, 1))
    em.label(no4)
    ctx_set(g, L.CTX_A, ("imm", raw))
    ctx_set(g, L.CTX_X1, ("imm", -1))
    ctx_set(g, L.CTX_X2, ("imm", -1))
    ctx_set(g, L.CTX_X3, ("imm", 1))
    run_loop(g, "zrun", None, 16)
    fz, nz = ctx_get(g, L.CTX_X2), ctx_get(g, L.CTX_X3)
    last = em.mov_imm(7)
    first = em.mov_imm(0)
    plain = em.new_label("plain6")
    em.emit(I.jmp_imm(O.JEQ, v4, 0, plain))
    em.emit(I.mov64_imm(last, 5))
    if not ntop:
        em.emit(I.mov64_imm(first, 12))
    em.label(plain)
    # "::" at group fz/2 when the run's last group (fz + nz - 2)/2 is printed
    cstart, nextk, skipc = em.mov_imm(-1), em.copy(fz), em.mov_imm(-1)
    em.emit(I.alu64_reg(O.ADD, nextk, nz))
    em.emit(I.alu64_imm(O.ARSH, nextk, 1))
    nozero = em.new_label("nz6")
    em.emit(I.jmp_imm(O.JSLT, fz, 0, nozero))
    half = em.copy(fz)
    em.emit(I.alu64_imm(O.RSH, half, 1))
    em.emit(I.mov64(skipc, half))
    rend = em.copy(nextk)
    em.emit(I.add64_imm(rend, -1))
    em.emit(I.jmp_reg(O.JSGT, rend, last, nozero))
    em.emit(I.mov64(cstart, half))
    em.label(nozero)
    ctx_set(g, L.CTX_X3, cstart)
    ctx_set(g, L.CTX_X4, nextk)
    ctx_set(g, L.CTX_X5, skipc)
    ctx_set(g, L.CTX_X6, last)
    ctx_set(g, L.CTX_OUT, v4)
    pos = ntoa6_run(g, raw, out, first, 16)
    clamp(g, pos, 0, L.NTOP_BUF - 1)
    end = slot_ptr(g, out)
    em.emit(I.alu64_reg(O.ADD, end, pos))
    em.emit(I.st_imm(O.B, end, 0, 0))


def ntoa6_run(g: ClauseGen, raw: int, out: int, first: int, count: int) -> int:
    """Runs the ntoa6 writer from item ``first``; returns the text's length."""
    em = g.em
    loopvars = slots_for(g, 16)
    ctx_set(g, L.CTX_A, ("imm", out))
    ctx_set(g, L.CTX_B, ("imm", raw))
    ctx_set(g, L.CTX_X7, ("imm", loopvars))
    em.emit(I.stx(O.DW, STATE_REG, loopvars, first))
    em.emit(I.st_imm(O.DW, STATE_REG, loopvars + 8, 0))
    run_loop(g, "ntoa6", None, count)
    pos = em.vreg()
    em.emit(I.ldx(O.DW, pos, STATE_REG, loopvars + 8))
    return pos


def as_scalar(g: ClauseGen, reg: int) -> int:
    """The value of ``reg`` as a plain number, even when it holds a pointer
    (through a map store; root programs may keep addresses in maps)."""
    tmp = g.scratch_slot()
    out = g.em.vreg()
    g.em.emit(I.stx(O.DW, STATE_REG, tmp, reg))
    g.em.emit(I.ldx(O.DW, out, STATE_REG, tmp))
    return out


def read_addr(g: ClauseGen, node: A.Expr, size: int) -> int:
    """Copies ``size`` bytes at the address into scratch (a fault if unreadable)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, node))
    raw = slots_for(g, 16)
    got = em.call(H.PROBE_READ_KERNEL, [("reg+", STATE_REG, raw), ("imm", size), addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return raw


def s_inet_ntoa6(g: ClauseGen, n: A.Call):
    raw = read_addr(g, n.args[0], 16)
    out = slots_for(g, L.NTOP_BUF)
    ntoa6_text(g, raw, out, False)
    dst = g.scratch_slot()
    g.em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize),
                                             slot_ptr(g, out)])
    return dst, None


AF_INET, AF_INET6 = 2, 10


def s_inet_ntop(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    af = em.copy(compile_int(g, n.args[0]))
    inet6, done = em.new_label("ntop6"), em.new_label("ntopd")
    em.emit(I.jmp_imm(O.JEQ, af, AF_INET6, inet6))
    fault_if(g, O.JNE, af, AF_INET, FAULT_ILLOP)
    out = slots_for(g, L.NTOP_BUF)
    raw = read_addr(g, n.args[1], 4)
    # the four bytes as the embedded IPv4 part (bytes 12-15) of the v6 writer
    word = em.vreg()
    em.emit(I.ldx(O.W, word, STATE_REG, raw))
    em.emit(I.stx(O.W, STATE_REG, raw + 12, word))
    pos = ntoa6_run(g, raw, out, em.mov_imm(12), 4)
    clamp(g, pos, 0, L.NTOP_BUF - 1)
    end = slot_ptr(g, out)
    em.emit(I.alu64_reg(O.ADD, end, pos))
    em.emit(I.st_imm(O.B, end, 0, 0))
    em.emit(I.ja(done))
    em.label(inet6)
    raw6 = read_addr(g, n.args[1], 16)
    ntoa6_text(g, raw6, out, True)
    em.label(done)
    dst = g.scratch_slot()
    em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize),
                                           slot_ptr(g, out)])
    return dst, None


STRING_SUBRS = {
    "strtok": s_strtok, "cleanpath": s_cleanpath, "inet_ntoa6": s_inet_ntoa6,
    "inet_ntop": s_inet_ntop,
    "strjoin": s_strjoin, "substr": s_substr, "strstr": s_strstr, "strchr": s_strchr,
    "strrchr": s_strchr, "toupper": s_case, "tolower": s_case, "basename": s_path,
    "dirname": s_path, "lltostr": s_lltostr, "copyinstr": s_copyinstr,
    "inet_ntoa": s_inet_ntoa, "d_path": lambda g, n: _dpath(g, n),
    "__d_path_mount": lambda g, n: _dpath(g, n),
}


def _dpath(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.dpath import s_dpath

    return s_dpath(g, n)


def string_result(g: ClauseGen, n: A.Call) -> tuple[int, int | None]:
    fn = STRING_SUBRS.get(n.name)
    if fn is None:
        raise unsupported(n, n.name)
    return fn(g, n)


def string_call(g: ClauseGen, n: A.Call) -> int:
    off, found = string_result(g, n)
    if found is not None:  # strtok/strchr/strstr...: remembered for NULL results
        g.string_found[n] = found
    return slot_ptr(g, off)


def assigned_value(g: ClauseGen, value: A.Expr, ptr: int) -> int:
    """The value of a string assignment ``x = strstr(...)``: ``ptr``, or 0 when
    the subroutine returned NULL (so ``(x = strtok(NULL, ",")) != NULL`` works)."""
    found = g.string_found.get(value)
    if found is None:
        return ptr
    out = g.em.copy(ptr)
    skip = g.em.new_label("asnull")
    g.em.emit(I.jmp_imm(O.JNE, found, 0, skip))
    g.em.emit(I.mov64_imm(out, 0))
    g.em.label(skip)
    return out


# ---------------------------------------------------------------- integer subroutines


def i_strlen(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.strings import literal_of, string_ptr

    lit = literal_of(g, n.args[0])
    if lit is not None:
        return g.em.mov_imm(len(lit))
    ptr = string_ptr(g, n.args[0])
    tmp = g.scratch_slot()
    got = g.em.call(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, tmp), ("imm", g.strsize), ptr])
    g.em.emit(I.add64_imm(got, -1))
    clamp(g, got, 0, g.strsize - 1)
    return got


def i_index(g: ClauseGen, n: A.Call) -> int:
    return index_value(g, n, n.name == "rindex")[0]


def i_bswap(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    bits = {"s": 16, "l": 32, "ll": 64}[n.name[4:]]
    reg = g.em.copy(compile_int(g, n.args[0]))
    g.em.emit(I.Insn(O.ALU | O.END | 0x08, reg, 0, 0, bits))  # to big endian
    if bits < 64:
        g.em.emit(I.alu64_imm(O.AND, reg, (1 << bits) - 1) if bits < 32 else I.mov32(reg, reg))
    return reg


def i_rand(g: ClauseGen, n: A.Call) -> int:
    reg = g.em.call(H.GET_PRANDOM_U32)
    g.em.emit(I.movsx64(reg, reg, 32))
    return reg


def i_devt(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    reg = g.em.copy(compile_int(g, n.args[0]))
    if n.name == "getmajor":
        g.em.emit(I.alu64_imm(O.RSH, reg, 20))
        g.em.emit(I.alu64_imm(O.AND, reg, 0xFFF))
    else:
        g.em.emit(I.alu64_imm(O.AND, reg, 0xFFFFF))
    return reg


def scratch_alloc(g: ClauseGen, n: A.Call, size_node: A.Expr) -> tuple[int, int]:
    """Pinned scratch for alloca/copyin: (offset, size vreg); runtime sizes are
    limited to one slot (``out of scratch space`` beyond)."""
    from pydtrace.codegen.expr import compile_int

    const = g.an.consts.get(size_node)
    if const is not None:
        if const < 0 or const > 16 * g.slot_size:
            raise DCompileError("D_CG_EXPR", f"{n.name}( ) size {const} exceeds the scratch "
                                "space", n.line or None)
        off = g.scratch_slot(max(1, -(-const // g.slot_size)))
        size = g.em.mov_imm(const)
        extent: tuple = ("imm", const)
    else:
        off = g.scratch_slot()
        size = g.em.copy(compile_int(g, size_node))
        fault_if(g, O.JGT, size, g.slot_size, FAULT_NOSCRATCH)
        extent = ("fp", g.em.stack_alloc(8))  # the runtime size, for scratch_dest
        g.em.emit(I.stx(O.DW, O.R10, extent[1], size))
    g.scratch_pin()
    g.scratch_allocs.append((off, extent))
    return off, size


def i_alloca(g: ClauseGen, n: A.Call) -> int:
    off, _ = scratch_alloc(g, n, n.args[0])
    return slot_ptr(g, off)


def i_copyin(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    addr = g.em.copy(compile_int(g, n.args[0]))
    off, size = scratch_alloc(g, n, n.args[1])
    got = g.em.call(H.PROBE_READ_USER, [("reg+", STATE_REG, off), size, addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return slot_ptr(g, off)


def scratch_dest(g: ClauseGen, ptr: int, size: int, const_size: int | None) -> int:
    """Checks that [ptr, ptr+size) lies in allocated scratch (else an invalid
    address fault) and returns a pointer the verifier can follow."""
    from pydtrace.codegen.layout import STATE_SCRATCH

    em = g.em
    lo = STATE_SCRATCH + g.an.symbols.this_size
    hi = lo + g.scratch_next * g.slot_size
    ptr = as_scalar(g, ptr)
    off = em.copy(ptr)
    em.emit(I.alu64_reg(O.SUB, off, as_scalar(g, STATE_REG)))
    within_allocation(g, off, size, const_size, ptr)
    fault_if(g, O.JLT, off, lo, FAULT_BADADDR, ptr)
    limit = hi - (const_size or 0)
    fault_if(g, O.JGT, off, limit, FAULT_BADADDR, ptr)
    if const_size is None:
        end = em.copy(off)
        em.emit(I.alu64_reg(O.ADD, end, size))
        fault_if(g, O.JGT, end, hi, FAULT_BADADDR, ptr)
        fault_if(g, O.JGT, size, g.slot_size, FAULT_BADADDR, ptr)
    dst = em.copy(STATE_REG)
    em.emit(I.alu64_reg(O.ADD, dst, off))
    return dst


def within_allocation(g: ClauseGen, off: int, size: int, const_size: int | None,
                      ptr: int) -> None:
    """[off, off+size) must lie inside one alloca/copyin allocation made so far
    in the clause (not merely in scratch): else an invalid address fault."""
    em = g.em
    ok = em.new_label("inalloc")
    if const_size is None:
        fault_if(g, O.JGT, size, g.slot_size, FAULT_BADADDR, ptr)
    end = em.copy(off)
    if const_size is None:
        em.emit(I.alu64_reg(O.ADD, end, size))
    else:
        em.emit(I.add64_imm(end, const_size))
    for aoff, extent in g.scratch_allocs:
        nxt = em.new_label("nalloc")
        em.emit(I.jmp_imm(O.JLT, off, aoff, nxt))
        if extent[0] == "imm":
            em.emit(I.jmp_imm(O.JGT, end, aoff + extent[1], nxt))
        else:
            lim = em.vreg()
            em.emit(I.ldx(O.DW, lim, O.R10, extent[1]))
            em.emit(I.add64_imm(lim, aoff))
            em.emit(I.jmp_reg(O.JGT, end, lim, nxt))
        em.emit(I.ja(ok))
        em.label(nxt)
    from pydtrace.codegen.faults import fault_label

    em.emit(I.ja(fault_label(g, FAULT_BADADDR, fault_addr(g, ptr))))
    em.label(ok)


def i_copyinto(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    addr = g.em.copy(compile_int(g, n.args[0]))
    size = g.em.copy(compile_int(g, n.args[1]))
    dst = scratch_dest(g, compile_int(g, n.args[2]), size, g.an.consts.get(n.args[1]))
    got = g.em.call(H.PROBE_READ_USER, [dst, size, addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return g.em.mov_imm(0)


def i_bcopy(g: ClauseGen, n: A.Call) -> int:
    # as in illumos, only the destination is checked (a source in scratch is
    # allowed: dtrace_canload accepts scratch), despite the Guide's wording
    from pydtrace.codegen.expr import compile_int

    src = g.em.copy(compile_int(g, n.args[0]))
    size = g.em.copy(compile_int(g, n.args[2]))
    dst = scratch_dest(g, compile_int(g, n.args[1]), size, g.an.consts.get(n.args[2]))
    got = g.em.call(H.PROBE_READ_KERNEL, [dst, size, src])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, src)
    return g.em.mov_imm(0)


def i_progenyof(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    try:
        from pydtrace.btf.offsets import member_offset

        offs = (member_offset("task_struct", "real_parent"), member_offset("task_struct", "tgid"))
    except (ImportError, LookupError, OSError) as exc:
        raise DCompileError("D_CG_EXPR", f"progenyof( ) needs kernel BTF: {exc}") from exc
    pid = compile_int(g, n.args[0])
    ctx_set(g, L.CTX_X2, pid)
    task = g.em.call(H.GET_CURRENT_TASK)
    ctx_set(g, L.CTX_X1, task)
    ctx_set(g, L.CTX_OUT, ("imm", 0))
    run_loop(g, "progeny", offs, PROGENY_DEPTH)
    return ctx_get(g, L.CTX_OUT)


# destructive actions (statements; sema.subrs marks the program destructive)


def d_raise(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    sig = compile_int(g, n.args[0])
    return g.em.call(H.SEND_SIGNAL_THREAD, [sig])


def d_stop(g: ClauseGen, n: A.Call) -> int:
    return g.em.call(H.SEND_SIGNAL, [("imm", SIGSTOP)])


def d_copyout(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    em = g.em
    uaddr = em.copy(compile_int(g, n.args[1]))
    size = em.copy(compile_int(g, n.args[2]))
    if n.name == "copyoutstr":
        off, length = str_input(g, n.args[0])
        em.emit(I.add64_imm(length, 1))
        less = em.new_label("cos")
        em.emit(I.jmp_reg(O.JLE, size, length, less))
        em.emit(I.mov64(size, length))
        em.label(less)
        clamp(g, size, 0, g.strsize)
        src = slot_ptr(g, off)
    else:
        src = scratch_dest(g, compile_int(g, n.args[0]), size, g.an.consts.get(n.args[2]))
    got = em.call(H.PROBE_WRITE_USER, [uaddr, src, size])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, uaddr)
    return em.mov_imm(0)


def d_chill(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.layout import STATE_CHILL_MARK, STATE_CHILLED

    em = g.em
    ns = em.copy(compile_int(g, n.args[0]))
    fault_if(g, O.JGT, ns, CHILL_MAX_NS, FAULT_ILLOP)
    now = em.call(H.KTIME_GET_NS)
    # a CPU chills at most CHILL_MAX_NS per CHILL_INTERVAL_NS (per-CPU state)
    age, window = em.vreg(), em.new_label("chillwin")
    em.emit(I.ldx(O.DW, age, STATE_REG, STATE_CHILL_MARK))
    em.emit(I.alu64_reg(O.SUB, age, now))
    em.emit(I.alu64_imm(O.NEG, age, 0))  # now - mark
    limit = em.vreg()
    em.load_imm(limit, CHILL_INTERVAL_NS)
    em.emit(I.jmp_reg(O.JLE, age, limit, window))
    em.emit(I.stx(O.DW, STATE_REG, STATE_CHILL_MARK, now))
    em.emit(I.st_imm(O.DW, STATE_REG, STATE_CHILLED, 0))
    em.label(window)
    total = em.vreg()
    em.emit(I.ldx(O.DW, total, STATE_REG, STATE_CHILLED))
    em.emit(I.alu64_reg(O.ADD, total, ns))
    fault_if(g, O.JGT, total, CHILL_MAX_NS, FAULT_ILLOP)
    em.emit(I.stx(O.DW, STATE_REG, STATE_CHILLED, total))
    em.emit(I.alu64_reg(O.ADD, now, ns))
    ctx_set(g, L.CTX_X1, now)
    run_loop(g, "chill", None, 1 << 23)
    return g.em.mov_imm(0)


INT_SUBRS = {
    "strlen": i_strlen, "index": i_index, "rindex": i_index,
    "htons": i_bswap, "ntohs": i_bswap, "htonl": i_bswap, "ntohl": i_bswap,
    "htonll": i_bswap, "ntohll": i_bswap, "rand": i_rand, "getmajor": i_devt,
    "getminor": i_devt, "alloca": i_alloca, "copyin": i_copyin, "copyinto": i_copyinto,
    "bcopy": i_bcopy, "progenyof": i_progenyof, "raise": d_raise, "stop": d_stop,
    "copyout": d_copyout, "copyoutstr": d_copyout, "chill": d_chill,
}


def lower_call(g: ClauseGen, n: A.Call) -> int:
    fn = INT_SUBRS.get(n.name)
    if fn is not None:
        return fn(g, n)
    if n.name in STRING_SUBRS:
        # a string result used as an integer (e.g. compared with NULL): the
        # pointer, or 0 when strchr/strrchr/strstr found nothing
        off, found = string_result(g, n)
        out = slot_ptr(g, off)
        if found is not None:
            skip = g.em.new_label("nonnull")
            g.em.emit(I.jmp_imm(O.JNE, found, 0, skip))
            g.em.emit(I.mov64_imm(out, 0))
            g.em.label(skip)
        return out
    raise unsupported(n, n.name)


def null_string_fault(g: ClauseGen, node: A.Expr) -> None:
    """Recording a NULL string (strstr/strchr/strrchr miss, strtok's end) is an
    ``invalid address (0x0)`` fault, as DTrace reads the string at address 0."""
    from pydtrace.codegen.faults import fault_label

    while node in g.an.rewrites:
        node = g.an.rewrites[node]
    found = g.string_found.get(node)
    if found is None:
        return
    zero = g.em.mov_imm(0)
    g.em.emit(I.jmp_imm(O.JEQ, found, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, zero))))
