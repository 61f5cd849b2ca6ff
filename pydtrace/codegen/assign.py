"""Assignments, compound assignments and ``++``/``--`` on variables."""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.codegen.expr import compile_int, emit_arith, normalize
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.sema.symbols import GlobalVar
from pydtrace.types import model as T


def target_var(g: ClauseGen, target: A.Expr) -> GlobalVar:
    if isinstance(target, A.Ident) and target.name in g.an.symbols.globals:
        return g.an.symbols.globals[target.name]
    raise DCompileError("D_OP_LVAL", "operator = requires modifiable lvalue as an operand",
                        target.line or None)


def store_int(g: ClauseGen, var: GlobalVar, value: int) -> None:
    addr = g.em.vreg()
    g.em.emit(I.ld_map_value(addr, "globals", var.offset))
    size = var.type.resolve().size
    g.em.emit(I.stx(O.SIZE_OF_BYTES[size if size in (1, 2, 4, 8) else 8], addr, 0, value))


def lower_assign(g: ClauseGen, n: A.Assign) -> int:
    if not isinstance(n.target, A.Ident):
        from pydtrace.codegen.variables import store_other

        return store_other(g, n)
    var = target_var(g, n.target)
    if var.type.resolve().is_string:
        from pydtrace.codegen.strings import store_string_global

        return store_string_global(g, var, n.value)
    if n.op != "=":  # DTrace reads the target before evaluating the right operand
        from pydtrace.codegen.expr import load_global

        current = load_global(g, var.offset, var.type)
        value = compile_int(g, n.value)
        emit_arith(g, n.op[:-1], current, value, var.type, n)
        value = current
    else:
        value = compile_int(g, n.value)
    value = g.em.copy(value)
    normalize(g, value, var.type)
    store_int(g, var, value)
    return value


def lower_incdec(g: ClauseGen, target: A.Expr, op: str, prefix: bool) -> int:
    if not isinstance(target, A.Ident):
        from pydtrace.codegen.variables import incdec_other

        return incdec_other(g, target, op, prefix)
    var = target_var(g, target)
    from pydtrace.codegen.expr import load_global

    old = load_global(g, var.offset, var.type)
    new = stepped(g, old, op, var.type)
    store_int(g, var, new)
    return new if prefix else old


def stepped(g: ClauseGen, old: int, op: str, t: T.DType) -> int:
    """A new vreg holding ``old`` after ``++``/``--`` in type ``t`` (pointers step by
    the size of what they point to)."""
    new = g.em.copy(old)
    r = t.resolve()
    step = max(1, r.target.size) if isinstance(r, T.PointerType) else 1
    g.em.emit(I.alu64_imm(O.ADD if op == "++" else O.SUB, new, step))
    normalize(g, new, t)
    return new
