"""Member access, offsetof and array indexing on types declared in D
(``struct``/``union`` with C layout and bit-fields, fixed-size arrays).

``member_of`` is the one place that finds a member; kernel (BTF) struct types
can plug in there (``btf_member`` hook) without touching the callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def fail(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


def member_of(sou: T.DType, name: str, node: A.Node) -> T.StructMember:
    """The member ``name`` of a struct/union type (D_TYPE_MEMBER if none)."""
    r = sou.resolve()
    if isinstance(r, T.StructType):
        if not r.complete:
            op = "->" if getattr(node, "arrow", False) else "."
            raise fail("D_OP_INCOMPLETE", f"operator {op} cannot be applied to a forward "
                       f"declaration: no {r} definition is available", node)
        m = r.member(name)
        if m is not None:
            return m
        for anon in r.members:  # members of anonymous struct/union members, nested
            ar = anon.type.resolve()
            if not anon.name and isinstance(ar, T.StructType):
                try:
                    inner = member_of(ar, name, node)
                except DCompileError:
                    inner = None
                if inner is not None:
                    return T.StructMember(inner.name, inner.type, anon.offset + inner.offset,
                                          inner.bit_offset, inner.bits)
    raise fail("D_TYPE_MEMBER", f"{name} is not a member of {sou}", node)


def check_member(ck: Checker, n: A.MemberRef) -> T.DType:
    t = ck.expr(n.base)
    r = t.resolve()
    inl = ck.an.inlines.get(n.name)  # dt_node_ident: an integer inline is a constant
    if n.name in ck.an.symbols.enums or inl is not None and inl[1].params is None and (
            isinstance(inl[1].value, A.IntLit) or inl[1].value in ck.an.consts):
        op = "->" if n.arrow else "."
        raise fail("D_OP_IDENT", f"operator {op} must be followed by an identifier", n)
    if n.arrow:
        if not isinstance(r, T.PointerType):
            raise fail("D_OP_PTR", "operator -> must be applied to a pointer", n)
        target = r.target
    else:
        target = t
    if not isinstance(target.resolve(), T.StructType):
        if n.arrow:
            raise fail("D_OP_SOU", f'operator -> cannot be applied to pointer to type '
                       f'"{target}"; must be applied to a struct or union pointer', n)
        raise fail("D_OP_SOU", f'operator . cannot be applied to type "{target}"; must be '
                   "applied to a struct or union", n)
    return member_of(target, n.name, n).type


def check_offsetof(ck: Checker, n: A.Offsetof) -> T.DType:
    from pydtrace.sema.decls import resolve_type_name

    t = resolve_type_name(ck, n.type)
    if not isinstance(t.resolve(), T.StructType):
        raise fail("D_OFFSETOF_TYPE", "offsetof operand must be a struct or union type", n)
    m = member_of(t, n.member, n)
    if m.bits:
        raise fail("D_OFFSETOF_BITFIELD", f"cannot take offset of a bit-field: {n.member}", n)
    ck.an.consts[n] = m.offset
    return T.SIZE_T


def check_array_index(ck: Checker, n: A.Index) -> T.DType | None:
    """``g[i]`` on a global D array or pointer; None when not a D array."""
    t = ck.expr(n.base)
    r = t.resolve()
    if len(n.keys) != 1:
        return None
    kt = ck.expr(n.keys[0])
    if not kt.resolve().is_integer:
        raise fail("D_OP_INT", "index of [ ] must be of integral type", n)
    if isinstance(r, T.ArrayType):
        c = ck.const(n.keys[0])
        if c is not None and not 0 <= c < r.count:
            raise fail("D_ARR_BADREF", f"index {c} is out of range for array of {r.count} "
                       "elements", n)
        return r.elem
    if isinstance(r, T.PointerType):
        return r.target
    return None


def layout_bitfield(offset_bits: int, mt: T.DType, bits: int) -> tuple[int, int, int]:
    """C (SysV) placement of a ``bits``-wide bit-field of type ``mt`` at bit
    position ``offset_bits``: returns (byte offset of its storage unit, bit
    offset inside that unit, next bit position). A bit-field never straddles
    a storage unit of its type; width 0 closes the current unit."""
    unit = max(1, mt.size) * 8
    if bits == 0:
        end = (offset_bits + unit - 1) // unit * unit
        return end // 8, 0, end
    if offset_bits // unit != (offset_bits + bits - 1) // unit:
        offset_bits = (offset_bits + unit - 1) // unit * unit
    start = offset_bits // unit * unit
    return start // 8, offset_bits - start, offset_bits + bits
