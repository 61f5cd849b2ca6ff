"""Whole D struct/union values: assignments ``s1 = s2``, ``self->s = s``,
``a[k] = s``, ``this->s = s``, ``*q = s``; members read back from struct-valued
dynamic variables (``self->s.m``); string members read through any location
(``g.name``, ``q->name`` in alloca'd memory, ``self->s.name``).

Struct values are copied with ``bpf_probe_read_kernel`` (the source may be a
map value, scratch or any kernel address; an unreadable one is an ``invalid
address`` fault). A dynamic variable that was never assigned has no storage:
like DTrace's NULL by-reference value, reading from it faults at its offset.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.dmemory import FAULT_BADADDR, Loc, unsupported
from pydtrace.lang import ast as A
from pydtrace.types import model as T


def is_sou(t: T.DType) -> bool:
    return isinstance(t.resolve(), T.StructType)


def dynvar_loc(g: ClauseGen, node: A.Expr) -> Loc | None:
    """Where a struct-valued dynamic variable's value lives (None: not one)."""
    from pydtrace.codegen import variables as V

    if not V.is_dynvar(g, node) or not is_sou(g.an.type_of(node)):
        return None
    var = V.var_of(g, node)
    if var.scope == "this":
        return Loc(g.em.copy(STATE_REG), V.this_off(g, var), direct=True)
    key = V.build_key(g, var, node)
    ptr = V.lookup(g, var, key)
    if g.dyn_write:  # self->s.m = v: create the element if missing
        return Loc(created(g, var, key, ptr), 0, direct=True)
    out = g.em.mov_imm(0)  # missing: NULL (reads fault at the member's offset)
    skip = g.em.new_label("svnull")
    g.em.emit(I.jmp_imm(O.JEQ, ptr, 0, skip))
    g.em.emit(I.mov64(out, ptr))
    g.em.label(skip)
    return Loc(out, 0, direct=False)


def created(g: ClauseGen, var, key, ptr: int) -> int:
    """The element ``ptr`` found, else a zero-filled one inserted (a failed
    insertion is a dynamic drop: the store then goes to scratch)."""
    from pydtrace.codegen import variables as V
    from pydtrace.codegen.strings import zero_fill
    from pydtrace.codegen.subr_blocks import slots_for
    from pydtrace.sema.variables import value_size

    em = g.em
    size = value_size(var, g.strsize)
    out = em.copy(ptr)
    have, stored = em.new_label("svhave"), em.new_label("svnew")
    em.emit(I.jmp_imm(O.JNE, out, 0, have))
    buf = slots_for(g, size)
    zero_fill(g, STATE_REG, buf, size)
    r = em.call(H.MAP_UPDATE_ELEM, [("map", V.map_name(var)), key,
                                    ("reg+", STATE_REG, buf), ("imm", V.BPF_ANY)])
    em.emit(I.jmp_imm(O.JEQ, r, 0, stored))
    V.count_dyndrop(g)
    em.label(stored)
    again = V.lookup(g, var, key)
    em.emit(I.mov64(out, again))
    em.emit(I.jmp_imm(O.JNE, out, 0, have))
    em.emit(I.mov64(out, STATE_REG))
    em.emit(I.add64_imm(out, buf))
    em.label(have)
    return out


def address(g: ClauseGen, node: A.Expr) -> int:
    """The address of a struct-valued lvalue (a vreg)."""
    from pydtrace.codegen.dmemory import locate

    loc = locate(g, node)
    addr = g.em.copy(loc.base)
    if loc.off:
        g.em.emit(I.add64_imm(addr, loc.off))
    return addr


def assign_struct(g: ClauseGen, n: A.Assign) -> None:
    """``target = value`` of a struct or union type: copies the bytes."""
    from pydtrace.codegen import variables as V
    from pydtrace.codegen.dmemory import locate, scratch_loc
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import fault_addr, slots_for
    from pydtrace.sema.variables import value_size

    em = g.em
    if n.op != "=":
        raise unsupported(n, f"operator {n.op} on a struct")
    size = g.an.type_of(n.target).resolve().size
    src = address(g, n.value)
    target = n.target
    buf = None
    if V.is_dynvar(g, target):
        var = V.var_of(g, target)
        if var.scope == "this":
            dst = em.copy(STATE_REG)
            em.emit(I.add64_imm(dst, V.this_off(g, var)))
        else:
            key = V.build_key(g, var, target)
            buf = slots_for(g, value_size(var, g.strsize))
            dst = em.copy(STATE_REG)
            em.emit(I.add64_imm(dst, buf))
    else:
        loc = locate(g, target)
        if not loc.direct:
            if loc.userland or loc.kernel:
                from pydtrace.errors import DCompileError

                raise DCompileError("D_OP_WRITE", "cannot write to memory through a pointer "
                                    "(use copyout)", n.line or None)
            loc = scratch_loc(g, loc, size)
        dst = em.copy(loc.base)
        if loc.off:
            em.emit(I.add64_imm(dst, loc.off))
    got = em.call(H.PROBE_READ_KERNEL, [dst, ("imm", size), src])
    em.emit(I.jmp_imm(O.JSLT, got, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, src))))
    if buf is not None:
        done = em.new_label("svstored")
        r = em.call(H.MAP_UPDATE_ELEM, [("map", V.map_name(var)), key,
                                        ("reg+", STATE_REG, buf), ("imm", V.BPF_ANY)])
        em.emit(I.jmp_imm(O.JEQ, r, 0, done))
        V.count_dyndrop(g)
        em.label(done)


def string_member(g: ClauseGen, node: A.Expr) -> int | None:
    """Pointer to a string member of a D struct (None when ``node`` is not one):
    in place when the struct is a D variable, else a scratch copy."""
    from pydtrace.codegen.dmemory import locate
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.strings import scratch_ptr
    from pydtrace.codegen.subr_blocks import fault_addr

    if not isinstance(node, A.MemberRef) or node in g.an.rewrites:
        return None
    base_t = g.an.type_of(node.base).resolve()
    sou = base_t.target.resolve() if node.arrow and isinstance(base_t, T.PointerType) \
        else base_t
    if not isinstance(sou, T.StructType) or type(sou).__name__ == "BtfStruct":
        return None
    em = g.em
    loc = locate(g, node)
    addr = em.copy(loc.base)
    if loc.off:
        em.emit(I.add64_imm(addr, loc.off))
    if loc.direct:
        return addr
    buf = scratch_ptr(g)
    em.emit(I.st_imm(O.B, buf, 0, 0))
    helper = H.PROBE_READ_USER_STR if loc.userland else H.PROBE_READ_KERNEL_STR
    got = em.call(helper, [buf, ("imm", g.strsize), addr])
    em.emit(I.jmp_imm(O.JSLT, got, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, addr))))
    return buf
