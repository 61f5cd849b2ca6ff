"""Loads and stores through D-typed lvalues: members of D-declared struct and
union variables (``s.m``, bit-fields included), elements of D arrays
(``g[i]``), and reads through pointers (``*p``, ``p->m``, ``p[i]``).

A location is either *direct* (inside the ``globals`` map value: plain loads
and stores) or *memory* (any kernel or user address: read with
``bpf_probe_read_kernel``/``_user`` into a stack slot; a failed read raises the
``invalid address`` fault with the address, like DTrace's ``*(int *)0``).
Kernel (BTF) struct types can reuse ``read_memory``/``Loc`` as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

FAULT_BADADDR, FAULT_BADALIGN = 1, 2
R10 = 10


@dataclass
class Loc:
    base: int  # vreg: globals-map pointer (direct) or an address (memory)
    off: int
    direct: bool
    userland: bool = False
    bit_offset: int = 0
    bits: int = 0
    kernel: bool = False  # inside a kernel (BTF) object: never writable


def unsupported(node: A.Node, what: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", f"{what} is not supported yet", node.line or None)


def read_memory(g: ClauseGen, addr: int, off: int, size: int, userland: bool) -> int:
    """Copies ``size`` bytes (<= 8) at ``addr + off`` to a fresh stack slot and
    returns the slot's offset from R10; faults with the address on failure."""
    from pydtrace.codegen.faults import fault_label

    em = g.em
    where = em.copy(addr)
    if off:
        em.emit(I.add64_imm(where, off))
    from pydtrace.codegen.subr_blocks import fault_addr

    slot = g.kread_slot  # one per clause: the caller loads it at once
    if slot is None:
        slot = g.kread_slot = em.stack_keep(8)
    helper = H.PROBE_READ_USER if userland else H.PROBE_READ_KERNEL
    r = em.call(helper, [("fp", slot), ("imm", size), where])
    # the address is parked on the stack, not kept live until the fault stubs
    em.emit(I.jmp_imm(O.JSLT, r, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, where))))
    return slot


def pointer_loc(g: ClauseGen, ptr_node: A.Expr, off: int = 0) -> Loc:
    from pydtrace.codegen.expr import compile_int

    t = g.an.type_of(ptr_node).resolve()
    user = bool(getattr(t, "userland", False))
    kernel = isinstance(t, T.PointerType) and type(t.target.resolve()).__name__ == "BtfStruct"
    return Loc(compile_int(g, ptr_node), off, direct=False, userland=user, kernel=kernel)


def locate(g: ClauseGen, node: A.Expr) -> Loc:
    """Where the value of the lvalue ``node`` lives."""
    from pydtrace.codegen.dstructs import dynvar_loc
    from pydtrace.sema.dmembers import member_of

    rw = g.an.rewrites.get(node) if isinstance(node, A.Ident | A.Cast) else None
    if rw is not None:  # an inline standing for a D object (inline struct s i = v;)
        return locate(g, rw)
    dyn = dynvar_loc(g, node)  # self->s, this->s, a[k] of a struct type
    if dyn is not None:
        return dyn
    if isinstance(node, A.Ident) and node.name in g.an.symbols.globals:
        var = g.an.symbols.globals[node.name]
        ptr = g.em.vreg()
        g.em.emit(I.ld_map_value(ptr, "globals", var.offset))
        return Loc(ptr, 0, direct=True)
    if isinstance(node, A.MemberRef):
        if node.arrow:
            base_t = g.an.type_of(node.base).resolve()
            assert isinstance(base_t, T.PointerType)
            m = member_of(base_t.target, node.name, node)
            loc = pointer_loc(g, node.base, m.offset)
        else:
            m = member_of(g.an.type_of(node.base), node.name, node)
            loc = locate(g, node.base)
            loc.off += m.offset
        loc.bit_offset, loc.bits = m.bit_offset, m.bits
        return loc
    if isinstance(node, A.Unary) and node.op == "*":
        return pointer_loc(g, node.operand)
    if isinstance(node, A.Index) and len(node.keys) == 1:
        return index_loc(g, node)
    raise unsupported(node, f"{type(node).__name__} as a memory location")


