"""Destructive subroutines: raise, stop, copyout, copyoutstr and chill.

They are statements; sema.subrs marks a program using them destructive (running
it then needs ``-w``).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.subr_blocks import (
    FAULT_BADADDR,
    FAULT_ILLOP,
    clamp,
    ctx_set,
    fault_if,
    run_loop,
    slot_ptr,
)
from pydtrace.codegen.subr_memory import scratch_dest
from pydtrace.codegen.subr_strings import str_input
from pydtrace.lang import ast as A

SIGSTOP = 19
CHILL_MAX_NS = 500_000_000  # per CHILL_INTERVAL_NS window per CPU (illumos)
CHILL_INTERVAL_NS = 1_000_000_000

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
