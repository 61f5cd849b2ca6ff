"""Lowering of kernel-memory access: ``p->m``, ``s.m`` on kernel lvalues, ``p[i]``,
``*p``, `` `sym ``, ``curthread``, strings read from kernel memory, and the
stack built-ins (``stack()``, ``stackdepth``, ``caller``, ``sym()``/``func()``/``mod()``).

Every read goes through ``bpf_probe_read_kernel`` into a stack slot; a failed
read jumps to ``faults.fault_label(g, 1, addr)`` (DTrace's invalid address).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

FAULT_BADADDR = 1
BPF_F_USER_STACK = 1 << 8
BPF_F_REUSE_STACKID = 1 << 10
STACK_MAP = "stacks"
MAX_FRAMES = 127
KERNEL_CALLS = {"stack", "sym", "func", "mod"}
KERNEL_BUILTINS = {"curthread", "stackdepth", "caller"}


def cg_error(node: A.Node, msg: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", msg, node.line or None)


def follow(g: ClauseGen, node: A.Expr) -> A.Expr:
    while node in g.an.rewrites:
        node = g.an.rewrites[node]
    return node


# ---------------------------------------------------------------- addresses


def is_memory(g: ClauseGen, node: A.Expr) -> bool:
    """Does ``node`` denote an object in kernel memory (reachable through a pointer)?"""
    node = follow(g, node)
    if isinstance(node, A.MemberRef):
        return node.arrow or is_memory(g, node.base)
    if isinstance(node, A.Unary) and node.op == "*":
        return True
    if isinstance(node, A.ExternIdent):
        return True
    if isinstance(node, A.Index) and not (isinstance(node.base, A.Ident)
                                          and node.base.name == "args"):
        bt = g.an.type_of(node.base).resolve()
        return isinstance(bt, T.PointerType) or (isinstance(bt, T.ArrayType)
                                                 and is_memory(g, node.base))
    return False


def member_info(g: ClauseGen, n: A.MemberRef) -> tuple[int, T.StructMember]:
    found = g.an.members.get(n)
    if found is not None:
        return found
    from pydtrace.btf.reader import find_member

    bt = g.an.type_of(n.base).resolve()
    sou = bt.target.resolve() if isinstance(bt, T.PointerType) else bt
    assert isinstance(sou, T.StructType)
    found = find_member(sou, n.name)
    if found is None:
        raise cg_error(n, f"{n.name} is not a member of {sou}")
    return found


def address_of(g: ClauseGen, node: A.Expr) -> int:
    """A vreg holding the kernel address of the object ``node`` denotes."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    node = follow(g, node)
    if isinstance(node, A.MemberRef):
        off, _ = member_info(g, node)
        base = em.copy(compile_int(g, node.base)) if node.arrow else address_of(g, node.base)
        if off:
            em.emit(I.add64_imm(base, off))
        return base
    if isinstance(node, A.Unary) and node.op == "*":
        return em.copy(compile_int(g, node.operand))
    if isinstance(node, A.ExternIdent):
        if node in g.an.relocs:  # -x linkmode wants a relocation here (sema.ksyms)
            from pydtrace.sema.ksyms import relocation_error

            raise relocation_error(g.an, node, sum(i.slots for i in em.items
                                                   if hasattr(i, "slots")))
        return em.mov_imm(g.an.externs[node])
    if isinstance(node, A.Index):
        bt = g.an.type_of(node.base).resolve()
        if isinstance(bt, T.PointerType):
            base = em.copy(compile_int(g, node.base))
            size = max(1, bt.target.size)
        else:
            assert isinstance(bt, T.ArrayType)
            base = address_of(g, node.base)
            size = max(1, bt.elem.size)
        idx = em.copy(compile_int(g, node.keys[0]))
        if size != 1:
            em.emit(I.alu64_imm(O.MUL, idx, size))
        em.emit(I.alu64_reg(O.ADD, base, idx))
        return base
    raise cg_error(node, "expression is not an object in kernel memory")


def read_kernel(g: ClauseGen, addr: int, size: int) -> int:
    """Reads ``size`` (1..8) bytes at ``addr`` into a fresh stack slot; returns its offset."""
    em = g.em
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import fault_addr

    slot = g.kread_slot  # one per clause: callers load it at once
    if slot is None:
        slot = g.kread_slot = em.stack_keep(8)
    em.emit(I.st_imm(O.DW, 10, slot, 0))
    ret = em.call(H.PROBE_READ_KERNEL, [("fp", slot), ("imm", size), addr])
    # the address is parked on the stack, not kept live until the fault stubs
    em.emit(I.jmp_imm(O.JNE, ret, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, addr))))
    return slot


