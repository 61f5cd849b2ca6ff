"""Per-probe-kind trampolines: normalize a native context into the machine state.

Each loaded program starts with a trampoline written on physical registers::

    r6 = ctx
    if globals.activity != ACTIVE: return 0      (not for END)
    r7 = &state[this cpu]
    state.probe_id = cookie or constant
    state.arg0..9 = <kind-specific>
    state.ts = ktime_get_ns()                    (only if a clause reads timestamp)
    r1 = r7; r2 = r6; call clause_1 ...          (BPF-to-BPF calls)
    return 0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item
from pydtrace.codegen import uprobe as U
from pydtrace.codegen.layout import (
    ACTIVE,
    GLOBAL_ACTIVITY,
    STATE_ARGS,
    STATE_BUSY,
    STATE_ERRNO,
    STATE_PROBE_ID,
    STATE_TS,
)
from pydtrace.sys import syscall as sc

# Programs for more syscall probes than this attach once to raw_syscalls.
# Measured (Linux 6.18, 2 vCPUs): each per-syscall tracepoint costs ~80 ms to
# attach and close (an RCU grace period), the raw program costs the same for
# any number; a traced call costs +32 ns via its tracepoint, +27 ns via the raw
# program, but the raw program also adds ~13 ns to every untraced system call.
WIDE_SYSCALLS = 3
PT_REGS_IP = 16 * 8  # x86-64 struct pt_regs: ip after 16 u64 registers
PT_REGS_CS = 17 * 8


def zero_args(out: list[Item], first: int = 0) -> None:
    for i in range(first, 10):
        out.append(I.st_imm(O.DW, O.R7, STATE_ARGS + 8 * i, 0))


def args_none(out: list[Item]) -> None:
    zero_args(out)


def args_profile(out: list[Item]) -> None:
    """arg0 = kernel PC (0 in user mode), arg1 = user PC (0 in kernel mode)."""
    out += [
        I.ldx(O.DW, O.R1, O.R6, PT_REGS_IP),
        I.ldx(O.DW, O.R2, O.R6, PT_REGS_CS),
        I.alu64_imm(O.AND, O.R2, 3),
        I.jmp_imm(O.JEQ, O.R2, 3, "tr.user"),
        I.stx(O.DW, O.R7, STATE_ARGS, O.R1),
        I.st_imm(O.DW, O.R7, STATE_ARGS + 8, 0),
        I.ja("tr.args"),
        I.Label("tr.user"),
        I.st_imm(O.DW, O.R7, STATE_ARGS, 0),
        I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1),
        I.Label("tr.args"),
    ]
    zero_args(out, 2)


# --- tracepoints (syscall and sdt providers) --------------------------------------------
# A BPF_PROG_TYPE_TRACEPOINT program's context is the tracepoint's record as the
# events/G/N/format file lays it out. A syscall record: common fields (8 bytes),
# int __syscall_nr at 8, then the arguments (entry, six u64 at 16..56) or the
# return value (exit, long at 16).
SYSCALL_ARGS_OFF = 16
MAX_ERRNO = 4095


def syscall_nargs(probe) -> int:
    """probe.data of syscall probes: (nr, number of arguments or -1 if unknown)."""
    return probe.data[1] if len(probe.data) > 1 and probe.data[1] >= 0 else 6


def args_syscall_entry(out: list[Item], probes: list) -> None:
    """The kernel refuses to attach a program reading past the record's end, so
    only the system call's own arguments are read (programs are grouped by it)."""
    nargs = syscall_nargs(probes[0])
    for i in range(nargs):
        out += [I.ldx(O.DW, O.R1, O.R6, SYSCALL_ARGS_OFF + 8 * i),
                I.stx(O.DW, O.R7, STATE_ARGS + 8 * i, O.R1)]
    zero_args(out, nargs)


