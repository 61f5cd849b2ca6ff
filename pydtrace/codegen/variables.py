"""Lowering of dynamic variables: ``self->``, ``this->`` and associative arrays."""

from __future__ import annotations

from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def unsupported(node: A.Node, what: str) -> DCompileError:
    return DCompileError("D_VAR_UNSUP", f"{what} are not supported yet", node.line or None)


def lower_self(g: ClauseGen, n: A.SelfVar) -> int:
    raise unsupported(n, "thread-local variables")


def lower_this(g: ClauseGen, n: A.ThisVar) -> int:
    raise unsupported(n, "clause-local variables")


def lower_index_assoc(g: ClauseGen, n: A.Index) -> int:
    raise unsupported(n, "associative arrays")


def store_other(g: ClauseGen, n: A.Assign) -> int:
    """Assignment to a dynamic variable or memory location; returns the value vreg."""
    raise DCompileError("D_OP_LVAL", "operator = requires modifiable lvalue as an operand",
                        n.line or None)


def incdec_other(g: ClauseGen, target: A.Expr, op: str, prefix: bool) -> int:
    raise DCompileError("D_OP_LVAL", f"operator {op} requires modifiable lvalue as an operand",
                        target.line or None)


def string_var(g: ClauseGen, node: A.Expr) -> int:
    """Pointer to the string held by a dynamic variable."""
    raise unsupported(node, "string-valued dynamic variables")
