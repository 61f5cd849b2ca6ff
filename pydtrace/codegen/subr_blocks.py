"""Building blocks shared by the subroutine families (the ``subr_*`` modules).

Results and string arguments live in per-CPU scratch slots addressed as
``state + offset`` (``slot_ptr``); loops run as ``bpf_loop`` callbacks
(``codegen.subr_loops``) that get the clause's one reused context on the stack
(``ctx_set``/``ctx_get`` its fields, ``run_loop``); runtime checks jump to the
clause's fault stubs (``fault_if``).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen

FAULT_BADADDR, FAULT_ILLOP, FAULT_NOSCRATCH = 1, 3, 5

def ctx(g: ClauseGen) -> int:
    """The stack offset of the clause's (single, reused) bpf_loop context."""
    off = g.subr_ctx
    if off is None:
        off = g.em.stack_keep(L.CTX_SIZE)
        g.subr_ctx = off
    return off


def ctx_set(g: ClauseGen, field: int, value: int | tuple) -> None:
    base = ctx(g)
    if isinstance(value, tuple):
        g.em.emit(I.st_imm(O.DW, O.R10, base + field, value[1]))
    else:
        g.em.emit(I.stx(O.DW, O.R10, base + field, value))


def ctx_get(g: ClauseGen, field: int) -> int:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, O.R10, ctx(g) + field))
    return reg


def run_loop(g: ClauseGen, kind: str, arg, count: int) -> None:
    """bpf_loop(count, callback, &ctx, 0); the context's state pointer is set here."""
    cbs = g.subr_callbacks
    label = f"{g.em.prefix}.cb_{kind}_{arg}".replace("(", "").replace(")", "") \
        .replace(", ", "_").replace(" ", "")
    cbs.setdefault(label, (kind, arg))
    ctx_set(g, L.CTX_STATE, STATE_REG)
    g.em.emit(I.ld_func(O.R2, label))
    g.em.call_void(H.LOOP, [("imm", count), None, ("fp", ctx(g)), ("imm", 0)])


def slot_ptr(g: ClauseGen, off: int) -> int:
    reg = g.em.copy(STATE_REG)
    g.em.emit(I.add64_imm(reg, off))
    return reg


def slots_for(g: ClauseGen, nbytes: int) -> int:
    """Scratch slots (contiguous) holding at least ``nbytes``."""
    return g.scratch_slot(max(1, -(-nbytes // g.slot_size)))


def as_scalar(g: ClauseGen, reg: int) -> int:
    """The value of ``reg`` as a plain number, even when it holds a pointer
    (through a map store; root programs may keep addresses in maps)."""
    tmp = g.scratch_slot()
    out = g.em.vreg()
    g.em.emit(I.stx(O.DW, STATE_REG, tmp, reg))
    g.em.emit(I.ldx(O.DW, out, STATE_REG, tmp))
    return out


def clamp(g: ClauseGen, reg: int, lo: int, hi: int) -> None:
    """Signed clamp of ``reg`` into [lo, hi] (also tells the verifier)."""
    em = g.em
    a, b = em.new_label("cl"), em.new_label("ch")
    em.emit(I.jmp_imm(O.JSGE, reg, lo, a))
    em.emit(I.mov64_imm(reg, lo))
    em.label(a)
    em.emit(I.jmp_imm(O.JSLE, reg, hi, b))
    em.emit(I.mov64_imm(reg, hi))
    em.label(b)


def fault_if(g: ClauseGen, op: int, reg: int, imm: int, code: int, addr: int | None = None):
    from pydtrace.codegen.faults import fault_label

    g.em.emit(I.jmp_imm(op, reg, imm, fault_label(g, code, fault_addr(g, addr))))


def fault_addr(g: ClauseGen, addr: int | None):
    """Parks a fault's address in the clause's stack slot so the value need not
    stay live (in a register or a spill slot) until the fault stubs at the end."""
    if addr is None:
        return None
    slot = g.fault_addr_slot
    if slot is None:
        slot = g.fault_addr_slot = g.em.stack_keep(8)
    g.em.emit(I.stx(O.DW, O.R10, slot, addr))
    return ("fp", slot)