def store_return(out: list[Item]) -> None:
    """With the return value in R1: arg0 = arg1 = it, errno = -it for -4095..-1."""
    out += [I.stx(O.DW, O.R7, STATE_ARGS, O.R1), I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1),
            I.st_imm(O.DW, O.R7, STATE_ERRNO, 0),
            I.jmp_imm(O.JSGE, O.R1, 0, "tr.noerr"),
            I.jmp_imm(O.JSLT, O.R1, -MAX_ERRNO, "tr.noerr"),
            I.neg64(O.R1), I.stx(O.DW, O.R7, STATE_ERRNO, O.R1),
            I.Label("tr.noerr")]
    zero_args(out, 2)


def args_syscall_return(out: list[Item]) -> None:
    out.append(I.ldx(O.DW, O.R1, O.R6, SYSCALL_ARGS_OFF))
    store_return(out)


SIGN_BITS = {1: 8, 2: 16, 4: 32}


def load_tp_field(out: list[Item], i: int, field: tuple[int, int, bool, int]) -> None:
    """argI = one record field; see providers.tpformat.arg_layout for the modes."""
    off, size, signed, mode = field
    slot = STATE_ARGS + 8 * i
    if mode == 1:  # inline array: its address (stored once to turn it into a number)
        out += [I.mov64(O.R1, O.R6), I.add64_imm(O.R1, off), I.stx(O.DW, O.R7, slot, O.R1)]
        return
    out.append(I.ldx(O.SIZE_OF_BYTES[size], O.R1, O.R6, off))
    if mode == 2:  # __data_loc: low 16 bits locate the data from the record start
        out += [I.alu64_imm(O.AND, O.R1, 0xFFFF), I.mov64(O.R2, O.R6),
                I.stx(O.DW, O.R7, slot, O.R2), I.ldx(O.DW, O.R2, O.R7, slot),
                I.alu64_reg(O.ADD, O.R1, O.R2)]
    elif signed and size in SIGN_BITS:
        out.append(I.movsx64(O.R1, O.R1, SIGN_BITS[size]))
    out.append(I.stx(O.DW, O.R7, slot, O.R1))


def args_tracepoint(out: list[Item], probes: list) -> None:
    """sdt probes: the event's own fields in format order (probe.data[1])."""
    layout = probes[0].data[1]
    for i, field in enumerate(layout):
        load_tp_field(out, i, field)
    zero_args(out, len(layout))


def args_rawtp(out: list[Item], probes: list) -> None:
    """rawtp probes: the context is the tracepoint's arguments as u64s, each
    zero-extended from its own size (signed ones are sign-extended here); only
    the tracepoint's own arguments are read (the kernel refuses more).
    Layout entries are (context slot, size, signed): argI = ctx[slot].
    Stable providers add (subject task slot, filter): see codegen.subject."""
    if len(probes[0].data) > 3 and probes[0].data[3]:
        from pydtrace.codegen.subject import emit_filter

        emit_filter(out, probes[0].data[3])
    layout = probes[0].data[1]
    for i, (slot, size, signed) in enumerate(layout):
        out.append(I.ldx(O.DW, O.R1, O.R6, 8 * slot))
        if signed and size in SIGN_BITS:
            out.append(I.movsx64(O.R1, O.R1, SIGN_BITS[size]))
        out.append(I.stx(O.DW, O.R7, STATE_ARGS + 8 * i, O.R1))
    zero_args(out, len(layout))


def args_fentry(out: list[Item], probes: list) -> None:
    """fbt entry on fentry: the context is the function's arguments as u64s."""
    nargs = probes[0].data[2]
    for i in range(nargs):
        out += [I.ldx(O.DW, O.R1, O.R6, 8 * i), I.stx(O.DW, O.R7, STATE_ARGS + 8 * i, O.R1)]
    zero_args(out, nargs)


def args_fexit(out: list[Item], probes: list) -> None:
    """fbt return on fexit: arg0 = 0 (no offset), arg1 = the return value, which
    follows the arguments in the context."""
    out += [I.st_imm(O.DW, O.R7, STATE_ARGS, 0), I.ldx(O.DW, O.R1, O.R6, 8 * probes[0].data[2]),
            I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1)]
    zero_args(out, 2)


