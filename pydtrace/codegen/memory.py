"""Lowering of memory access: ``*p``, ``p->m``, ``s.m``, ``p[i]``, ``args[]``,
kernel symbols, ``stringof`` and string casts of pointers."""

from __future__ import annotations

from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def unsupported(node: A.Node, what: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", f"{what} is not supported yet", node.line or None)


def lower_member(g: ClauseGen, n: A.MemberRef) -> int:
    raise unsupported(n, "member access")


def lower_deref(g: ClauseGen, n: A.Unary) -> int:
    raise unsupported(n, "pointer dereference")


def lower_index_memory(g: ClauseGen, n: A.Index) -> int:
    raise unsupported(n, "indexing memory")


def lower_args(g: ClauseGen, n: A.Index) -> int:
    raise unsupported(n, "args[]")


def lower_extern(g: ClauseGen, n: A.ExternIdent) -> int:
    raise unsupported(n, "kernel symbol access")


def string_mem(g: ClauseGen, node: A.Expr) -> int:
    """Pointer to a scratch copy of a string read from memory (stringof, casts)."""
    raise unsupported(node, "reading strings from memory")
