"""Statement-level helpers shared by the expression lowering."""

from pydtrace.codegen.clause import compile_effect

__all__ = ["compile_effect"]
