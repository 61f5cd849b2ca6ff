"""Type checking of the user-stack built-ins: ``ustack([n [, strsize]])``,
``usym(addr)``, ``ufunc(addr)``, ``uaddr(addr)``, ``umod(addr)`` (registered into
``sema.calls.CALLS``); ``ucaller`` and ``ustackdepth`` are in ``sema.symbols.BUILTINS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.sema.calls import CALLS, arg_count, fail
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

USTACK = T.Typedef("ustack", T.ULONG)  # (pid << 32 | user stack id) as an aggregation key
UADDR_TYPES = {name: T.Typedef(f"_{name}addr", T.ULONG)
               for name in ("usym", "ufunc", "uaddr", "umod")}


def check_ustack(ck: Checker, n: A.Call) -> T.DType:
    for i, a in enumerate(n.args[:2]):
        ck.expr(a)
        c = ck.const(a)
        if i == 0 and (c is None or c <= 0):
            raise fail("D_USTACK_FRAMES", f"{n.name}( ) argument #1 must be a non-zero "
                       "positive integer constant", a)
        if i == 1 and (c is None or c < 0):
            raise fail("D_USTACK_STRSIZE", f"{n.name}( ) argument #2 must be a positive "
                       "integer constant", a)
    if len(n.args) > 2:
        raise fail("D_USTACK_PROTO", f"{n.name}( ) prototype mismatch: too many arguments",
                   n.args[1])
    ck.an.uses.add("ustack")
    return USTACK


def check_uaddr(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 1, 1)
    t = ck.expr(n.args[0])
    if not t.resolve().is_scalar:
        raise fail("D_PROTO_ARG", f"{n.name}( ) argument #1 is incompatible with "
                   f'prototype:\n\tprototype: uintptr_t\n\t argument: {t}', n.args[0])
    ck.an.uses.add("usymaddr")
    return UADDR_TYPES[n.name]


def register() -> None:
    CALLS.setdefault("ustack", check_ustack)
    CALLS.setdefault("jstack", check_ustack)  # no Java helpers: ustack with jstackframes
    for name in UADDR_TYPES:
        CALLS.setdefault(name, check_uaddr)


register()
