"""Constant parameters of lquantize() and llquantize(), checked as DTrace does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _const(ck: Checker, stmt: A.AggStmt, index: int, tag: str, what: str) -> int:
    node = stmt.args[index]
    value = ck.const(node)
    if value is None:
        raise DCompileError(tag, f"{stmt.func}( ) argument #{index + 1} must be an integer "
                            f"constant ({what})", node.line or None)
    return value


def lquantize_params(ck: Checker, stmt: A.AggStmt) -> tuple[int, ...]:
    low = _const(ck, stmt, 1, "D_LQUANT_BASETYPE", "lower bound")
    high = _const(ck, stmt, 2, "D_LQUANT_LIMTYPE", "upper bound")
    step = _const(ck, stmt, 3, "D_LQUANT_STEPTYPE", "step") if len(stmt.args) > 3 else 1
    line = stmt.line or None
    if not INT32_MIN <= low <= INT32_MAX:
        raise DCompileError("D_LQUANT_BASEVAL", "lquantize( ) base (argument #2) must be "
                            "a 32-bit quantity", line)
    if not INT32_MIN <= high <= INT32_MAX:
        raise DCompileError("D_LQUANT_LIMVAL", "lquantize( ) limit (argument #3) must be a "
                            "32-bit quantity", line)
    if high <= low:
        raise DCompileError("D_LQUANT_MISMATCH", "lquantize( ) base (argument #2) must be "
                            "less than limit (argument #3)", line)
    if not 0 < step <= 0xFFFF:
        raise DCompileError("D_LQUANT_STEPVAL", "lquantize( ) step (argument #4) must be a "
                            "16-bit quantity", line)
    levels = (high - low) // step
    if levels == 0:
        raise DCompileError("D_LQUANT_STEPLARGE", "lquantize( ) step (argument #4) too "
                            "large: must have at least one quantization level", line)
    if levels > 0xFFFF:
        raise DCompileError("D_LQUANT_STEPSMALL", "lquantize( ) step (argument #4) too "
                            "small: number of quantization levels must be a 16-bit quantity",
                            line)
    return (low, high, step)


def llquantize_params(ck: Checker, stmt: A.AggStmt) -> tuple[int, ...]:
    factor = _const(ck, stmt, 1, "D_LLQUANT_FACTORTYPE", "factor")
    low = _const(ck, stmt, 2, "D_LLQUANT_LOWTYPE", "low magnitude")
    high = _const(ck, stmt, 3, "D_LLQUANT_HIGHTYPE", "high magnitude")
    nsteps = _const(ck, stmt, 4, "D_LLQUANT_NSTEPTYPE", "linear steps per magnitude")
    line = stmt.line or None
    if not 2 <= factor <= 0xFFFF:
        raise DCompileError("D_LLQUANT_FACTORVAL", "llquantize( ) factor (argument #2) must "
                            "be two or more", line)
    if not 0 <= low <= 0xFFFF:
        raise DCompileError("D_LLQUANT_LOWVAL", "llquantize( ) low magnitude (argument #3) "
                            "must be a 16-bit quantity", line)
    if not 0 <= high <= 0xFFFF:
        raise DCompileError("D_LLQUANT_HIGHVAL", "llquantize( ) high magnitude (argument #4) "
                            "must be a 16-bit quantity", line)
    if high < low:
        raise DCompileError("D_LLQUANT_MAGRANGE", "llquantize( ) high magnitude (argument #4) "
                            "must be greater than or equal to low magnitude (argument #3)",
                            line)
    if not 0 < nsteps <= 0xFFFF:
        raise DCompileError("D_LLQUANT_NSTEPVAL", "llquantize( ) number of steps (argument #5) "
                            "must be a 16-bit quantity", line)
    if nsteps < factor:
        raise DCompileError("D_LLQUANT_FACTORNSTEPS", "llquantize( ) factor (argument #2) "
                            "must be less than or equal to the number of linear steps per "
                            "magnitude (argument #5)", line)
    if nsteps % factor and factor % nsteps:
        raise DCompileError("D_LLQUANT_FACTOREVEN", "llquantize( ) factor (argument #2) "
                            "must evenly divide the number of steps per magnitude "
                            "(argument #5), and the number of steps per magnitude must evenly "
                            "divide a power of the factor", line)
    if factor ** (high + 1) > (1 << 64):
        raise DCompileError("D_LLQUANT_MAGTOOBIG", "llquantize( ) factor (argument #2) raised "
                            "to the power of the high magnitude (argument #4) plus one must "
                            "fit in 64 bits", line)
    return (factor, low, high, nsteps)
