"""Semantic analysis of memory and kernel types: ``->``/``.``, ``args[]``,
`` `symbols ``, ``offsetof``, ``xlate``, indexing pointers and arrays
(issues: variables/memory and kernel providers). Mixed into ``Checker``."""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T


class MemoryMixin:
    def e_MemberRef(self, n: A.MemberRef) -> T.DType:
        raise DCompileError("D_TYPE_MEMBER", "member access is not supported yet",
                            n.line or None)

    def e_ExternIdent(self, n: A.ExternIdent) -> T.DType:
        raise DCompileError("D_SYM_BADREF", "kernel symbols are not supported yet",
                            n.line or None)

    def e_Offsetof(self, n: A.Offsetof) -> T.DType:
        raise DCompileError("D_OFFSETOF_TYPE", "offsetof is not supported yet", n.line or None)

    def e_Xlate(self, n: A.Xlate) -> T.DType:
        raise DCompileError("D_XLATE_NONE", "translators are not supported yet", n.line or None)

    def index_args(self, n: A.Index) -> T.DType:
        raise DCompileError("D_ARGS_NONE", "args[] is not supported yet", n.line or None)

    def index_memory(self, n: A.Index) -> T.DType:
        raise DCompileError("D_OP_PTR", "indexing pointers and arrays is not supported yet",
                            n.line or None)
