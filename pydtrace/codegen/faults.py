"""Runtime faults: abort the clause, drop its record, report to the consumer.

Each fault site jumps to a stub that knows the fault code and the action index;
the stub discards the clause's reserved record (nothing partial is ever
printed) and writes an error record that the consumer turns into DTrace's
``error on enabled probe`` message. The clause returns 1 so the trampoline can
fire the ERROR probe.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import (
    ERROR_EPID,
    ERROR_RECORD,
    RECORD_PROBE_ID,
    STATE_ARGS,
    STATE_PROBE_ID,
)

ERROR_PROBE_ID = 3  # dtrace:::ERROR


@dataclass(frozen=True)
class FaultSite:
    """One place in a clause that can fault, and what to report."""

    label: str
    code: int
    action: int
    record: int | None  # vreg of the reserved record to discard, if any
    addr: int | tuple | None  # vreg holding the faulting address, or ("fp", off)


def fault_label(g: ClauseGen, code: int, addr: int | None = None) -> str:
    label = g.em.new_label(f"fault{code}_")
    g.fault_sites.append(FaultSite(label, code, g.action_index, g.record, addr))
    return label


def emit_fault_stubs(g: ClauseGen) -> None:
    for site in g.fault_sites:
        g.em.label(site.label)
        if isinstance(site.addr, tuple):  # ("fp", off): parked by subr_blocks.fault_addr
            addr = g.em.vreg()
            g.em.emit(I.ldx(O.DW, addr, O.R10, site.addr[1]))
            site = replace(site, addr=addr)
        if site.record is not None:
            g.em.call_void(H.RINGBUF_DISCARD, [site.record, ("imm", 0)])
        emit_error_record(g, site)
        if g.error_labels:
            fire_error_probe(g, site)
        g.em.emit(I.mov64_imm(O.R0, 1))
        g.em.emit(I.exit_insn())


def fire_error_probe(g: ClauseGen, site: FaultSite) -> None:
    """Runs the ERROR clauses with DTrace's ERROR arguments, then restores the
    faulting probe's id and arguments for the clauses that follow."""
    em = g.em
    saved = g.fault_save_area  # one per clause, shared by its fault sites
    if saved is None:
        saved = g.fault_save_area = em.stack_keep(8 * 7)
    for i, off in enumerate([STATE_PROBE_ID] + [STATE_ARGS + 8 * k for k in range(6)]):
        tmp = em.vreg()
        em.emit(I.ldx(O.DW, tmp, STATE_REG, off))
        em.emit(I.stx(O.DW, O.R10, saved + 8 * i, tmp))
    em.emit(I.st_imm(O.W, STATE_REG, STATE_PROBE_ID, ERROR_PROBE_ID))
    values = [0, g.info.epid, site.action, -1, site.code]
    for k, value in enumerate(values):
        em.emit(I.st_imm(O.DW, STATE_REG, STATE_ARGS + 8 * k, value))
    if site.addr is not None:
        em.emit(I.stx(O.DW, STATE_REG, STATE_ARGS + 40, site.addr))
    else:
        em.emit(I.st_imm(O.DW, STATE_REG, STATE_ARGS + 40, 0))
    for label in g.error_labels:
        em.emit(I.mov64(O.R1, STATE_REG))
        em.emit(I.call_local(label))
    for i, off in enumerate([STATE_PROBE_ID] + [STATE_ARGS + 8 * k for k in range(6)]):
        tmp = em.vreg()
        em.emit(I.ldx(O.DW, tmp, O.R10, saved + 8 * i))
        em.emit(I.stx(O.DW, STATE_REG, off, tmp))


def emit_error_record(g: ClauseGen, site: FaultSite) -> None:
    em = g.em
    skip = em.new_label("noerr")
    rec = em.call(H.RINGBUF_RESERVE, [("map", "rb"), ("imm", ERROR_RECORD.size), ("imm", 0)])
    em.emit(I.jmp_imm(O.JEQ, rec, 0, skip))
    em.emit(I.st_imm(O.W, rec, 0, ERROR_EPID))
    pid = em.vreg()
    em.emit(I.ldx(O.W, pid, STATE_REG, STATE_PROBE_ID))
    em.emit(I.stx(O.W, rec, RECORD_PROBE_ID, pid))
    em.emit(I.st_imm(O.W, rec, 8, g.info.epid))
    em.emit(I.st_imm(O.W, rec, 12, site.action))
    em.emit(I.st_imm(O.W, rec, 16, site.code))
    em.emit(I.st_imm(O.W, rec, 20, 0))
    if site.addr is not None:
        em.emit(I.stx(O.DW, rec, 24, site.addr))
    else:
        em.emit(I.st_imm(O.DW, rec, 24, 0))
    em.call_void(H.RINGBUF_SUBMIT, [rec, ("imm", 0)])
    em.label(skip)