def load_scalar(g: ClauseGen, addr: int, t: T.DType, bits: int = 0, bit_off: int = 0) -> int:
    """The value of type ``t`` at kernel address ``addr`` (sign/zero-extended)."""
    from pydtrace.codegen.expr import is_signed

    em = g.em
    r = t.resolve()
    if bits:
        nbytes = (bit_off + bits + 7) // 8
        size = next(s for s in (1, 2, 4, 8) if s >= nbytes)
        slot = read_kernel(g, addr, size)
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, 10, slot))
        signed = is_signed(t)
        em.emit(I.alu64_imm(O.LSH, reg, 64 - bit_off - bits))
        em.emit(I.alu64_imm(O.ARSH if signed else O.RSH, reg, 64 - bits))
        return reg
    size = r.size if r.size in (1, 2, 4, 8) else 8
    slot = read_kernel(g, addr, size)
    reg = em.vreg()
    if is_signed(t) and size < 8:
        em.emit(I.ldx_sx(O.SIZE_OF_BYTES[size], reg, 10, slot))
    else:
        em.emit(I.ldx(O.SIZE_OF_BYTES[size], reg, 10, slot))
    return reg


def lower_value(g: ClauseGen, node: A.Expr) -> int:
    """The value of a kernel-memory expression: scalars are read, arrays and
    structs evaluate to their address."""
    t = g.an.type_of(node)
    r = t.resolve()
    addr = address_of(g, node)
    if isinstance(r, T.ArrayType | T.StructType):
        return addr
    target = follow(g, node)
    if isinstance(target, A.MemberRef):
        _, m = member_info(g, target)
        if m.bits:
            return load_scalar(g, addr, m.type, m.bits, m.bit_offset)
    return load_scalar(g, addr, t)


def lower_member(g: ClauseGen, n: A.MemberRef) -> int:
    from pydtrace.codegen.expr import compile_int

    if n in g.an.rewrites:
        return compile_int(g, g.an.rewrites[n])
    return lower_value(g, n)


def lower_extern(g: ClauseGen, n: A.ExternIdent) -> int:
    return lower_value(g, n)


# ---------------------------------------------------------------- strings


def string_from(g: ClauseGen, node: A.Expr) -> int | None:
    """Pointer to a scratch copy of a string in kernel memory (char arrays and
    pointers, ``stringof``, ``(string)`` casts); None if ``node`` is not one."""
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.strings import scratch_ptr, string_ptr

    node = follow(g, node)
    from pydtrace.sema.kernel import PsArgs

    if isinstance(node, PsArgs):
        return psargs(g, node)
    if isinstance(node, A.Stringof | A.Cast):
        inner = node.operand
        it = g.an.type_of(inner).resolve()
        if it.is_string:
            return string_ptr(g, inner)
        src = inner
    else:
        src = node
    st = g.an.type_of(src).resolve()
    if isinstance(st, T.ArrayType):
        from pydtrace.codegen.gmemory import d_array_address

        addr = address_of(g, src) if is_memory(g, src) else d_array_address(g, src)
        if addr is None:
            return None
    elif st.is_pointer or st.is_integer:
        addr = compile_int(g, src)
    else:
        return None
    em = g.em
    buf = scratch_ptr(g)
    em.emit(I.st_imm(O.B, buf, 0, 0))
    ret = em.call(H.PROBE_READ_KERNEL_STR, [buf, ("imm", g.strsize), addr])
    em.emit(I.jmp_imm(O.JSLT, ret, 0, fault_label(g, FAULT_BADADDR, addr)))
    return buf


# ---------------------------------------------------------------- built-ins


def ctx_reg(g: ClauseGen) -> int:
    """A vreg holding the program's context (the clause's second argument, spilled
    at clause entry the first time something needs it)."""
    em = g.em
    slot = g.ctx_slot
    if slot is None:
        raise cg_error(A.Node(), "internal: program context was not saved for this clause")
    reg = em.vreg()
    em.emit(I.ldx(O.DW, reg, 10, slot))
    return reg