# --- wide syscall matches: one raw tracepoint on raw_syscalls:sys_enter/sys_exit -------
# The context is the tracepoint's arguments as u64s: (struct pt_regs *regs, long id)
# for sys_enter, (regs, long ret) for sys_exit. A read-only table maps the
# system-call number to the probe id (0: not traced); its map is named after
# the program (see syscall_table_map).
PT_REGS_ORIG_AX = 15 * 8
# x86-64 argument registers di, si, dx, r10, r8, r9 as offsets into the 64 bytes
# of struct pt_regs starting at r10 (offset 7*8): r10 r9 r8 ax cx dx si di
PT_REGS_SPAN = 7 * 8
SYSCALL_ARG_REGS = (7, 6, 5, 0, 2, 1)
NR_SLOT = -8
REGS_BUF = -72
SYSCALL_TABLE_SIZE = 1024


def syscall_table_map(prog_name: str) -> str:
    """``dt_sys_enter_12`` -> ``sysnr_12`` (map names are limited to 15 bytes)."""
    return "sysnr_" + prog_name.rsplit("_", 1)[-1]


def select_syscall(out: list[Item], table: str) -> None:
    """With the syscall number in R2: R8 = its probe id, or leave the program."""
    out += [I.jmp_imm(O.JGE, O.R2, SYSCALL_TABLE_SIZE, "tr.out"),
            I.alu64_imm(O.LSH, O.R2, 2), I.ld_map_value(O.R1, table, 0),
            I.alu64_reg(O.ADD, O.R1, O.R2), I.ldx(O.W, O.R8, O.R1, 0),
            I.jmp_imm(O.JEQ, O.R8, 0, "tr.out")]


def filter_sys_enter(out: list[Item], table: str) -> None:
    out.append(I.ldx(O.DW, O.R2, O.R6, 8))
    select_syscall(out, table)


def filter_sys_exit(out: list[Item], table: str) -> None:
    out += [I.mov64(O.R1, O.R10), I.add64_imm(O.R1, NR_SLOT), I.mov64_imm(O.R2, 8),
            I.ldx(O.DW, O.R3, O.R6, 0), I.add64_imm(O.R3, PT_REGS_ORIG_AX),
            I.call_helper(H.PROBE_READ_KERNEL), I.jmp_imm(O.JNE, O.R0, 0, "tr.out"),
            I.ldx(O.DW, O.R2, O.R10, NR_SLOT)]
    select_syscall(out, table)


def args_sys_enter(out: list[Item]) -> None:
    """One probe_read_kernel of the 64 bytes of pt_regs holding the six arguments."""
    out += [I.mov64(O.R1, O.R10), I.add64_imm(O.R1, REGS_BUF), I.mov64_imm(O.R2, 64),
            I.ldx(O.DW, O.R3, O.R6, 0), I.add64_imm(O.R3, PT_REGS_SPAN),
            I.call_helper(H.PROBE_READ_KERNEL)]
    for i, reg in enumerate(SYSCALL_ARG_REGS):
        out += [I.ldx(O.DW, O.R1, O.R10, REGS_BUF + 8 * reg),
                I.stx(O.DW, O.R7, STATE_ARGS + 8 * i, O.R1)]
    zero_args(out, 6)


def args_sys_exit(out: list[Item]) -> None:
    out.append(I.ldx(O.DW, O.R1, O.R6, 8))
    store_return(out)


class Kind:
    """How one probe kind's programs look: program type, id source, argument fill.

    ``fill_probes`` (instead of ``fill_args``) also sees the program's probes;
    probes with different ``group_key(probe)`` go to different programs;
    ``select`` (instead of a cookie) finds the probe id itself, in R8, from a
    table map named by ``syscall_table_map``; ``wide`` names the kind that
    replaces this one for programs of more than ``wide_min`` probes.
    """

    def __init__(self, prog_type: int, fill_args: Callable[[list[Item]], None] | None,
                 cookie: bool, gated: bool = True, attach_type: int = 0, *,
                 fill_probes: Callable[[list[Item], list], None] | None = None,
                 group_key: Callable[[object], object] | None = None,
                 select: Callable[[list[Item], str], None] | None = None,
                 wide: str | None = None, wide_min: int = 0) -> None:
        self.prog_type = prog_type
        self.fill_args = fill_args
        self.cookie = cookie
        self.gated = gated
        self.attach_type = attach_type
        self.fill_probes = fill_probes
        self.group_key = group_key
        self.select = select
        self.wide = wide
        self.wide_min = wide_min


