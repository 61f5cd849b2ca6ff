"""Type checking of ``print()`` (and the translated-pointer rule it shares with
``trace()``): illumos ``dt_action_trace``. Registered into ``sema.calls.CALLS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.sema.calls import CALLS, arg_count, fail
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def translated_pointer(ck: Checker, node: A.Expr) -> bool:
    """``xlate <T *> (x)`` (directly or through an inline such as ``curpsinfo``):
    libdtrace's DT_IDENT_XLPTR, which trace() and print() refuse."""
    from pydtrace.sema.kernel import follow

    base = follow(ck, node)
    if not isinstance(base, A.Xlate):
        return False
    return isinstance(ck.an.type_of(node).resolve(), T.PointerType)


def check_print(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 1)
    arg = n.args[0]
    if isinstance(arg, A.AggRef):
        raise fail("D_PRINT_AGG", "print( ) may not be applied to an aggregation -- did you "
                   "mean printa()?", n)
    t = ck.expr(arg)
    if isinstance(t.resolve(), T.VoidType):
        raise fail("D_PRINT_VOID", "print( ) may not be applied to a void expression", n)
    if translated_pointer(ck, arg):
        raise fail("D_PRINT_DYN", "print( ) may not be applied to a translated pointer", n)
    return T.VOID


def check_trace_xlptr(ck: Checker, n: A.Call) -> None:
    """Called by check_trace once the argument is typed."""
    if translated_pointer(ck, n.args[0]):
        raise fail("D_TRACE_DYN", "trace( ) may not be applied to a translated pointer", n)


CALLS.setdefault("print", check_print)
