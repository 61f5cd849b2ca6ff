"""Semantic analysis of dynamic variables: ``self->``, ``this->``, associative
arrays (issue: variables, strings, memory). Mixed into ``Checker``."""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T


class VariablesMixin:
    def e_SelfVar(self, n: A.SelfVar) -> T.DType:
        raise DCompileError("D_VAR_UNSUP", "thread-local variables are not supported yet",
                            n.line or None)

    def e_ThisVar(self, n: A.ThisVar) -> T.DType:
        raise DCompileError("D_VAR_UNSUP", "clause-local variables are not supported yet",
                            n.line or None)

    def index_assoc(self, n: A.Index) -> T.DType:
        raise DCompileError("D_VAR_UNSUP", "associative arrays are not supported yet",
                            n.line or None)

    def assign_other(self, n: A.Assign, vt: T.DType) -> T.DType:
        """Assignment to anything but a plain global (``self->x``, ``a[k]``, ``s.m``)."""
        raise DCompileError("D_OP_LVAL", f"operator {n.op} requires modifiable lvalue as "
                            "an operand", n.target.line or None)

    def incdec_other(self, n: A.Node, target: A.Expr) -> T.DType:
        raise DCompileError("D_OP_LVAL", "operator ++ requires modifiable lvalue as an operand",
                            target.line or None)
