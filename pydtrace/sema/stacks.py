"""Type checking of the kernel stack and symbol built-ins: ``stack([n])``,
``sym(addr)``, ``func(addr)``, ``mod(addr)``. Registered into ``sema.calls.CALLS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.sema.calls import CALLS, arg_count, fail
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

STACK = T.Typedef("stack", T.ULONG)  # a stack id as an aggregation key
SYMADDR = T.Typedef("_symaddr", T.ULONG)
MODADDR = T.Typedef("_modaddr", T.ULONG)


def check_stack(ck: Checker, n: A.Call) -> T.DType:
    if len(n.args) > 1:
        raise fail("D_STACK_PROTO", "stack( ) prototype mismatch: too many arguments",
                   n.args[0])
    if n.args:
        ck.expr(n.args[0])
        c = ck.const(n.args[0])
        if c is None or c <= 0:
            raise fail("D_STACK_SIZE", "stack( ) size must be a non-zero positive "
                       "integral constant expression", n.args[0])
    ck.an.uses.add("stack")
    return STACK


def check_symaddr(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 1)
    t = ck.expr(n.args[0])
    if not t.resolve().is_scalar:
        raise fail("D_PROTO_ARG", f"{n.name}( ) argument #1 is incompatible with "
                   f'prototype:\n\tprototype: uintptr_t\n\t argument: {t}', n.args[0])
    return MODADDR if n.name == "mod" else SYMADDR


def register() -> None:
    CALLS.setdefault("stack", check_stack)
    for name in ("sym", "func", "mod"):
        CALLS.setdefault(name, check_symaddr)


register()
