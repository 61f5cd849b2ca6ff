"""Lowering of subroutine calls (``strlen``, ``copyin``, ``htons`` ...).

Integer-valued subroutines return a vreg holding the value; string-valued ones
a vreg pointing at a scratch buffer (``string_call``).
"""

from __future__ import annotations

from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def lower_call(g: ClauseGen, n: A.Call) -> int:
    raise DCompileError("D_CG_EXPR", f"subroutine {n.name}( ) is not supported yet",
                        n.line or None)


def string_call(g: ClauseGen, n: A.Call) -> int:
    raise DCompileError("D_CG_EXPR", f"subroutine {n.name}( ) is not supported yet",
                        n.line or None)
