"""The native and translated types of ``args[N]`` (illumos dt_idcook_args).

A provider declares each argument as a C type, ``OUT <= NATIVE`` (translated
through a D library translator) or ``TYPE = EXPR`` (``providers.stable``).
Before ``args[N]`` is used, both types must resolve -- else D_ARGS_TYPE
("failed to resolve translated type for args[N]", checked first, then the
native one) -- and a translated argument needs a translator from the native
to the translated type unless the two are compatible, else D_ARGS_XLATOR.
Both happen when the D library that defines the type or translator is not
loaded (``-x nolibs``) and the script does not declare it itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def _resolve(ck: Checker, text: str, what: str, idx: int, n: A.Node) -> T.DType | None:
    from pydtrace.sema.kernel import type_from_string

    if text.strip() == "string":
        return None
    try:
        return type_from_string(ck, text)
    except DCompileError as exc:
        raise DCompileError("D_ARGS_TYPE", f"failed to resolve {what} type for args[{idx}]",
                            n.line or None) from exc


def check_arg_types(ck: Checker, idx: int, spec: str, n: A.Node) -> None:
    """Raises D_ARGS_TYPE / D_ARGS_XLATOR for provider argument spec ``spec``."""
    if " = " in spec:
        _resolve(ck, spec.partition(" = ")[0], "translated", idx, n)
        return
    out, _, native = spec.partition(" <= ")
    xt = _resolve(ck, out, "translated", idx, n)
    if not native:
        return
    nt = _resolve(ck, native, "native", idx, n)
    if xt is None or nt is None or _compatible(nt, xt):
        return
    from pydtrace.sema.kernel import resolve_typename, xlator_key, xlators_for

    for item in xlators_for(ck, xlator_key(xt)):  # dt_xlator_lookup: input must match
        try:
            if _compatible(nt, resolve_typename(ck, item.in_type)):
                return
        except DCompileError:
            continue
    raise DCompileError("D_ARGS_XLATOR", f"translator for args[{idx}] from {_name(nt)} to "
                        f"{_name(xt)} is not defined", n.line or None)


def _compatible(a: T.DType, b: T.DType) -> bool:
    """dt_node_is_argcompat: the same type, or both integers, or both pointers to the
    same (or void) type: no translation is needed."""
    ra, rb = a.resolve(), b.resolve()
    if ra is rb or ra == rb:
        return True
    if ra.is_integer and rb.is_integer:
        return True
    if isinstance(ra, T.PointerType) and isinstance(rb, T.PointerType):
        ta, tb = ra.target.resolve(), rb.target.resolve()
        return ta is tb or ta == tb or isinstance(ta, T.VoidType) or \
            isinstance(tb, T.VoidType)
    return False


def _name(t: T.DType) -> str:
    return str(t)
