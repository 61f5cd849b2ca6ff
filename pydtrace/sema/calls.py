"""Type checking of actions and subroutines (``trace``, ``printf``, ``printa`` ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.output.printf import ArgType
    from pydtrace.sema.check import Checker

AGG_ACTIONS = {"clear": (1, 1), "trunc": (1, 2), "normalize": (2, 2), "denormalize": (1, 1)}


def fail(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


def check_call(ck: Checker, n: A.Call, statement: bool) -> T.DType:
    handler = CALLS.get(n.name)
    if handler is None:
        from pydtrace.sema.symbols import BUILTINS

        if n.name in BUILTINS:
            raise fail("D_FUNC_IDKIND", f"scalar '{n.name}' may not be referenced as a "
                       "function", n)
        raise fail("D_FUNC_UNDEF", f"failed to resolve {n.name}: Unknown function name", n)
    return handler(ck, n)


def arg_count(n: A.Call, lo: int, hi: int | None) -> None:
    count = len(n.args)
    if count >= lo and (hi is None or count <= hi):
        return
    if hi is None:
        expected = f"at least {lo}"
    elif lo == hi:
        expected = str(lo)
    else:
        expected = f"{lo}-{hi}" if count < lo else str(hi)
    plural = "s" if count != 1 else ""
    raise fail("D_PROTO_LEN", f"{n.name}( ) prototype mismatch: {count} arg{plural} passed, "
               f"{expected} expected", n)


def check_trace(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 1)
    if isinstance(n.args[0], A.AggRef):
        raise fail("D_TRACE_AGG", "trace( ) may not be applied to an aggregation", n)
    t = ck.expr(n.args[0])
    if isinstance(t.resolve(), T.VoidType):
        raise fail("D_TRACE_VOID", "trace( ) may not be applied to a void expression", n)
    from pydtrace.sema.printing import check_trace_xlptr

    check_trace_xlptr(ck, n)
    return T.VOID


def check_exit(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 1)
    t = ck.expr(n.args[0])
    if not t.resolve().is_integer:
        raise fail("D_PROTO_ARG", "exit( ) argument #1 is incompatible with prototype:\n"
                   f"\tprototype: int\n\t argument: {t}", n)
    return T.VOID


def format_string(ck: Checker, n: A.Call, index: int = 0) -> str:
    fmt = n.args[index]
    if not isinstance(fmt, A.StrLit):
        raise fail("D_PRINTF_ARG_FMT", f"{n.name}( ) argument #{index + 1} must be a "
                   "string constant", n)
    ck.expr(fmt)
    return fmt.value.decode("latin-1")


def check_printf(ck: Checker, n: A.Call) -> T.DType:
    from pydtrace.output.printf import check_printf as check_format

    arg_count(n, 1, None)
    fmt = format_string(ck, n)
    types = []
    for a in n.args[1:]:
        if isinstance(a, A.AggRef):
            raise fail("D_PRINTF_AGG_CONV", f"{n.name}( ) argument may not be an aggregation", a)
        types.append(arg_type(ck.expr(a)))
    ck.an.printf_convs[n] = check_format(n.name, fmt, types)
    return T.VOID


def agg_ref(ck: Checker, n: A.Call, arg: A.Expr, tag_prefix: str, argn: int = 1) -> None:
    if not isinstance(arg, A.AggRef):
        raise fail(f"{tag_prefix}_AGGARG", f"{n.name}( ) argument #{argn} is incompatible with "
                   "prototype:\n\tprototype: aggregation\n\t argument: "
                   f"{ck.expr(arg)}", n)
    if arg.name not in ck.an.symbols.aggs:
        raise fail(f"{tag_prefix}_AGGBAD", f"undefined aggregation: @{arg.name}", n)


def printa_keys_match(ck: Checker, n: A.Call, lhs: A.AggRef, rhs: A.AggRef) -> None:
    """dt_printa_validate: aggregations printed together need the same key signature."""
    from pydtrace.sema.check import compatible

    lkeys = ck.an.symbols.aggs[lhs.name].key_types or []
    rkeys = ck.an.symbols.aggs[rhs.name].key_types or []
    if len(lkeys) != len(rkeys):
        raise fail("D_PRINTA_AGGKEY", f"printa( ): @{lhs.name} and @{rhs.name} do not have "
                   f"matching key signatures: @{lhs.name} has {len(lkeys)} "
                   f"key{'' if len(lkeys) == 1 else 's'}, @{rhs.name} has {len(rkeys)} "
                   f"key{'' if len(rkeys) == 1 else 's'}", n)
    for i, (lt, rt) in enumerate(zip(lkeys, rkeys, strict=True)):
        if not compatible(lt, rt):
            raise fail("D_PRINTA_AGGPROTO", f"printa( ): @{lhs.name}[ ] key #{i + 1} is "
                       f"incompatible with @{rhs.name}:\n\t@{lhs.name} key #{i + 1}: {lt}\n"
                       f"\t@{rhs.name} key #{i + 1}: {rt}", n)


def check_printa(ck: Checker, n: A.Call) -> T.DType:
    from pydtrace.output.printf import check_printf as check_format

    argr = 2 if n.args and isinstance(n.args[0], A.StrLit) else 1
    if len(n.args) < argr:
        raise fail("D_PRINTA_PROTO", f"printa( ) prototype mismatch: {len(n.args)} args "
                   f"passed, {argr} expected", n)
    fmt = format_string(ck, n) if argr == 2 else None
    aggs = n.args[argr - 1:]
    for i, a in enumerate(aggs):
        agg_ref(ck, n, a, "D_PRINTA", argr + i)
        if i:
            printa_keys_match(ck, n, aggs[0], a)  # type: ignore[arg-type]
    if len(aggs) > 1 and fmt is None:
        raise fail("D_PRINTA_PROTO", "printa( ) of several aggregations without a format is "
                   "not supported yet", n)
    if fmt is not None:
        first = ck.an.symbols.aggs[aggs[0].name]  # type: ignore[union-attr]
        keys = [arg_type(t) for t in first.key_types or []]
        ck.an.printf_convs[n] = check_format("printa", fmt, keys, printa=True)
    return T.VOID


def check_agg_action(ck: Checker, n: A.Call) -> T.DType:
    lo, hi = AGG_ACTIONS[n.name]
    tag = {"clear": "D_CLEAR", "trunc": "D_TRUNC", "normalize": "D_NORMALIZE",
           "denormalize": "D_NORMALIZE"}[n.name]
    if not lo <= len(n.args) <= hi:
        if lo == hi:
            expected = str(lo)
        else:
            expected = f"at least {lo}" if len(n.args) < lo else f"no more than {hi}"
        raise fail(f"{tag}_PROTO", f"{n.name}( ) prototype mismatch: {len(n.args)} args "
                   f"passed, {expected} expected", n)
    agg_ref(ck, n, n.args[0], tag)
    for a in n.args[1:]:
        if not ck.expr(a).resolve().is_scalar:
            raise fail(f"{tag}_SCALAR", f"{n.name}( ) argument #2 must be of scalar type", n)
    return T.VOID


def check_setopt(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 2)
    for i, a in enumerate(n.args):  # any string: recorded, applied by the consumer
        if not ck.expr(a).resolve().is_string:
            raise fail("D_PROTO_ARG", f"setopt( ) argument #{i + 1} is incompatible with "
                       "prototype:\n\tprototype: string\n\t argument: "
                       f"{ck.expr(a)}", a)
    return T.VOID


USTACK_KINDS = {"ustack": "ustack", "_usymaddr": "usym", "_ufuncaddr": "ufunc",
                "_uaddraddr": "uaddr", "_umodaddr": "umod"}


def arg_type(t: T.DType) -> ArgType:
    """The printf-checking view of a D type."""
    from pydtrace.output.printf import ArgType

    if isinstance(t, T.Typedef) and t.name in ("stack", "_symaddr", "_modaddr"):
        return ArgType({"stack": "stack", "_symaddr": "symaddr"}.get(t.name, "modaddr"), 8,
                       False, t.name)  # kernel stack ids and symbol addresses (sema.stacks)
    if isinstance(t, T.Typedef) and t.name in USTACK_KINDS:  # sema.ustacks
        return ArgType(USTACK_KINDS[t.name], 8, False, t.name)
    r = t.resolve()
    if r.is_string:
        return ArgType("string", r.size, False, str(t))
    if isinstance(r, T.IntType | T.EnumType):
        return ArgType("int", r.size, bool(getattr(r, "signed", True)), str(t))
    if r.is_pointer:
        return ArgType("ptr", 8, False, str(t))
    if isinstance(r, T.ArrayType):
        elem = r.elem.resolve()
        kind = "chararray" if isinstance(elem, T.IntType) and elem.size == 1 else "array"
        return ArgType(kind, r.size, False, str(t))
    if isinstance(r, T.FloatType):
        return ArgType("float", r.size, True, str(t))
    if isinstance(r, T.StructType):
        return ArgType("struct", r.size, False, str(t))
    return ArgType("void", 0, False, str(t))


CALLS = {
    "trace": check_trace, "exit": check_exit, "printf": check_printf, "printa": check_printa,
    "clear": check_agg_action, "trunc": check_agg_action, "normalize": check_agg_action,
    "denormalize": check_agg_action, "setopt": check_setopt,
}

from pydtrace.sema import stacks as _stacks  # noqa: E402,F401  (registers stack()/sym()...)
from pydtrace.sema import subrs as _subrs  # noqa: E402,F401  (registers subroutines)


def _register_speculation() -> None:
    from pydtrace.sema.speculation import register

    register(CALLS)


_register_speculation()
from pydtrace.sema import printing as _printing  # noqa: E402,F401  (print())
from pydtrace.sema import ustacks as _ustacks  # noqa: E402,F401  (ustack()/usym()...)
