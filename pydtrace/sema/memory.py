"""Semantic analysis of memory and kernel types: ``->``/``.``, ``args[]``,
`` `symbols ``, ``offsetof``, ``xlate``, indexing pointers and arrays
(issues: variables/memory and kernel providers). Mixed into ``Checker``."""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T


class MemoryMixin:
    def e_MemberRef(self, n: A.MemberRef) -> T.DType:
        from pydtrace.sema import kernel

        if kernel.translated_base(self, n):  # xlate/curpsinfo/args[] (kernel providers)
            return kernel.member_ref(self, n)
        from pydtrace.sema.dmembers import check_member

        return check_member(self, n)

    def e_ExternIdent(self, n: A.ExternIdent) -> T.DType:
        from pydtrace.sema.kernel import extern_ident

        return extern_ident(self, n)

    def e_Offsetof(self, n: A.Offsetof) -> T.DType:
        from pydtrace.sema.dmembers import check_offsetof

        return check_offsetof(self, n)

    def e_Xlate(self, n: A.Xlate) -> T.DType:
        from pydtrace.sema.kernel import check_xlate

        return check_xlate(self, n)

    def index_args(self, n: A.Index) -> T.DType:
        from pydtrace.sema.kernel import index_args

        return index_args(self, n)

    def index_memory(self, n: A.Index) -> T.DType:
        from pydtrace.sema.dmembers import check_array_index

        t = check_array_index(self, n)
        if t is not None:
            return t
        raise DCompileError("D_OP_PTR", "indexing pointers and arrays is not supported yet",
                            n.line or None)