def load_builtin(g: ClauseGen, name: str, node: A.Node) -> int:
    em = g.em
    if name == "curthread":
        from pydtrace.codegen import subject as S  # sched:::on-cpu: the incoming thread

        return S.task(g) if S.uses_subject(g) else em.call(H.GET_CURRENT_TASK)
    if name == "stackdepth":
        buf = scratch_ptr_for_stack(g)
        n = em.call(H.GET_STACK, [ctx_reg(g), buf, ("imm", MAX_FRAMES * 8 if
                                                        g.slot_size >= MAX_FRAMES * 8
                                                        else (g.slot_size // 8) * 8),
                                  ("imm", stack_skip(g))])
        zero = em.new_label("sd")
        em.emit(I.jmp_imm(O.JSGT, n, 0, zero))
        em.emit(I.mov64_imm(n, 0))
        em.label(zero)
        em.emit(I.alu64_imm(O.RSH, n, 3))
        return n
    if name == "caller":
        buf = em.stack_alloc(16)
        em.zero_stack(buf, 16)
        em.call_void(H.GET_STACK, [ctx_reg(g), ("fp", buf), ("imm", 16),
                                   ("imm", stack_skip(g))])
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, 10, buf + 8))
        return reg
    raise cg_error(node, f"built-in variable {name} is not supported")


# Probe kinds whose programs run from bpf_trace_run*(): the kernel unwinds from the
# helper call, so a stack starts with the clause subprogram, the program and
# bpf_trace_runN before the traced code. Perf-event programs unwind from the
# probe's registers and need no skip.
RAW_TP_KINDS = frozenset({"rawtp", "lockstat", "sys_enter", "sys_exit"})
RAW_TP_FRAMES = 3
NO_SITE_SKIP = 0xFF  # the largest BPF_F_SKIP_FIELD value


def stack_skip(g: ClauseGen) -> int:
    """Frames to skip (the helpers' BPF_F_SKIP_FIELD) so stacks start at the probe site."""
    probes = g.info.probes or ()
    if probes and all(getattr(p, "kind", None) in RAW_TP_KINDS for p in probes):
        return RAW_TP_FRAMES
    if probes and all(getattr(p, "kind", None) in ("begin", "end") for p in probes):
        # no traced site, only dtrace's own BPF_PROG_TEST_RUN call: skipping every
        # frame gives an empty stack (zeroed buffer), stackdepth 0 and caller 0
        return NO_SITE_SKIP
    return 0


def scratch_ptr_for_stack(g: ClauseGen) -> int:
    from pydtrace.codegen.strings import scratch_ptr

    return scratch_ptr(g)


def stack_frames(g: ClauseGen, n: A.Call) -> int:
    if n.args:
        c = g.an.consts.get(n.args[0])
        return max(1, min(MAX_FRAMES, c or 1))
    return max(1, min(MAX_FRAMES, int(g.options["stackframes"])))


