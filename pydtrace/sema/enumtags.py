"""Kernel enum tags on the right of a comparison (illumos dt_cook_op2).

``e == TAG`` (and ``!= < <= > >=``) where ``e`` has a kernel (BTF) enum type
and ``TAG`` is an unscoped identifier naming one of that enum's enumerators:
``TAG`` becomes the enumerator's value, typed as the enum. Kernel
enumerators are not D identifiers otherwise. If ``TAG`` also names a D global
(a variable, built-in, inline, function...), the reference is ambiguous:
D_IDENT_AMBIG. D-declared enumerators are plain integer constants already
(they never reach this rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def enum_tag(ck: Checker, n: A.Binary, lt: T.DType) -> T.DType | None:
    """The type of ``n.right`` if it is an enum tag of ``lt`` (now a constant), else None."""
    r = lt.resolve()
    rhs = n.right
    if not isinstance(r, T.EnumType) or not isinstance(rhs, A.Ident):
        return None
    name = rhs.name
    if name not in r.values or name in ck.an.symbols.enums:
        return None
    kind = global_kind(ck, name)
    if kind is not None:
        raise DCompileError("D_IDENT_AMBIG", f"ambiguous use of operator {n.op}: {name} is "
                            f"both a {lt} enum tag and a global {kind}", n.line or None)
    ck.an.consts[rhs] = r.values[name]
    ck.an.types[rhs] = lt
    return lt


def global_kind(ck: Checker, name: str) -> str | None:
    """dt_idkind_name of global identifier ``name`` (None: there is none)."""
    from pydtrace.sema.calls import CALLS
    from pydtrace.sema.check import AGG_FUNCS, VOID_ACTIONS
    from pydtrace.sema.kernel import dlib_for, load_dlib
    from pydtrace.sema.symbols import BUILTINS

    syms = ck.an.symbols
    if name in syms.globals:
        return "scalar"
    if ("global", name) in syms.dynvars:
        return "associative array"
    if name in ("args", "uregs"):
        return "associative array"
    if name in BUILTINS:
        return "scalar"
    if name in AGG_FUNCS:
        return "aggregating function"
    if name in VOID_ACTIONS:
        return "tracing function"
    if name in CALLS:
        return "function"
    if name not in ck.an.inlines and dlib_for(name) is not None:
        load_dlib(ck, dlib_for(name) or "")
    found = ck.an.inlines.get(name)
    if found is not None:
        return "associative array" if found[1].params else "scalar"
    return None
