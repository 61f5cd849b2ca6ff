"""Constant parameters of lquantize() and llquantize(), checked as DTrace does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _const(ck: Checker, stmt: A.AggStmt, index: int, tag: str, what: str | None) -> int:
    node = stmt.args[index]
    value = ck.const(node)
    if value is None:
        name = f" ({what})" if what else ""
        raise DCompileError(tag, f"{stmt.func}( ) argument #{index}{name} must be an integer "
                            "constant", node.line or None)
    return value


def lquantize_params(ck: Checker, stmt: A.AggStmt) -> tuple[int, ...]:
    """illumos dt_compile_agg order: base, limit, their ranges, low < high, then step."""
    line = stmt.line or None
    low = _const(ck, stmt, 1, "D_LQUANT_BASETYPE", None)
    if not INT32_MIN <= low <= INT32_MAX:
        raise DCompileError("D_LQUANT_BASEVAL", "lquantize( ) argument #1 must be a 32-bit "
                            "quantity", line)
    high = _const(ck, stmt, 2, "D_LQUANT_LIMTYPE", None)
    if not INT32_MIN <= high <= INT32_MAX:
        raise DCompileError("D_LQUANT_LIMVAL", "lquantize( ) argument #2 must be a 32-bit "
                            "quantity", line)
    if high < low:
        raise DCompileError("D_LQUANT_MISMATCH", "lquantize( ) base (argument #1) must be "
                            "less than limit (argument #2)", line)
    step = 1
    if len(stmt.args) > 3:
        step_node = stmt.args[3]
        step_value = ck.const(step_node)
        if step_value is None or step_value <= 0:
            raise DCompileError("D_LQUANT_STEPTYPE", "lquantize( ) argument #3 must be a "
                                "non-zero positive integer constant", line)
        step = step_value
    if step > 0xFFFF:
        raise DCompileError("D_LQUANT_STEPVAL", "lquantize( ) argument #3 must be a 16-bit "
                            "quantity", line)
    levels = (high - low) // step
    if levels == 0:
        raise DCompileError("D_LQUANT_STEPLARGE", "lquantize( ) step (argument #3) too "
                            "large: must have at least one quantization level", line)
    if levels > 0xFFFF:
        raise DCompileError("D_LQUANT_STEPSMALL", "lquantize( ) step (argument #3) too "
                            "small: number of quantization levels must be a 16-bit quantity",
                            line)
    return (low, high, step)


LLQ_ARGS = (("D_LLQUANT_FACTORTYPE", "D_LLQUANT_FACTORVAL", "factor"),
            ("D_LLQUANT_LOWTYPE", "D_LLQUANT_LOWVAL", "low magnitude"),
            ("D_LLQUANT_HIGHTYPE", "D_LLQUANT_HIGHVAL", "high magnitude"),
            ("D_LLQUANT_NSTEPTYPE", "D_LLQUANT_NSTEPVAL", "linear steps per magnitude"))


def llquantize_params(ck: Checker, stmt: A.AggStmt) -> tuple[int, ...]:
    values = []
    for i, (typetag, valtag, what) in enumerate(LLQ_ARGS):
        v = _const(ck, stmt, i + 1, typetag, what)
        if not 0 <= v <= 0xFFFF:
            raise DCompileError(valtag, f"llquantize( ) argument #{i + 1} ({what}) must be an "
                                "unsigned 16-bit quantity", stmt.args[i + 1].line or None)
        values.append(v)
    factor, low, high, nsteps = values
    line = stmt.line or None
    if factor < 2:
        raise DCompileError("D_LLQUANT_FACTORSMALL", "llquantize( ) factor (argument #1) "
                            "must be two or more", line)
    if low >= high:
        raise DCompileError("D_LLQUANT_MAGRANGE", "llquantize( ) high magnitude (argument #3) "
                            "must be greater than low magnitude (argument #2)", line)
    if nsteps < factor:
        raise DCompileError("D_LLQUANT_FACTORNSTEPS", "llquantize( ) factor (argument #1) "
                            "must be less than or equal to the number of linear steps per "
                            "magnitude (argument #4)", line)
    v = factor
    while v < nsteps:
        v *= factor
    if nsteps % factor or v % nsteps:
        raise DCompileError("D_LLQUANT_FACTOREVEN", "llquantize( ) factor (argument #1) "
                            "must evenly divide the number of steps per magnitude "
                            "(argument #4), and the number of steps per magnitude must evenly "
                            "divide a power of the factor", line)
    if factor ** high >= 1 << 64:
        raise DCompileError("D_LLQUANT_MAGTOOBIG", f"llquantize( ) factor ({factor}) raised "
                            f"to power of high magnitude ({high}) overflows 64-bits", line)
    return (factor, low, high, nsteps)
