"""Data-recording actions: each reserves fields in the clause record and stores them."""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.codegen.expr import compile_int
from pydtrace.codegen.layout import DRAINING, GLOBAL_ACTIVITY, Field
from pydtrace.consume import actions as C
from pydtrace.lang import ast as A
from pydtrace.sema.calls import arg_type
from pydtrace.types import model as T

RECORDING = {"trace", "printf", "exit", "printa", "clear", "trunc", "normalize",
             "denormalize", "setopt"}


def record_value(g: ClauseGen, node: A.Expr) -> Field:
    """Stores one value into the record; returns where it went."""
    from pydtrace.codegen.strings import copy_string, max_length

    t = g.an.type_of(node).resolve()
    assert g.record is not None
    if t.is_string:
        size = min(g.strsize, max_length(g, node))
        fld = g.info.layout.add(size, "string", align=1)
        copy_string(g, g.record, fld.offset, node, size, pad=False)
        return fld
    size = t.size if t.size in (1, 2, 4, 8) else 8
    signed = bool(getattr(t, "signed", False)) and not t.is_pointer
    fld = g.info.layout.add(size, "int", signed)
    value = compile_int(g, node)
    g.em.emit(I.stx(O.SIZE_OF_BYTES[size], g.record, fld.offset, value))
    return fld


def act_trace(g: ClauseGen, n: A.Call) -> None:
    fld = record_value(g, n.args[0])
    g.info.actions.append(C.TraceAct(fld, str(g.an.type_of(n.args[0]))))


def act_printf(g: ClauseGen, n: A.Call) -> None:
    fields = [record_value(g, a) for a in n.args[1:]]
    types = [arg_type(g.an.type_of(a)) for a in n.args[1:]]
    g.info.actions.append(C.PrintfAct(n.name, g.an.printf_convs[n], types, fields))


def act_exit(g: ClauseGen, n: A.Call) -> None:
    assert g.record is not None
    fld = g.info.layout.add(4, "int", True)
    value = compile_int(g, n.args[0])
    g.em.emit(I.stx(O.W, g.record, fld.offset, value))
    flag = g.em.vreg()
    g.em.emit(I.ld_map_value(flag, "globals", GLOBAL_ACTIVITY))
    g.em.emit(I.st_imm(O.DW, flag, 0, DRAINING))
    g.info.actions.append(C.ExitAct(fld))
    g.info.wakeup = True


def act_printa(g: ClauseGen, n: A.Call) -> None:
    aggs = [a.name for a in n.args if isinstance(a, A.AggRef)]
    g.info.actions.append(C.PrintaAct(g.an.printf_convs.get(n), aggs))


def act_aggop(g: ClauseGen, n: A.Call) -> None:
    agg = n.args[0]
    assert isinstance(agg, A.AggRef)
    fields = []
    for a in n.args[1:]:
        fld = g.info.layout.add(8, "int", True)
        assert g.record is not None
        g.em.emit(I.stx(O.DW, g.record, fld.offset, compile_int(g, a)))
        fields.append(fld)
    g.info.actions.append(C.AggOpAct(n.name, agg.name, fields))


def act_setopt(g: ClauseGen, n: A.Call) -> None:
    vals = [a.value.decode() for a in n.args if isinstance(a, A.StrLit)]
    g.info.actions.append(C.SetoptAct(vals[0], vals[1] if len(vals) > 1 else None))


ACTIONS = {"trace": act_trace, "printf": act_printf, "exit": act_exit, "printa": act_printa,
           "clear": act_aggop, "trunc": act_aggop, "normalize": act_aggop,
           "denormalize": act_aggop, "setopt": act_setopt}


def is_void(t: T.DType) -> bool:
    return isinstance(t.resolve(), T.VoidType)
