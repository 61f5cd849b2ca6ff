"""Pointers into D global variables (``&a[i]``, ``&s.m``, an array decaying to
a pointer to its first element).

D globals live in the ``globals`` array map value, so such a pointer is the
plain (scalar) kernel address of a byte in that value. Accesses through a
pointer check whether the address falls near the globals value (a window of
``SLACK`` bytes either side); if so, the access must lie inside the variables'
area (else an ``invalid address`` fault, like DTrace's checks of stores into
static variables) and be naturally aligned, and a store goes through a map
value pointer the verifier can follow (``ld_map_value`` + checked offset).
Other addresses (scratch, kernel) take the existing paths.
"""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.lang import ast as A
from pydtrace.types import model as T

FAULT_BADADDR, FAULT_BADALIGN = 1, 2
SLACK = 4096  # addresses this close to the globals value count as pointing into it
GLOBALS_START = 16  # layout.GLOBALS_BASE: the activity word and wall-clock offset precede


def globals_end(g: ClauseGen) -> int:
    return g.an.symbols.globals_size


def address_of_global(g: ClauseGen, node: A.Expr) -> int:
    """The scalar address of the D global object ``node`` (``&a[i]``, ``&s.m``)."""
    from pydtrace.codegen.dmemory import locate
    from pydtrace.codegen.subr_blocks import as_scalar

    loc = locate(g, node)
    addr = as_scalar(g, loc.base)
    if loc.off:
        addr = g.em.copy(addr)
        g.em.emit(I.add64_imm(addr, loc.off))
    return addr


def array_address(g: ClauseGen, offset: int) -> int:
    """The scalar address of the global at ``offset`` (an array decaying to a pointer)."""
    from pydtrace.codegen.subr_blocks import as_scalar

    ptr = g.em.vreg()
    g.em.emit(I.ld_map_value(ptr, "globals", offset))
    return as_scalar(g, ptr)


def globals_offset(g: ClauseGen, addr: int, outside: str) -> int:
    """``addr - &globals`` in a fresh vreg; jumps to ``outside`` unless the
    address is within ``SLACK`` bytes of the globals value."""
    em = g.em
    off = em.copy(addr)
    em.emit(I.alu64_reg(O.SUB, off, array_address(g, 0)))
    em.emit(I.jmp_imm(O.JSLT, off, -SLACK, outside))
    em.emit(I.jmp_imm(O.JSGE, off, globals_end(g) + SLACK, outside))
    return off


def check_range(g: ClauseGen, off: int, addr: int, size: int, align: int) -> None:
    """Faults unless [off, off + size) lies in the variables' area (and is aligned)."""
    from pydtrace.codegen.subr_blocks import fault_if

    em = g.em
    fault_if(g, O.JSLT, off, GLOBALS_START, FAULT_BADADDR, addr)
    fault_if(g, O.JSGT, off, globals_end(g) - size, FAULT_BADADDR, addr)
    if align in (2, 4, 8):
        low = em.copy(off)
        em.emit(I.alu64_imm(O.AND, low, align - 1))
        fault_if(g, O.JNE, low, 0, FAULT_BADALIGN, addr)


def global_dest(g: ClauseGen, addr: int, size: int, align: int, out: int, done: str,
                outside: str) -> None:
    """A store of ``size`` bytes (a constant) at the scalar ``addr``: when it
    points into the globals value, checks it, sets ``out`` to a map value
    pointer and jumps to ``done``; else jumps to ``outside``."""
    from pydtrace.codegen.subr_blocks import clamp

    em = g.em
    if globals_end(g) - size < GLOBALS_START:  # bigger than all globals: not in them
        em.emit(I.ja(outside))
        return
    off = globals_offset(g, addr, outside)
    check_range(g, off, addr, size, align)
    clamp(g, off, GLOBALS_START, max(GLOBALS_START, globals_end(g) - size))
    em.emit(I.ld_map_value(out, "globals", 0))
    em.emit(I.alu64_reg(O.ADD, out, off))
    em.emit(I.ja(done))


def global_read_check(g: ClauseGen, addr: int, size: int) -> None:
    """A read of ``size`` bytes at ``addr``: faults when it points near the
    globals value but not inside the variables (or misaligned)."""
    em = g.em
    outside = em.new_label("ngl")
    off = globals_offset(g, addr, outside)
    check_range(g, off, addr, size, size)
    em.label(outside)


def decays(t: T.DType) -> bool:
    return isinstance(t.resolve(), T.ArrayType)


def read_check_loc(g: ClauseGen, base: int, off: int, size: int) -> None:
    """``global_read_check`` for the address ``base + off`` (a D-memory read)."""
    from pydtrace.codegen.subr_blocks import as_scalar

    addr = g.em.copy(base)
    if off:
        g.em.emit(I.add64_imm(addr, off))
    global_read_check(g, as_scalar(g, addr), size)


def d_array_address(g: ClauseGen, node: A.Expr) -> int | None:
    """The address of a D global array (or of an array inside a D global); None
    for anything else."""
    from pydtrace.sema.gaddr import global_lvalue, global_object

    if global_object(g.an, node):
        assert isinstance(node, A.Ident)
        return array_address(g, g.an.symbols.globals[node.name].offset)
    if global_lvalue(g.an, node):
        return address_of_global(g, node)
    return None