KINDS = {
    "begin": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_none, cookie=False),
    "end": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_none, cookie=False, gated=False),
    "profile": Kind(sc.BPF_PROG_TYPE_PERF_EVENT, args_profile, cookie=True),
    "tick": Kind(sc.BPF_PROG_TYPE_PERF_EVENT, args_profile, cookie=True),
    "syscall_entry": Kind(sc.BPF_PROG_TYPE_TRACEPOINT, None, cookie=True,
                          fill_probes=args_syscall_entry, group_key=syscall_nargs,
                          wide="sys_enter", wide_min=WIDE_SYSCALLS),
    "syscall_return": Kind(sc.BPF_PROG_TYPE_TRACEPOINT, args_syscall_return, cookie=True,
                           wide="sys_exit", wide_min=WIDE_SYSCALLS),
    "sys_enter": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_sys_enter, cookie=False,
                      select=filter_sys_enter),
    "sys_exit": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_sys_exit, cookie=False,
                     select=filter_sys_exit),
    "tracepoint": Kind(sc.BPF_PROG_TYPE_TRACEPOINT, None, cookie=True,
                       fill_probes=args_tracepoint, group_key=lambda p: p.data),
    "rawtp": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, None, cookie=True,
                  fill_probes=args_rawtp, group_key=lambda p: p.data[1:]),  # [2]: subject
    # fbt: kprobes (pt_regs as for uprobes) or, one program per function, fentry/fexit
    "kprobe_entry": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_entry, cookie=True),
    "kprobe_return": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_return, cookie=True),
    "fentry": Kind(sc.BPF_PROG_TYPE_TRACING, None, cookie=False,
                   attach_type=sc.BPF_TRACE_FENTRY, fill_probes=args_fentry),
    "fexit": Kind(sc.BPF_PROG_TYPE_TRACING, None, cookie=False,
                  attach_type=sc.BPF_TRACE_FEXIT, fill_probes=args_fexit),
    # user space (providers.pid, providers.usdt): uprobes run kprobe-type programs
    "uprobe_entry": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_entry, cookie=True),
    "uprobe_return": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_return, cookie=True),
    "uprobe_offset": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_entry, cookie=True),
    "uprobe_ret": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_ret, cookie=True),
    # glob-matched pid probes on uprobe_multi links (providers.pid.attach_multi)
    "umulti_entry": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_entry, cookie=True,
                         attach_type=sc.BPF_TRACE_UPROBE_MULTI),
    "umulti_return": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_return, cookie=True,
                          attach_type=sc.BPF_TRACE_UPROBE_MULTI),
    "umulti_offset": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_entry, cookie=True,
                          attach_type=sc.BPF_TRACE_UPROBE_MULTI),
    "umulti_ret": Kind(sc.BPF_PROG_TYPE_KPROBE, U.args_uprobe_ret, cookie=True,
                       attach_type=sc.BPF_TRACE_UPROBE_MULTI),

    "usdt": Kind(sc.BPF_PROG_TYPE_KPROBE, None, cookie=True, fill_probes=U.args_usdt,
                 group_key=U.usdt_args),
    # lockstat contention probes on lock:contention_end; their begin hook (codegen.lockstat)
    "lockstat": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, None, cookie=True,
                     fill_probes=lambda out, probes: _lockstat_fill(out, probes),
                     group_key=lambda p: p.data),
}


def _lockstat_fill(out: list[Item], probes: list) -> None:
    from pydtrace.codegen.lockstat import fill

    fill(out, probes)


