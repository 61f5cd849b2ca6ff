"""String subroutines: strjoin, substr, index/rindex, strstr, strchr/strrchr,
strlen, toupper/tolower, lltostr and strtok.

A string-valued lowering (``s_*``) returns ``(result slot offset, found)``:
``found`` is a vreg that is 0 when the result is NULL (strstr finding nothing,
strtok's end), or None when it never is. String arguments are first copied into
scratch slots (``str_input``), so the bpf_loop callbacks only read bounded
``state + offset`` addresses.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import STATE_TS
from pydtrace.codegen.subr_blocks import (
    FAULT_ILLOP,
    clamp,
    ctx_get,
    ctx_set,
    fault_if,
    run_loop,
    slot_ptr,
    slots_for,
)
from pydtrace.lang import ast as A


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


def i_index(g: ClauseGen, n: A.Call) -> int:
    return index_value(g, n, n.name == "rindex")[0]


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
