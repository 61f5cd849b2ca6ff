"""The probe's subject thread, when it is not the current one.

DTrace fires ``sched:::on-cpu`` in the *incoming* thread; on Linux the hook
(``sched_switch``) runs in the outgoing one. A probe whose provider names a
subject (``subject_slot(probe) >= 0``: a raw tracepoint argument that is a
``struct task_struct *``) has its trampoline store that task in the machine
state (``STATE_TASK``), and every clause enabled on such a probe reads the
thread built-ins (``pid``, ``tid``, ``ppid``, ``uid``, ``gid``, ``execname``,
``curthread`` and through it ``curpsinfo``/``curlwpsinfo``, and the ``self->``
key) from that task instead of the current-task helpers. When a script
enables any such probe, the other programs' trampolines store the current task
(their clauses may be shared with the subject probe); scripts without one pay
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.layout import STATE_TASK
from pydtrace.errors import DCompileError

if TYPE_CHECKING:
    from pydtrace.codegen.context import ClauseGen

STATE_REG = 9


def subject_slot(probe) -> int:
    """Raw tracepoint argument holding the subject task, or -1 (providers.stable)."""
    if probe.kind != "rawtp" or len(probe.data) < 3:
        return -1
    return probe.data[2]


def uses_subject(g: ClauseGen) -> bool:
    """Does this clause fire on a probe whose subject is not the current thread?"""
    return any(subject_slot(p) >= 0 for p in g.info.probes or ())


def store_task(out: list, probes: list) -> None:
    """Trampoline (R6 = context, R7 = state): STATE_TASK = the subject task."""
    slot = subject_slot(probes[0]) if probes else -1
    if slot >= 0:
        out += [I.ldx(O.DW, O.R1, O.R6, 8 * slot), I.stx(O.DW, O.R7, STATE_TASK, O.R1)]
    else:
        out += [I.call_helper(H.GET_CURRENT_TASK), I.stx(O.DW, O.R7, STATE_TASK, O.R0)]


def _offset(struct: str, member: str) -> int:
    try:
        from pydtrace.btf.offsets import member_offset

        return member_offset(struct, member)
    except (ImportError, LookupError, OSError) as exc:
        raise DCompileError("D_CG_EXPR", f"the probe's thread needs kernel BTF: {exc}") from exc


def task(g: ClauseGen) -> int:
    """A vreg holding the subject task pointer."""
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, STATE_REG, STATE_TASK))
    return reg


def read_u32(g: ClauseGen, base: int, off: int) -> int:
    em = g.em
    slot = em.stack_alloc(8)
    em.emit(I.st_imm(O.DW, 10, slot, 0))
    em.call_void(H.PROBE_READ_KERNEL, [("fp", slot), ("imm", 4), ("reg+", base, off)])
    out = em.vreg()
    em.emit(I.ldx(O.W, out, 10, slot))
    return out


def read_ptr(g: ClauseGen, base: int, off: int) -> int:
    em = g.em
    slot = em.stack_alloc(8)
    em.emit(I.st_imm(O.DW, 10, slot, 0))
    em.call_void(H.PROBE_READ_KERNEL, [("fp", slot), ("imm", 8), ("reg+", base, off)])
    out = em.vreg()
    em.emit(I.ldx(O.DW, out, 10, slot))
    return out


def pid_tgid(g: ClauseGen) -> int:
    """tgid << 32 | pid of the subject task (bpf_get_current_pid_tgid's layout)."""
    t = task(g)
    tid = read_u32(g, t, _offset("task_struct", "pid"))
    tgid = read_u32(g, t, _offset("task_struct", "tgid"))
    g.em.emit(I.alu64_imm(O.LSH, tgid, 32))
    g.em.emit(I.alu64_reg(O.OR, tgid, tid))
    return tgid


def uid_gid(g: ClauseGen) -> int:
    """gid << 32 | uid (real ids, from task->cred) of the subject task."""
    cred = read_ptr(g, task(g), _offset("task_struct", "cred"))
    uid = read_u32(g, cred, _offset("cred", "uid"))
    gid = read_u32(g, cred, _offset("cred", "gid"))
    g.em.emit(I.alu64_imm(O.LSH, gid, 32))
    g.em.emit(I.alu64_reg(O.OR, gid, uid))
    return gid


def comm(g: ClauseGen, base: int, off: int, size: int) -> None:
    """task->comm into base+off (``size`` bytes, NUL-terminated by the kernel)."""
    g.em.call_void(H.PROBE_READ_KERNEL, [("reg+", base, off), ("imm", size),
                                         ("reg+", task(g), _offset("task_struct", "comm"))])


# --- probe filters on raw tracepoints (providers.stable ``extras``) ---------------------
# A filter is a tuple of alternatives (any may hold), each a tuple of conditions
# (all must hold) on the raw tracepoint's context:
#   (slot, op, imm)     ctx[slot] <op> imm, op in eq ne slt sgt
#   ("nr", (n, ...))    the system call number (raw_syscalls: ctx[0] is struct pt_regs *)
#   ("leader", slot)    the task in ctx[slot] leads its thread group (pid == tgid)
PT_REGS_ORIG_AX = 15 * 8
_JUMP_IF_FALSE = {"eq": O.JNE, "ne": O.JEQ, "slt": O.JSGE, "sgt": O.JSLE}
_TMP = -16  # trampoline stack slot (the trampoline itself uses -4 and -8)


def _read(out: list, src_reg: int, off: int, size: int) -> None:
    """R1 = *(u{size} *)(src_reg + off), through bpf_probe_read_kernel (0 on failure)."""
    out += [I.st_imm(O.DW, O.R10, _TMP, 0), I.mov64(O.R1, O.R10), I.add64_imm(O.R1, _TMP),
            I.mov64_imm(O.R2, size), I.mov64(O.R3, src_reg), I.add64_imm(O.R3, off),
            I.call_helper(H.PROBE_READ_KERNEL),
            I.ldx(O.SIZE_OF_BYTES[size], O.R1, O.R10, _TMP)]


def _condition(out: list, cond: tuple, fail: str) -> None:
    if cond[0] == "nr":
        out.append(I.ldx(O.DW, O.R4, O.R6, 0))
        _read(out, O.R4, PT_REGS_ORIG_AX, 8)
        ok = f"{fail}.nr"
        out += [I.jmp_imm(O.JEQ, O.R1, n, ok) for n in cond[1]]
        out += [I.ja(fail), I.Label(ok)]
    elif cond[0] == "leader":
        out.append(I.ldx(O.DW, O.R4, O.R6, 8 * cond[1]))
        _read(out, O.R4, _offset("task_struct", "tgid"), 4)
        out.append(I.stx(O.DW, O.R10, _TMP - 8, O.R1))  # helpers clobber R1-R5
        out.append(I.ldx(O.DW, O.R4, O.R6, 8 * cond[1]))
        _read(out, O.R4, _offset("task_struct", "pid"), 4)
        out += [I.ldx(O.DW, O.R2, O.R10, _TMP - 8), I.jmp_reg(O.JNE, O.R1, O.R2, fail)]
    else:
        slot, op, imm = cond
        out += [I.ldx(O.DW, O.R1, O.R6, 8 * slot), I.jmp_imm(_JUMP_IF_FALSE[op], O.R1, imm, fail)]


def emit_filter(out: list, alternatives: tuple) -> None:
    """Leave the program (``tr.out``) unless one alternative holds."""
    if not alternatives:
        return
    for k, conds in enumerate(alternatives):
        fail = f"tr.f{k}"
        for cond in conds:
            _condition(out, cond, fail)
        out += [I.ja("tr.fok"), I.Label(fail)]
    out += [I.ja("tr.out"), I.Label("tr.fok")]
