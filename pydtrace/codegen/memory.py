"""Lowering of memory access: ``*p``, ``p->m``, ``s.m``, ``p[i]``, ``args[]``,
kernel symbols, ``stringof`` and string casts of pointers."""

from __future__ import annotations

from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def unsupported(node: A.Node, what: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", f"{what} is not supported yet", node.line or None)


def lower_member(g: ClauseGen, n: A.MemberRef) -> int:
    if n in g.an.rewrites:  # translated members (codegen.kernel)
        from pydtrace.codegen.kernel import lower_member as lower_translated

        return lower_translated(g, n)
    from pydtrace.codegen.dmemory import lower_lvalue

    return lower_lvalue(g, n)


def lower_deref(g: ClauseGen, n: A.Unary) -> int:
    """``*p``: read through the pointer (probe_read; invalid address fault)."""
    from pydtrace.codegen.dmemory import lower_lvalue

    return lower_lvalue(g, n)


def lower_index_memory(g: ClauseGen, n: A.Index) -> int:
    from pydtrace.codegen.dmemory import lower_lvalue

    return lower_lvalue(g, n)


def store_member(g: ClauseGen, n: A.Assign) -> int:
    """Assignment to a member/element of a D variable (``s.m = v``, ``g[i] = v``)."""
    from pydtrace.codegen.dmemory import store_member as store

    return store(g, n)


def incdec_member(g: ClauseGen, target: A.Expr, op: str, prefix: bool) -> int:
    from pydtrace.codegen.dmemory import incdec_member as incdec

    return incdec(g, target, op, prefix)


def lower_args(g: ClauseGen, n: A.Index) -> int:
    from pydtrace.codegen.expr import compile_int

    if n in g.an.rewrites:  # typed args[] are casts of argN (sema.kernel.index_args)
        return compile_int(g, g.an.rewrites[n])
    raise unsupported(n, "args[]")


def lower_extern(g: ClauseGen, n: A.ExternIdent) -> int:
    from pydtrace.codegen.kernel import lower_extern as lower

    return lower(g, n)


def string_mem(g: ClauseGen, node: A.Expr) -> int:
    """Pointer to a scratch copy of a string read from memory (stringof, casts)."""
    from pydtrace.codegen.dstructs import string_member
    from pydtrace.codegen.kernel import string_from

    ptr = string_member(g, node)  # s.name, q->name, self->s.name (D structs)
    if ptr is None:
        ptr = string_from(g, node)
    if ptr is None:
        raise unsupported(node, "reading strings from memory")
    return ptr