def index_loc(g: ClauseGen, node: A.Index) -> Loc:
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.faults import fault_label

    em = g.em
    bt = g.an.type_of(node.base).resolve()
    elem = g.an.type_of(node)
    size = max(1, elem.size)
    c = g.an.consts.get(node.keys[0])
    array = isinstance(bt, T.ArrayType)
    loc = locate(g, node.base) if array else pointer_loc(g, node.base)
    if c is not None:
        loc.off += c * size
        return loc
    idx = em.copy(compile_int(g, node.keys[0]))
    if isinstance(bt, T.ArrayType) and loc.direct:
        em.emit(I.jmp_imm(O.JGE, idx, bt.count, fault_label(g, FAULT_BADADDR, idx)))
    if size != 1:
        em.emit(I.alu64_imm(O.MUL, idx, size))
    base = em.copy(loc.base)
    em.emit(I.alu64_reg(O.ADD, base, idx))
    loc.base = base
    return loc


def load(g: ClauseGen, loc: Loc, t: T.DType, node: A.Node) -> int:
    """The scalar value of type ``t`` at ``loc``, extended to 64 bits."""
    from pydtrace.codegen.expr import is_signed, load_mem

    r = t.resolve()
    if not r.is_scalar:
        raise unsupported(node, f"using a value of type {t}")
    size = r.size if r.size in (1, 2, 4, 8) else 8
    base, off = loc.base, loc.off
    if not loc.direct:
        if not (loc.userland or loc.kernel):
            scratch_read_check(g, loc, size)
            if "global_addr" in g.an.uses:  # a pointer into a D global (codegen.gmemory)
                from pydtrace.codegen.gmemory import read_check_loc

                read_check_loc(g, loc.base, loc.off, size)
        off = read_memory(g, loc.base, loc.off, size, loc.userland)
        base = R10
    if not loc.bits:
        return load_mem(g, base, off, t)
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.SIZE_OF_BYTES[size], reg, base, off))
    g.em.emit(I.alu64_imm(O.LSH, reg, 64 - loc.bit_offset - loc.bits))
    g.em.emit(I.alu64_imm(O.ARSH if is_signed(t) else O.RSH, reg, 64 - loc.bits))
    return reg


STATE_WINDOW = 40960  # past the per-CPU state value (machine state + scratch)


def scratch_read_check(g: ClauseGen, loc: Loc, size: int) -> None:
    """A read through a pointer into scratch memory must stay inside what the
    clause allocated (else ``invalid address``) and be aligned (else ``invalid
    alignment``), like the stores (``scratch_loc``); other addresses are read
    as they are."""
    from pydtrace.codegen.context import STATE_REG
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.layout import STATE_SCRATCH
    from pydtrace.codegen.subr_blocks import as_scalar, fault_addr

    em = g.em
    addr = em.copy(loc.base)
    if loc.off:
        em.emit(I.add64_imm(addr, loc.off))
    addr = as_scalar(g, addr)
    off = em.copy(addr)
    em.emit(I.alu64_reg(O.SUB, off, as_scalar(g, STATE_REG)))
    outside = em.new_label("nscr")
    em.emit(I.jmp_imm(O.JGE, off, STATE_WINDOW, outside))
    lo = STATE_SCRATCH + g.an.symbols.this_size
    hi = lo + g.scratch_next * g.slot_size
    em.emit(I.jmp_imm(O.JLT, off, lo, fault_label(g, FAULT_BADADDR, fault_addr(g, addr))))
    em.emit(I.jmp_imm(O.JGT, off, hi - size,
                      fault_label(g, FAULT_BADADDR, fault_addr(g, addr))))
    if size in (2, 4, 8):
        em.emit(I.alu64_imm(O.AND, off, size - 1))
        em.emit(I.jmp_imm(O.JNE, off, 0, fault_label(g, FAULT_BADALIGN, fault_addr(g, addr))))
    em.label(outside)


