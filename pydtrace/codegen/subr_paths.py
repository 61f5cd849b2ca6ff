"""Path subroutines on strings: basename, dirname and cleanpath (d_path, which
walks kernel dentries, is in ``codegen.dpath``)."""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.subr_blocks import ctx_get, ctx_set, run_loop, slots_for
from pydtrace.codegen.subr_strings import copy_range, result_literal, str_input
from pydtrace.lang import ast as A


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
