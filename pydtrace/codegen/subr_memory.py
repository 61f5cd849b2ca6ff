"""Memory subroutines: copyin, copyinstr, copyinto, alloca and bcopy.

alloca/copyin results are pinned scratch allocations; a destination given as an
address (copyinto, bcopy, copyout) must lie inside one of them
(``scratch_dest``), else the clause takes an invalid address fault.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.subr_blocks import (
    FAULT_BADADDR,
    FAULT_NOSCRATCH,
    as_scalar,
    clamp,
    fault_addr,
    fault_if,
    slot_ptr,
)
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def s_copyinstr(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, n.args[0]))
    dst = g.scratch_slot()
    if len(n.args) > 1:  # maxlen characters when maxlen < strsize (then the NUL)
        size = em.copy(compile_int(g, n.args[1]))
        full = em.new_label("cismax")
        em.emit(I.jmp_imm(O.JGE, size, g.strsize, full))
        em.emit(I.add64_imm(size, 1))
        em.label(full)
        clamp(g, size, 1, g.strsize)
    else:
        size = ("imm", g.strsize)
    got = em.call(H.PROBE_READ_USER_STR, [("reg+", STATE_REG, dst), size, addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return dst, None


def scratch_alloc(g: ClauseGen, n: A.Call, size_node: A.Expr) -> tuple[int, int]:
    """Pinned scratch for alloca/copyin: (offset, size vreg); runtime sizes are
    limited to one slot (``out of scratch space`` beyond)."""
    from pydtrace.codegen.expr import compile_int

    const = g.an.consts.get(size_node)
    if const is not None:
        if const < 0 or const > 16 * g.slot_size:
            raise DCompileError("D_CG_EXPR", f"{n.name}( ) size {const} exceeds the scratch "
                                "space", n.line or None)
        off = g.scratch_slot(max(1, -(-const // g.slot_size)))
        size = g.em.mov_imm(const)
        extent: tuple = ("imm", const)
    else:
        off = g.scratch_slot()
        size = g.em.copy(compile_int(g, size_node))
        fault_if(g, O.JGT, size, g.slot_size, FAULT_NOSCRATCH)
        extent = ("fp", g.em.stack_keep(8))  # the runtime size, for scratch_dest
        g.em.emit(I.stx(O.DW, O.R10, extent[1], size))
    g.scratch_pin()
    g.scratch_allocs.append((off, extent))
    return off, size


def i_alloca(g: ClauseGen, n: A.Call) -> int:
    off, _ = scratch_alloc(g, n, n.args[0])
    return slot_ptr(g, off)


def i_copyin(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    addr = g.em.copy(compile_int(g, n.args[0]))
    off, size = scratch_alloc(g, n, n.args[1])
    got = g.em.call(H.PROBE_READ_USER, [("reg+", STATE_REG, off), size, addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return slot_ptr(g, off)


def i_copyinto(g: ClauseGen, n: A.Call) -> int:
    return copy_to_scratch(g, n, H.PROBE_READ_USER, n.args[1], n.args[2])


def i_bcopy(g: ClauseGen, n: A.Call) -> int:
    # as in illumos, only the destination is checked (a source in scratch is
    # allowed: dtrace_canload accepts scratch), despite the Guide's wording
    return copy_to_scratch(g, n, H.PROBE_READ_KERNEL, n.args[2], n.args[1])


def copy_to_scratch(g: ClauseGen, n: A.Call, read_helper: int, size_node: A.Expr,
                    dest_node: A.Expr) -> int:
    """copyinto/bcopy: reads ``size_node`` bytes at the address ``n.args[0]``
    (user or kernel memory, per ``read_helper``) into the alloca'd or copied-in
    scratch at ``dest_node``; the statement's value is 0."""
    from pydtrace.codegen.expr import compile_int

    src = g.em.copy(compile_int(g, n.args[0]))
    size = g.em.copy(compile_int(g, size_node))
    dst = scratch_dest(g, compile_int(g, dest_node), size, g.an.consts.get(size_node))
    got = g.em.call(read_helper, [dst, size, src])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, src)
    return g.em.mov_imm(0)


def scratch_dest(g: ClauseGen, ptr: int, size: int, const_size: int | None) -> int:
    """Checks that [ptr, ptr+size) lies in allocated scratch (else an invalid
    address fault) and returns a pointer the verifier can follow."""
    from pydtrace.codegen.layout import STATE_SCRATCH

    em = g.em
    lo = STATE_SCRATCH + g.an.symbols.this_size
    hi = lo + g.scratch_next * g.slot_size
    ptr = as_scalar(g, ptr)
    out = done = None
    if const_size is not None and "global_addr" in g.an.uses:  # into a D global?
        from pydtrace.codegen.gmemory import global_dest

        out, done, outside = em.vreg(), em.new_label("gdst"), em.new_label("ngdst")
        global_dest(g, ptr, const_size, 1, out, done, outside)
        em.label(outside)
    off = em.copy(ptr)
    em.emit(I.alu64_reg(O.SUB, off, as_scalar(g, STATE_REG)))
    within_allocation(g, off, size, const_size, ptr)
    fault_if(g, O.JLT, off, lo, FAULT_BADADDR, ptr)
    limit = hi - (const_size or 0)
    fault_if(g, O.JGT, off, limit, FAULT_BADADDR, ptr)
    if const_size is None:
        end = em.copy(off)
        em.emit(I.alu64_reg(O.ADD, end, size))
        fault_if(g, O.JGT, end, hi, FAULT_BADADDR, ptr)
        fault_if(g, O.JGT, size, g.slot_size, FAULT_BADADDR, ptr)
    dst = em.copy(STATE_REG)
    em.emit(I.alu64_reg(O.ADD, dst, off))
    if out is None:
        return dst
    em.emit(I.mov64(out, dst))
    em.label(done)
    return out


def within_allocation(g: ClauseGen, off: int, size: int, const_size: int | None,
                      ptr: int) -> None:
    """[off, off+size) must lie inside one alloca/copyin allocation made so far
    in the clause (not merely in scratch): else an invalid address fault."""
    em = g.em
    ok = em.new_label("inalloc")
    if const_size is None:
        fault_if(g, O.JGT, size, g.slot_size, FAULT_BADADDR, ptr)
    end = em.copy(off)
    if const_size is None:
        em.emit(I.alu64_reg(O.ADD, end, size))
    else:
        em.emit(I.add64_imm(end, const_size))
    for aoff, extent in g.scratch_allocs:
        nxt = em.new_label("nalloc")
        em.emit(I.jmp_imm(O.JLT, off, aoff, nxt))
        if extent[0] == "imm":
            em.emit(I.jmp_imm(O.JGT, end, aoff + extent[1], nxt))
        else:
            lim = em.vreg()
            em.emit(I.ldx(O.DW, lim, O.R10, extent[1]))
            em.emit(I.add64_imm(lim, aoff))
            em.emit(I.jmp_reg(O.JGT, end, lim, nxt))
        em.emit(I.ja(ok))
        em.label(nxt)
    from pydtrace.codegen.faults import fault_label

    em.emit(I.ja(fault_label(g, FAULT_BADADDR, fault_addr(g, ptr))))
    em.label(ok)
