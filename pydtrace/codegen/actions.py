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
             "denormalize", "setopt", "stack"}


def record_value(g: ClauseGen, node: A.Expr) -> Field:
    """Stores one value into the record; returns where it went."""
    from pydtrace.codegen.strings import copy_string, max_length

    t = g.an.type_of(node).resolve()
    assert g.record is not None
    if t.is_string or is_char_array(t):
        size = min(g.strsize, max_length(g, node))
        if isinstance(t, T.ArrayType):
            size = min(size, t.count + 1)
        fld = g.info.layout.add(size, "string", align=1)
        copy_string(g, g.record, fld.offset, node, size, pad=False)
        from pydtrace.codegen.subr import null_string_fault

        null_string_fault(g, node)
        return fld
    size = t.size if t.size in (1, 2, 4, 8) else 8
    signed = bool(getattr(t, "signed", False)) and not t.is_pointer
    fld = g.info.layout.add(size, "int", signed)
    value = compile_int(g, node)
    g.em.emit(I.stx(O.SIZE_OF_BYTES[size], g.record, fld.offset, value))
    return fld


def act_trace(g: ClauseGen, n: A.Call) -> None:
    arg = n.args[0]
    if isinstance(arg, A.Call) and arg.name in ("sym", "func", "mod"):
        from pydtrace.codegen.kernel import record_symaddr

        record_symaddr(g, arg)
        return
    if isinstance(arg, A.Call) and arg.name in ("usym", "ufunc", "uaddr", "umod"):
        from pydtrace.codegen.ustacks import record_uaddr

        record_uaddr(g, arg)
        return
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
    vals: list = [a.value.decode() if isinstance(a, A.StrLit) else record_value(g, a)
                  for a in n.args]  # non-constant strings: record fields
    g.info.actions.append(C.SetoptAct(vals[0], vals[1] if len(vals) > 1 else None))


ACTIONS = {"trace": act_trace, "printf": act_printf, "exit": act_exit, "printa": act_printa,
           "clear": act_aggop, "trunc": act_aggop, "normalize": act_aggop,
           "denormalize": act_aggop, "setopt": act_setopt}


def act_stack(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.kernel import act_stack as stack

    stack(g, n)


ACTIONS["stack"] = act_stack


def act_ustack(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.ustacks import act_ustack as ustack

    ustack(g, n)


ACTIONS["ustack"] = act_ustack
ACTIONS["jstack"] = act_ustack  # codegen.ustacks: jstackframes frames, no Java helper strings


def act_speculation(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen import speculation

    (speculation.act_speculate if n.name == "speculate" else speculation.act_commit)(g, n)


for _name in ("speculate", "commit", "discard"):
    ACTIONS[_name] = act_speculation
    RECORDING.add(_name)


def is_char_array(t: T.DType) -> bool:
    """char arrays (kernel ``comm[16]``...) are traced and printed as strings."""
    if not isinstance(t, T.ArrayType):
        return False
    e = t.elem.resolve()
    return isinstance(e, T.IntType) and e.size == 1


def is_void(t: T.DType) -> bool:
    return isinstance(t.resolve(), T.VoidType)


def _register_subr_actions() -> None:
    from pydtrace.codegen.subr_actions import SUBR_ACTIONS, SUBR_RECORDING

    for name, fn in SUBR_ACTIONS.items():
        ACTIONS.setdefault(name, fn)
    RECORDING.update(SUBR_RECORDING)


_register_subr_actions()


def act_print(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.printing import act_print as print_

    print_(g, n)


ACTIONS["print"] = act_print
RECORDING.add("print")


def act_symaddr(g: ClauseGen, n: A.Call) -> None:
    """``sym(addr);`` as a statement is an action: it records like ``trace(sym(addr))``."""
    act_trace(g, A.Call("trace", [n], line=n.line))


for _name in ("sym", "func", "mod", "usym", "ufunc", "umod", "uaddr"):
    ACTIONS.setdefault(_name, act_symaddr)
    RECORDING.add(_name)
