"""Lowering of integer and pointer expressions to BPF on virtual registers.

Invariant: a register holding a value of an integer type is always sign- or
zero-extended from that type's width to 64 bits, so comparisons and 64-bit
arithmetic need no further widening.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import STATE_ARGS, STATE_ERRNO, STATE_PROBE_ID, STATE_TS
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

ALU = {"+": O.ADD, "-": O.SUB, "*": O.MUL, "/": O.DIV, "%": O.MOD, "&": O.AND, "|": O.OR,
       "^": O.XOR, "<<": O.LSH, ">>": O.RSH}
JUMP_SIGNED = {"==": O.JEQ, "!=": O.JNE, "<": O.JSLT, "<=": O.JSLE, ">": O.JSGT, ">=": O.JSGE}
JUMP_UNSIGNED = {"==": O.JEQ, "!=": O.JNE, "<": O.JLT, "<=": O.JLE, ">": O.JGT, ">=": O.JGE}
NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
FAULT_DIVZERO = 4


def normalize(g: ClauseGen, reg: int, t: T.DType) -> None:
    """Re-extends ``reg`` to 64 bits after an operation in type ``t``."""
    r = t.resolve()
    if not isinstance(r, T.IntType | T.EnumType) or r.size == 8:
        return
    signed = getattr(r, "signed", True)
    if signed:
        g.em.emit(I.movsx64(reg, reg, r.size * 8))
    elif r.size == 4:
        g.em.emit(I.mov32(reg, reg))
    else:
        g.em.emit(I.alu64_imm(O.AND, reg, (1 << (r.size * 8)) - 1))


def is_signed(t: T.DType) -> bool:
    r = t.resolve()
    return bool(getattr(r, "signed", False)) and not r.is_pointer


def compile_int(g: ClauseGen, node: A.Expr) -> int:
    """Evaluates an integer/pointer expression into a fresh or reused vreg."""
    c = g.an.consts.get(node)
    if c is not None:
        return g.em.mov_imm(c)
    if node in g.an.rewrites:  # inlines, translated members, typed args[] (sema.kernel)
        return compile_int(g, g.an.rewrites[node])
    fn = LOWER.get(type(node))
    if fn is None:
        raise DCompileError("D_CG_EXPR", f"{type(node).__name__} is not supported in "
                            "this context", node.line or None)
    return fn(g, node)


def lower_ident(g: ClauseGen, n: A.Ident) -> int:
    var = g.an.symbols.globals.get(n.name)
    if var is not None and isinstance(var.type.resolve(), T.ArrayType):
        from pydtrace.codegen.gmemory import array_address

        return array_address(g, var.offset)  # an array decays to a pointer
    if var is not None:
        return load_global(g, var.offset, var.type)
    return load_builtin(g, n.name, n)


def load_global(g: ClauseGen, offset: int, t: T.DType) -> int:
    addr = g.em.vreg()
    g.em.emit(I.ld_map_value(addr, "globals", offset))
    return load_mem(g, addr, 0, t)


def load_mem(g: ClauseGen, base: int, off: int, t: T.DType) -> int:
    r = t.resolve()
    size = r.size if r.size in (1, 2, 4, 8) else 8
    reg = g.em.vreg()
    if is_signed(t) and size < 8:
        g.em.emit(I.ldx_sx(O.SIZE_OF_BYTES[size], reg, base, off))
    else:
        g.em.emit(I.ldx(O.SIZE_OF_BYTES[size], reg, base, off))
    return reg


def load_state(g: ClauseGen, off: int, size: int = 8) -> int:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.SIZE_OF_BYTES[size], reg, STATE_REG, off))
    return reg


def load_builtin(g: ClauseGen, name: str, node: A.Node) -> int:
    em = g.em
    if name.startswith("arg") and name[3:].isdigit():
        return load_state(g, STATE_ARGS + 8 * int(name[3:]))
    if name in ("pid", "tid"):
        from pydtrace.codegen import subject as S  # sched:::on-cpu: the incoming thread

        r = S.pid_tgid(g) if S.uses_subject(g) else em.call(H.GET_CURRENT_PID_TGID)
        if name == "pid":
            em.emit(I.alu64_imm(O.RSH, r, 32))
        else:
            em.emit(I.mov32(r, r))
        return r
    if name in ("uid", "gid"):
        from pydtrace.codegen import subject as S

        r = S.uid_gid(g) if S.uses_subject(g) else em.call(H.GET_CURRENT_UID_GID)
        if name == "gid":
            em.emit(I.alu64_imm(O.RSH, r, 32))
        else:
            em.emit(I.mov32(r, r))
        return r
    if name in ("timestamp", "vtimestamp"):  # both read once per probe firing
        return load_state(g, STATE_TS)
    if name == "walltimestamp":
        return walltime(g, em.call(H.KTIME_GET_NS))
    if name == "cpu":
        return em.call(H.GET_SMP_PROCESSOR_ID)
    if name == "id":
        return load_state(g, STATE_PROBE_ID, 4)
    if name == "epid":
        return em.mov_imm(g.info.epid)
    if name == "errno":
        reg = load_state(g, STATE_ERRNO)
        em.emit(I.movsx64(reg, reg, 32))
        return reg
    if name == "ppid":
        from pydtrace.codegen.task import load_ppid

        return load_ppid(g)
    if name in ("ucaller", "ustackdepth"):
        from pydtrace.codegen import ustacks

        return ustacks.load_builtin(g, name)
    if name in ("curthread", "stackdepth", "caller"):
        from pydtrace.codegen import kernel

        return kernel.load_builtin(g, name, node)
    raise DCompileError("D_CG_EXPR", f"built-in variable {name} is not supported yet",
                        node.line or None)


def walltime(g: ClauseGen, mono: int) -> int:
    """Monotonic ns plus the boot-to-epoch offset the consumer stores in globals."""
    from pydtrace.codegen.layout import GLOBAL_WALLOFF

    off = load_global(g, GLOBAL_WALLOFF, T.LLONG)
    g.em.emit(I.alu64_reg(O.ADD, mono, off))
    return mono


def lower_unary(g: ClauseGen, n: A.Unary) -> int:
    if n.op in ("++", "--"):
        from pydtrace.codegen.assign import lower_incdec

        return lower_incdec(g, n.operand, n.op, prefix=True)
    if n.op == "*":
        from pydtrace.codegen.memory import lower_deref

        return lower_deref(g, n)
    if n.op == "&":  # sema.kernel.kernel_lvalue: an object in kernel memory
        from pydtrace.sema.gaddr import global_lvalue

        if global_lvalue(g.an, n.operand):  # inside a D global (codegen.gmemory)
            from pydtrace.codegen.gmemory import address_of_global

            return address_of_global(g, n.operand)
        from pydtrace.codegen.kernel import address_of

        return address_of(g, n.operand)
    t = g.an.type_of(n)
    if n.op == "!":
        return bool_value(g, n)
    reg = compile_int(g, n.operand)
    out = g.em.copy(reg)
    if n.op == "-":
        g.em.emit(I.neg64(out))
    elif n.op == "~":
        g.em.emit(I.alu64_imm(O.XOR, out, -1))
    normalize(g, out, t)
    return out


def lower_postfix(g: ClauseGen, n: A.Postfix) -> int:
    from pydtrace.codegen.assign import lower_incdec

    return lower_incdec(g, n.operand, n.op, prefix=False)


def lower_binary(g: ClauseGen, n: A.Binary) -> int:
    if n.op in ("&&", "||", "^^", "==", "!=", "<", "<=", ">", ">="):
        return bool_value(g, n)
    t = g.an.type_of(n)
    lt, rt = g.an.type_of(n.left), g.an.type_of(n.right)
    left = g.em.copy(compile_int(g, n.left))
    rc = g.an.consts.get(n.right)
    if rc is not None and rc != 0 and -(1 << 31) <= rc < (1 << 31) \
            and not t.resolve().is_pointer:
        emit_arith_imm(g, n.op, left, rc, t)
        normalize(g, left, t)
        return left
    right = compile_int(g, n.right)
    if t.resolve().is_pointer:
        scale_pointer(g, n, left, right, lt, rt)
        return left
    emit_arith(g, n.op, left, right, t, n)
    normalize(g, left, t)
    return left


def emit_arith_imm(g: ClauseGen, op: str, left: int, imm: int, t: T.DType) -> None:
    """``left op= constant``: no divisor check is needed for a non-zero constant."""
    signed = is_signed(t)
    if op in ("<<", ">>"):  # as a register count: the low 6 bits (the verifier refuses more)
        imm &= 63
    if op == ">>" and signed:
        g.em.emit(I.alu64_imm(O.ARSH, left, imm))
        return
    off = 1 if op in ("/", "%") and signed else 0
    g.em.emit(I.alu64_imm(ALU[op], left, imm, off))


def scale_pointer(g: ClauseGen, n: A.Binary, left: int, right: int, lt: T.DType,
                  rt: T.DType) -> None:
    ptr_t = lt.resolve() if lt.resolve().is_pointer else rt.resolve()
    size = max(1, ptr_t.target.size) if isinstance(ptr_t, T.PointerType) else 1
    idx = right if lt.resolve().is_pointer else left
    if size != 1:
        g.em.emit(I.alu64_imm(O.MUL, idx, size))
    g.em.emit(I.alu64_reg(O.ADD if n.op == "+" else O.SUB, left, right))


def emit_arith(g: ClauseGen, op: str, left: int, right: int, t: T.DType, node: A.Node) -> None:
    signed = is_signed(t)
    if op in ("/", "%"):
        g.em.emit(I.jmp_imm(O.JEQ, right, 0, div_fault(g)))
    if op == ">>" and signed:
        g.em.emit(I.alu64_reg(O.ARSH, left, right))
        return
    off = 1 if op in ("/", "%") and signed else 0
    g.em.emit(I.alu64_reg(ALU[op], left, right, off))


def div_fault(g: ClauseGen) -> str:
    """Label that raises the divide-by-zero fault for the current action."""
    from pydtrace.codegen.faults import fault_label

    return fault_label(g, FAULT_DIVZERO)


def bool_value(g: ClauseGen, n: A.Expr) -> int:
    """Materializes a condition as 0/1."""
    out = g.em.vreg()
    false = g.em.new_label("f")
    done = g.em.new_label("d")
    cond_jump(g, n, false)
    g.em.emit(I.mov64_imm(out, 1))
    g.em.emit(I.ja(done))
    g.em.label(false)
    g.em.emit(I.mov64_imm(out, 0))
    g.em.label(done)
    return out


def cond_jump(g: ClauseGen, n: A.Expr, false_label: str) -> None:
    """Falls through when ``n`` is true, jumps to ``false_label`` otherwise."""
    c = g.an.consts.get(n)
    if c is not None:
        if not c:
            g.em.emit(I.ja(false_label))
        return
    if isinstance(n, A.Binary) and n.op == "&&":
        cond_jump(g, n.left, false_label)
        cond_jump(g, n.right, false_label)
        return
    if isinstance(n, A.Binary) and n.op == "||":
        true = g.em.new_label("t")
        next_ = g.em.new_label("o")
        cond_jump(g, n.left, next_)
        g.em.emit(I.ja(true))
        g.em.label(next_)
        cond_jump(g, n.right, false_label)
        g.em.label(true)
        return
    if isinstance(n, A.Unary) and n.op == "!":
        true = g.em.new_label("n")
        cond_jump(g, n.operand, true)
        g.em.emit(I.ja(false_label))
        g.em.label(true)
        return
    if isinstance(n, A.Binary) and n.op in JUMP_SIGNED:
        compare_jump(g, n, false_label)
        return
    if isinstance(n, A.Binary) and n.op == "^^":
        a = bool_value(g, n.left)
        b = bool_value(g, n.right)
        g.em.emit(I.jmp_reg(O.JEQ, a, b, false_label))
        return
    reg = compile_int(g, n)
    g.em.emit(I.jmp_imm(O.JEQ, reg, 0, false_label))


def compare_jump(g: ClauseGen, n: A.Binary, false_label: str) -> None:
    lt, rt = g.an.type_of(n.left), g.an.type_of(n.right)
    if n in getattr(g.an, "null_compares", ()):
        from pydtrace.codegen.nullstr import compare_jump as null_compare

        if null_compare(g, n, false_label):  # a string variable: its NULL marker
            return
    if (lt.resolve().is_string or rt.resolve().is_string) \
            and n not in getattr(g.an, "null_compares", ()):
        from pydtrace.codegen.strings import string_compare_jump

        string_compare_jump(g, n, false_label)
        return
    common = T.arith_result(lt, rt) if lt.resolve().is_integer and rt.resolve().is_integer \
        else T.ULONG
    table = JUMP_SIGNED if is_signed(common) else JUMP_UNSIGNED
    op = table[NEGATE[n.op]]
    left = compile_int(g, n.left)
    rc = g.an.consts.get(n.right)
    if rc is not None and -(1 << 31) <= rc < (1 << 31):
        g.em.emit(I.jmp_imm(op, left, rc, false_label))
        return
    right = compile_int(g, n.right)
    g.em.emit(I.jmp_reg(op, left, right, false_label))


def lower_conditional(g: ClauseGen, n: A.Conditional) -> int:
    out = g.em.vreg()
    other = g.em.new_label("else")
    done = g.em.new_label("endif")
    cond_jump(g, n.cond, other)
    g.em.emit(I.mov64(out, compile_int(g, n.then)))
    g.em.emit(I.ja(done))
    g.em.label(other)
    g.em.emit(I.mov64(out, compile_int(g, n.otherwise)))
    g.em.label(done)
    normalize(g, out, g.an.type_of(n))
    return out


def lower_cast(g: ClauseGen, n: A.Cast) -> int:
    reg = g.em.copy(compile_int(g, n.operand))
    normalize(g, reg, g.an.type_of(n))
    return reg


def lower_assign(g: ClauseGen, n: A.Assign) -> int:
    from pydtrace.codegen.assign import lower_assign as assign

    return assign(g, n)


def lower_comma(g: ClauseGen, n: A.Comma) -> int:
    from pydtrace.codegen.statements import compile_effect

    compile_effect(g, n.left)
    return compile_int(g, n.right)


def lower_index(g: ClauseGen, n: A.Index) -> int:
    from pydtrace.codegen import memory, variables

    if isinstance(n.base, A.Ident) and n.base.name == "args":
        return memory.lower_args(g, n)
    if isinstance(n.base, A.SelfVar) or (isinstance(n.base, A.Ident)
                                         and n.base.name not in g.an.symbols.globals):
        return variables.lower_index_assoc(g, n)
    return memory.lower_index_memory(g, n)


def lower_self(g: ClauseGen, n: A.SelfVar) -> int:
    from pydtrace.codegen.variables import lower_self as lower

    return lower(g, n)


def lower_this(g: ClauseGen, n: A.ThisVar) -> int:
    from pydtrace.codegen.variables import lower_this as lower

    return lower(g, n)


def lower_member(g: ClauseGen, n: A.MemberRef) -> int:
    from pydtrace.codegen.memory import lower_member as lower

    return lower(g, n)


def lower_extern(g: ClauseGen, n: A.ExternIdent) -> int:
    from pydtrace.codegen.memory import lower_extern as lower

    return lower(g, n)


def lower_call(g: ClauseGen, n: A.Call) -> int:
    if n.name == "speculation":
        from pydtrace.codegen.speculation import lower_speculation

        return lower_speculation(g, n)
    if n.name in ("stack", "sym", "func", "mod"):
        from pydtrace.codegen import kernel

        return kernel.lower_call(g, n)
    if n.name in ("ustack", "jstack", "usym", "ufunc", "uaddr", "umod"):
        from pydtrace.codegen import ustacks

        return ustacks.lower_call(g, n)
    from pydtrace.codegen.subr import lower_call as lower

    return lower(g, n)


LOWER = {
    A.Ident: lower_ident, A.Unary: lower_unary, A.Postfix: lower_postfix,
    A.Binary: lower_binary, A.Conditional: lower_conditional, A.Cast: lower_cast,
    A.Assign: lower_assign, A.Comma: lower_comma, A.Index: lower_index,
    A.SelfVar: lower_self, A.ThisVar: lower_this, A.MemberRef: lower_member,
    A.ExternIdent: lower_extern, A.Call: lower_call,
}


def lower_userword(g: ClauseGen, n) -> int:  # sema.userword.UserWord (D library translators)
    from pydtrace.codegen.kernel import user_word

    return user_word(g, n)


def _register_internal() -> None:
    from pydtrace.sema.userword import UserWord

    LOWER[UserWord] = lower_userword


_register_internal()
