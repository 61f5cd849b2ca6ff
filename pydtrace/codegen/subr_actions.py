"""Actions owned by the subroutine layer: ``tracemem``, the consumer-side
``system``/``freopen``/``ftruncate``, and void subroutines used as statements
(``copyinto``, ``bcopy``, ``raise``, ``copyout`` ...)."""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.lang import ast as A


def act_tracemem(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.faults import fault_label
    from pydtrace.consume.actions import TracememAct

    assert g.record is not None
    size = g.an.consts[n.args[1]]
    addr = g.em.copy(compile_int(g, n.args[0]))
    fld = g.info.layout.add(size, "bytes", align=8)
    dyn = None
    if len(n.args) > 2:
        dyn = g.info.layout.add(8, "int", True)
        g.em.emit(I.stx(O.DW, g.record, dyn.offset, compile_int(g, n.args[2])))
    got = g.em.call(H.PROBE_READ_KERNEL, [("reg+", g.record, fld.offset), ("imm", size), addr])
    g.em.emit(I.jmp_imm(O.JSLT, got, 0, fault_label(g, 1, addr)))
    g.info.actions.append(TracememAct(fld, dyn))


def act_consumer_printf(g: ClauseGen, n: A.Call) -> None:
    """system() and freopen(): formatted like printf, acted on by the consumer."""
    from pydtrace.codegen.actions import act_printf

    act_printf(g, n)


def act_ftruncate(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.consume.actions import FtruncateAct

    g.info.actions.append(FtruncateAct())


def act_void_subr(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.subr import lower_call

    lower_call(g, n)


SUBR_ACTIONS = {"tracemem": act_tracemem, "system": act_consumer_printf,
                "freopen": act_consumer_printf, "ftruncate": act_ftruncate}
SUBR_ACTIONS.update({name: act_void_subr for name in (
    "copyinto", "bcopy", "raise", "stop", "copyout", "copyoutstr", "chill")})
SUBR_RECORDING = {"tracemem", "system", "freopen", "ftruncate"}