def store(g: ClauseGen, loc: Loc, t: T.DType, value: int, node: A.Node) -> None:
    em = g.em
    r = t.resolve()
    size = r.size if r.size in (1, 2, 4, 8) else 8
    width = O.SIZE_OF_BYTES[size]
    if not loc.direct:
        if loc.userland or loc.kernel:
            raise DCompileError("D_OP_WRITE", "cannot write to memory through a pointer "
                                "(use copyout)", node.line or None)
        loc = scratch_loc(g, loc, size)
    if not loc.bits:
        em.emit(I.stx(width, loc.base, loc.off, value))
        return
    mask = ((1 << loc.bits) - 1) << loc.bit_offset
    old = em.vreg()
    em.emit(I.ldx(width, old, loc.base, loc.off))
    keep = em.mov_imm(~mask & ((1 << 64) - 1))
    em.emit(I.alu64_reg(O.AND, old, keep))
    part = em.copy(value)
    em.emit(I.alu64_imm(O.LSH, part, loc.bit_offset))
    bits = em.mov_imm(mask)
    em.emit(I.alu64_reg(O.AND, part, bits))
    em.emit(I.alu64_reg(O.OR, old, part))
    em.emit(I.stx(width, loc.base, loc.off, old))


def scratch_loc(g: ClauseGen, loc: Loc, size: int) -> Loc:
    """A store through a pointer must land in this clause's scratch memory
    (alloca'd or copied in): elsewhere it is an ``invalid address`` fault, and
    a misaligned one an ``invalid alignment`` fault (DTrace's dtrace_canstore
    and store alignment checks)."""
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import fault_addr
    from pydtrace.codegen.subr_memory import scratch_dest

    em = g.em
    addr = em.copy(loc.base)
    if loc.off:
        em.emit(I.add64_imm(addr, loc.off))
    dst = scratch_dest(g, addr, em.mov_imm(size), size)
    if size in (2, 4, 8):
        low = em.copy(addr)
        em.emit(I.alu64_imm(O.AND, low, size - 1))
        em.emit(I.jmp_imm(O.JNE, low, 0, fault_label(g, FAULT_BADALIGN, fault_addr(g, addr))))
    return Loc(dst, 0, direct=True, bit_offset=loc.bit_offset, bits=loc.bits)


def lower_lvalue(g: ClauseGen, n: A.Expr) -> int:
    return load(g, locate(g, n), g.an.type_of(n), n)


def write_loc(g: ClauseGen, target: A.Expr) -> Loc:
    """``locate`` for a store: a missing struct-valued dynamic variable element
    (``self->s.m = v``, ``a[k].m = v``) is created zero-filled (dstructs)."""
    g.dyn_write = True
    try:
        return locate(g, target)
    finally:
        g.dyn_write = False


def store_member(g: ClauseGen, n: A.Assign) -> int:
    from pydtrace.codegen.expr import compile_int, emit_arith, normalize

    t = g.an.type_of(n.target)
    if t.resolve().is_string:
        return store_string_member(g, n, t)
    value = compile_int(g, n.value)
    loc = write_loc(g, n.target)
    if n.op != "=":
        cur = load(g, loc, t, n)
        emit_arith(g, n.op[:-1], cur, value, t, n)
        value = cur
    value = g.em.copy(value)
    normalize(g, value, t)
    store(g, loc, t, value, n)
    return value


def store_string_member(g: ClauseGen, n: A.Assign, t: T.DType) -> int:
    """``s.name = "x"`` / ``p->name = s``: the string is stored in the member."""
    from pydtrace.codegen.strings import copy_string
    from pydtrace.codegen.subr import assigned_value

    if n.op != "=":
        raise unsupported(n, f"operator {n.op} on a string member")
    loc = write_loc(g, n.target)
    size = t.resolve().size or g.strsize
    if not loc.direct:
        if loc.userland or loc.kernel:
            raise DCompileError("D_OP_WRITE", "cannot write to memory through a pointer "
                                "(use copyout)", n.line or None)
        loc = scratch_loc(g, loc, min(size, g.strsize))
    copy_string(g, loc.base, loc.off, n.value, min(size, g.strsize), pad=False)
    ptr = g.em.copy(loc.base)
    if loc.off:
        g.em.emit(I.add64_imm(ptr, loc.off))
    return assigned_value(g, n.value, ptr)


def incdec_member(g: ClauseGen, target: A.Expr, op: str, prefix: bool) -> int:
    from pydtrace.codegen.assign import stepped

    t = g.an.type_of(target)
    loc = write_loc(g, target)
    old = load(g, loc, t, target)
    new = stepped(g, old, op, t)
    store(g, loc, t, new, target)
    return new if prefix else old