def lower_call(g: ClauseGen, n: A.Call) -> int:
    """stack() as a value (an aggregation key: a stack id), sym()/func()/mod()."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    if n.name == "stack":
        g.an.uses.add("stack")
        keys = getattr(g.an, "stack_key_frames", set())
        nframes = stack_frames(g, n)
        keys.add(nframes)
        g.an.stack_key_frames = keys  # type: ignore[attr-defined]  # sizes the stack map
        skip = stack_skip(g) if stack_skip(g) != NO_SITE_SKIP else 0
        sid = em.call(H.GET_STACKID, [ctx_reg(g), ("map", STACK_MAP),
                                      ("imm", BPF_F_REUSE_STACKID | skip)])
        # key = nframes << 32 | (u32)id: stack(3) and stack(5) keys print 3 and 5 frames
        em.emit(I.mov32(sid, sid))
        hi = em.vreg()
        em.emit(I.mov64_imm(hi, nframes))
        em.emit(I.alu64_imm(O.LSH, hi, 32))
        em.emit(I.alu64_reg(O.OR, sid, hi))
        return sid
    return compile_int(g, n.args[0])


def act_stack(g: ClauseGen, n: A.Call) -> None:
    """The stack() action: the PCs go straight into the record."""
    from pydtrace.output.stacks import StackAct

    nframes = stack_frames(g, n)
    assert g.record is not None
    fld = g.info.layout.add(nframes * 8, "bytes", False)
    g.em.call_void(H.GET_STACK, [ctx_reg(g), ("reg+", g.record, fld.offset),
                                 ("imm", nframes * 8), ("imm", stack_skip(g))])
    g.info.actions.append(StackAct(fld, nframes))


def record_symaddr(g: ClauseGen, n: A.Call) -> None:
    """trace(sym(addr)) and friends: the address, symbolized by the consumer."""
    from pydtrace.codegen.expr import compile_int
    from pydtrace.output.stacks import SymAct

    assert g.record is not None
    fld = g.info.layout.add(8, "int", False)
    g.em.emit(I.stx(O.DW, g.record, fld.offset, compile_int(g, n.args[0])))
    g.info.actions.append(SymAct(fld, n.name))


__all__ = ["STATE_REG"]


def stack_map_spec(an, options):
    """The stack-trace map that ``stack()`` aggregation keys index."""
    from pydtrace.codegen.program import MapSpec
    from pydtrace.sys import syscall as sc

    used = getattr(an, "stack_key_frames", set())
    frames = max(used) if used else max(1, min(MAX_FRAMES, int(options["stackframes"])))
    return MapSpec(STACK_MAP, sc.BPF_MAP_TYPE_STACK_TRACE, 4, 8 * frames, 4096)


PRARGSZ = 80


def psargs(g: ClauseGen, node) -> int:
    """The first PRARGSZ-1 bytes of the task's arguments (user memory between
    mm->arg_start and mm->arg_end), NULs between arguments turned into spaces."""
    from pydtrace.btf.reader import find_member
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.strings import scratch_ptr
    from pydtrace.sema.kernel import kernel_tag

    task_t, mm_t = kernel_tag("struct", "task_struct"), kernel_tag("struct", "mm_struct")
    assert isinstance(task_t, T.StructType) and isinstance(mm_t, T.StructType)
    mm_off = find_member(task_t, "mm")[0]
    start_off = find_member(mm_t, "arg_start")[0]
    end_off = find_member(mm_t, "arg_end")[0]
    em = g.em
    buf = scratch_ptr(g)
    em.emit(I.st_imm(O.B, buf, 0, 0))
    done = em.new_label("psdone")
    task = em.copy(compile_int(g, node.task))
    em.emit(I.add64_imm(task, mm_off))
    mm = em.vreg()
    em.emit(I.ldx(O.DW, mm, 10, read_kernel(g, task, 8)))
    em.emit(I.jmp_imm(O.JEQ, mm, 0, done))
    a1 = em.copy(mm)
    em.emit(I.add64_imm(a1, start_off))
    start = em.vreg()
    em.emit(I.ldx(O.DW, start, 10, read_kernel(g, a1, 8)))
    a2 = em.copy(mm)
    em.emit(I.add64_imm(a2, end_off))
    length = em.vreg()
    em.emit(I.ldx(O.DW, length, 10, read_kernel(g, a2, 8)))
    em.emit(I.alu64_reg(O.SUB, length, start))
    em.emit(I.jmp_imm(O.JSLE, length, 0, done))
    ok = em.new_label("pslen")
    em.emit(I.jmp_imm(O.JLE, length, PRARGSZ - 1, ok))
    em.emit(I.mov64_imm(length, PRARGSZ - 1))
    em.label(ok)
    ret = em.call(H.PROBE_READ_USER, [buf, length, start])
    em.emit(I.jmp_imm(O.JNE, ret, 0, done))
    end = em.copy(buf)
    em.emit(I.alu64_reg(O.ADD, end, length))
    em.emit(I.st_imm(O.B, end, 0, 0))
    em.emit(I.add64_imm(length, -1))
    for i in range(PRARGSZ - 2):
        em.emit(I.jmp_imm(O.JLE, length, i, done))
        b = em.vreg()
        em.emit(I.ldx(O.B, b, buf, i))
        skip = em.new_label("psc")
        em.emit(I.jmp_imm(O.JNE, b, 0, skip))
        em.emit(I.st_imm(O.B, buf, i, ord(" ")))
        em.label(skip)
    em.label(done)
    return buf


def user_word(g: ClauseGen, node) -> int:
    """``__uword(addr)``: 8 bytes of the current process's memory, 0 if unreadable
    (the helper zeroes the destination on failure; no fault is raised)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = compile_int(g, node.addr)
    slot = em.stack_alloc(8)
    em.emit(I.st_imm(O.DW, 10, slot, 0))
    em.call_void(H.PROBE_READ_USER, [("fp", slot), ("imm", 8), addr])
    out = em.vreg()
    em.emit(I.ldx(O.DW, out, 10, slot))
    return out


def uses_ctx(node) -> bool:
    """Does a clause need the program context (kernel stacks)?"""
    from pydtrace.sema.kernel import _slots

    if isinstance(node, list):
        return any(uses_ctx(x) for x in node)
    if isinstance(node, A.Call) and node.name in ("stack", "ustack", "jstack"):
        return True
    if isinstance(node, A.Ident) and node.name in ("caller", "stackdepth", "ucaller",
                                                   "ustackdepth"):  # codegen.ustacks too
        return True
    if isinstance(node, A.Node):
        return any(uses_ctx(getattr(node, s, None)) for s in _slots(node))
    return False


def spill_ctx(g: ClauseGen) -> None:
    """At clause entry (R2 = context): save it for ctx_reg."""
    slot = g.em.stack_keep(8)
    g.ctx_slot = slot
    g.em.emit(I.stx(O.DW, 10, slot, O.R2))
