"""Translator checks (dt_xlator_create, dt_cook_xlator, dt_xlator_lookup)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def err(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


def category(t: T.DType) -> str:
    r = t.resolve()
    if r.is_string:
        return "string"
    if isinstance(r, T.PointerType | T.ArrayType):
        return "pointer"
    if r.is_integer:
        return "integer"
    return str(r)


def check_translator(ck: Checker, item: A.TranslatorDecl, out: T.DType) -> None:
    """Each member must name a member of the output type and be assignable to it."""
    from pydtrace.sema.check import assignable
    from pydtrace.sema.kernel import resolve_typename, substitute

    sou = out.resolve()
    if not isinstance(sou, T.StructType) or not sou.complete:
        return
    in_type = resolve_typename(ck, item.in_type)
    for m in item.members:
        member = sou.member(m.name)
        if member is None:
            raise err("D_XLATE_MEMB", f"translator member {m.name} is not a member of {out}", m)
        # type the definition with the input bound to a value of the input type
        probe = A.Cast(item.in_type, A.IntLit(0, "0", line=m.line), line=m.line)
        if not in_type.resolve().is_scalar or getattr(ck, "in_dlib", 0):
            continue  # D libraries are trusted: no eager typing of their members
        uses = set(ck.an.uses)
        try:
            vt = ck.expr(substitute(m.value, item.in_name, probe))
        except DCompileError:
            continue  # reported where the member is used
        finally:
            ck.an.uses = uses  # only members used by the program count
        if not assignable(member.type, vt):
            raise err("D_XLATE_INCOMPAT", f"translator member {m.name} definition uses "
                      f'incompatible types: "{member.type}" = "{vt}"', m)


def check_input(ck: Checker, n: A.Xlate, item: A.TranslatorDecl, operand: T.DType,
                out: T.DType) -> None:
    """xlate <T> (x): x must have the translator's input kind of type."""
    from pydtrace.sema.kernel import resolve_typename

    in_type = resolve_typename(ck, item.in_type)
    if category(in_type) != category(operand):
        target = out.resolve()
        name = target.target if isinstance(target, T.PointerType) else out
        raise err("D_XLATE_NONE", f'cannot translate from "{operand}" to "{name}"', n)