def trampoline(kind: str, probe_id: int, clause_labels: list[str], *,
               use_ts: bool, probes: list | None = None, prog_name: str = "",
               cpu: int | None = None, subject: bool = False,
               use_errno: bool = False) -> list[Item]:
    """``cpu`` (``-x cpu=N``): probes other than BEGIN/END fire only on CPU N.
    ``subject``: store the probe's subject task in the state (codegen.subject)."""
    k = KINDS[kind]
    out: list[Item] = [I.mov64(O.R6, O.R1)]
    if k.select is not None:
        k.select(out, syscall_table_map(prog_name))
    if k.gated:
        out += [I.ld_map_value(O.R1, "globals", GLOBAL_ACTIVITY),
                I.ldx(O.DW, O.R1, O.R1, 0),
                I.jmp_imm(O.JNE, O.R1, ACTIVE, "tr.out")]
    if cpu is not None and kind not in ("begin", "end"):
        out += [I.call_helper(H.GET_SMP_PROCESSOR_ID),
                I.jmp_imm(O.JNE, O.R0, cpu, "tr.out")]
    out += [I.st_imm(O.W, O.R10, -4, 0), I.ld_map_fd(O.R1, "state"), I.mov64(O.R2, O.R10),
            I.add64_imm(O.R2, -4), I.call_helper(H.MAP_LOOKUP_ELEM),
            I.jmp_imm(O.JEQ, O.R0, 0, "tr.out"), I.mov64(O.R7, O.R0)]
    # A firing nested in a running one on this CPU (a lock contended or a tracepoint hit
    # inside a program, an NMI) would clobber its state: it is dropped, as DTrace drops
    # probes firing in probe context. BEGIN and END run on demand, never nested.
    guard = kind not in ("begin", "end")
    if guard:
        out += [I.ldx(O.DW, O.R1, O.R7, STATE_BUSY), I.jmp_imm(O.JNE, O.R1, 0, "tr.out"),
                I.st_imm(O.DW, O.R7, STATE_BUSY, 1)]
    busy = len(out)
    if k.cookie and len(probes or []) != 1:
        # several probes share this program: the attach cookie says which one fired
        out += [I.mov64(O.R1, O.R6), I.call_helper(H.GET_ATTACH_COOKIE),
                I.stx(O.W, O.R7, STATE_PROBE_ID, O.R0)]
    elif k.select is not None:
        out.append(I.stx(O.W, O.R7, STATE_PROBE_ID, O.R8))
    else:
        out.append(I.st_imm(O.W, O.R7, STATE_PROBE_ID, probe_id))
    if use_errno:  # errno is 0 but in a failed system call's return (fill_args sets it)
        out.append(I.st_imm(O.DW, O.R7, STATE_ERRNO, 0))
    if k.fill_probes is not None:
        k.fill_probes(out, probes or [])
    elif k.fill_args is not None:
        k.fill_args(out)
    if use_ts:
        out += [I.call_helper(H.KTIME_GET_NS), I.stx(O.DW, O.R7, STATE_TS, O.R0)]
    if subject:
        from pydtrace.codegen.subject import store_task

        store_task(out, probes or [])
    for i, label in enumerate(clause_labels):
        if k.gated and i:  # exit() in an earlier clause: the later ones do not run
            out += [I.ld_map_value(O.R1, "globals", GLOBAL_ACTIVITY),
                    I.ldx(O.DW, O.R1, O.R1, 0),
                    I.jmp_imm(O.JNE, O.R1, ACTIVE, "tr.out")]
        out += [I.mov64(O.R1, O.R7), I.mov64(O.R2, O.R6), I.call_local(label)]
    if guard:  # from here on, leaving early (fill filters) must also clear the busy flag
        out[busy:] = [replace(i, target="tr.done") if isinstance(i, I.Insn)
                      and i.target == "tr.out" else i for i in out[busy:]]
        out += [I.Label("tr.done"), I.st_imm(O.DW, O.R7, STATE_BUSY, 0)]
    out += [I.Label("tr.out"), I.mov64_imm(O.R0, 0), I.exit_insn()]
    return out
