"""Objects inside D global variables whose address ``&`` may take.

As in DTrace, a D variable itself (``&x``, ``&a``, ``&self->x``...) is refused
(D_ADDROF_VAR), but an element of a global D array (``&a[i]``) or a member of
a global D struct or union (``&s.m``, ``&a[i].m``) lives in memory the program
addresses (the ``globals`` map value; codegen.gmemory).
"""

from __future__ import annotations

from pydtrace.lang import ast as A
from pydtrace.types import model as T


def global_lvalue(an, node: A.Expr) -> bool:
    """Is the (checked) ``node`` an element or member inside a D global?"""
    if node in an.rewrites:
        return False
    if isinstance(node, A.Index) and len(node.keys) == 1:
        base = node.base
        return isinstance(an.type_of(base).resolve(), T.ArrayType) and (
            global_object(an, base) or global_lvalue(an, base))
    if isinstance(node, A.MemberRef) and not node.arrow:
        return global_object(an, node.base) or global_lvalue(an, node.base)
    return False


def global_object(an, node: A.Expr) -> bool:
    """A D global variable of array, struct or union type."""
    return isinstance(node, A.Ident) and node not in an.rewrites \
        and node.name in an.symbols.globals \
        and isinstance(an.symbols.globals[node.name].type.resolve(),
                       T.ArrayType | T.StructType)


def decay(an, node: A.Expr, t: T.DType) -> T.DType:
    """``t``, or a pointer to the first element when ``node`` is a D global
    array used as a value (the node is retyped so codegen scales by it)."""
    r = t.resolve()
    if isinstance(r, T.ArrayType) and global_object(an, node):
        t = an.types[node] = T.PointerType(r.elem)
    return t
