"""The remaining integer subroutines: rand, getmajor/getminor (dev_t fields)
and progenyof (a walk up the task tree)."""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import ClauseGen
from pydtrace.codegen.subr_blocks import ctx_get, ctx_set, run_loop
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

PROGENY_DEPTH = 64

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
