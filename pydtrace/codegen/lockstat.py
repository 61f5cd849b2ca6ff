"""Code for the lockstat provider's contention probes (providers.lockstat).

The kernel's ``lock:contention_begin(lock, flags)`` and
``lock:contention_end(lock, ret)`` tracepoints bracket every contended lock
acquisition. Two companion programs are added to any program enabling a
lockstat probe: one on ``contention_begin`` (``begin_program``) records where
and when the wait started, one on ``contention_end`` (``end_program``,
attached after the probes' programs) retires spin records. Each probe's
program on ``contention_end`` (the trampoline fill ``fill``) finds the
record, keeps the firing only if the lock's kind and the outcome match its
probe, and computes the wait.

A record is ``{lock, start ns, flags, tid}`` (32 bytes). Spin lock and
rwlock_t waits (``LCB_F_SPIN`` alone or with ``READ``/``WRITE``: the waiter
keeps its CPU, preemption off) are pushed on a per-CPU stack (``lockpc``):
they nest there (a spin lock contended in an interrupt, locks taken by BPF
programs themselves) and end innermost first. Mutex and rw-semaphore waits
(which may be scheduled out, even while spinning) go to a hash keyed by tid
(``lockth``); a mutex that spins (``MUTEX|SPIN``) and then sleeps (``MUTEX``)
is classified by the sleep, and a woken waiter spinning again keeps its sleep
record. The end companion pops or deletes the record, so a record never
outlives its wait (but for waits whose end a nested firing hid: the stack is
popped down to the ending lock's record, and an LRU hash evicts).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item
from pydtrace.codegen.layout import STATE_ARGS

# include/trace/events/lock.h
LCB_F_SPIN, LCB_F_READ, LCB_F_WRITE, LCB_F_RT, LCB_F_PERCPU, LCB_F_MUTEX = 1, 2, 4, 8, 16, 32
RW = LCB_F_READ | LCB_F_WRITE
ADAPTIVE = LCB_F_MUTEX | LCB_F_RT
KNOWN = LCB_F_SPIN | RW | ADAPTIVE  # flags 0: semaphores, not a lockstat lock kind
RW_WRITER, RW_READER = 0, 1  # illumos krw_t, as Oracle's rw probes report them

PERCPU_MAP = "lockpc"
THREAD_MAP = "lockth"
THREAD_ENTRIES = 16384
RECORD = 32
DEPTH = 8  # per-CPU stack of spin records: u64 depth, then DEPTH records
STACK_SIZE = 8 + DEPTH * RECORD
TID_SLOT = -16  # trampoline stack: the tid key (the state key, 0, is at -4)

# class -> ((flag mask, must be set?), ...), outcome (None: any, True: ret == 0, False: ret != 0)
CLASSES: dict[str, tuple[tuple[tuple[int, bool], ...], bool | None]] = {
    "adaptive-spin": (((RW, False), (ADAPTIVE, True), (LCB_F_SPIN, True)), True),
    "adaptive-block": (((RW, False), (ADAPTIVE, True), (LCB_F_SPIN, False)), True),
    "adaptive-acquire-error": (((RW, False), (ADAPTIVE, True)), False),
    "rw-spin": (((RW, True), (LCB_F_SPIN, True)), None),
    "rw-block": (((RW, True), (LCB_F_SPIN, False)), True),
    "spin-spin": (((RW | ADAPTIVE, False), (LCB_F_SPIN, True)), None),
}


def slot_maps() -> list:
    from pydtrace.codegen.program import MapSpec
    from pydtrace.sys import syscall as sc

    return [MapSpec(PERCPU_MAP, sc.BPF_MAP_TYPE_PERCPU_ARRAY, 4, STACK_SIZE, 1),
            MapSpec(THREAD_MAP, sc.BPF_MAP_TYPE_LRU_HASH, 4, RECORD, THREAD_ENTRIES)]


def _companion(name: str, kind: str, event: str, out: list[Item]):
    from pydtrace.bpf.asm import resolve
    from pydtrace.codegen.program import ProgramSpec
    from pydtrace.providers.base import Probe
    from pydtrace.sys import syscall as sc

    hook = Probe("lockstat", "vmlinux", "", event, kind)
    return ProgramSpec(name, kind, sc.BPF_PROG_TYPE_RAW_TRACEPOINT, resolve(out), [hook])


def _lookup_stack(out: list[Item], fail: str) -> None:
    """R0 = this CPU's spin stack (key 0 stored at fp-4), or leave for ``fail``."""
    out += [I.st_imm(O.W, O.R10, -4, 0), I.ld_map_fd(O.R1, PERCPU_MAP), I.mov64(O.R2, O.R10),
            I.add64_imm(O.R2, -4), I.call_helper(H.MAP_LOOKUP_ELEM),
            I.jmp_imm(O.JEQ, O.R0, 0, fail)]


def _match(out: list[Item], base: int, tid: int, miss: str) -> None:
    """Go to ``miss`` unless the record at R0+base names this lock and thread."""
    out += [I.ldx(O.DW, O.R1, O.R0, base), I.ldx(O.DW, O.R2, O.R6, 0),
            I.jmp_reg(O.JNE, O.R1, O.R2, miss),
            I.ldx(O.DW, O.R1, O.R0, base + 24), I.ldx(O.DW, O.R2, O.R10, tid),
            I.jmp_reg(O.JNE, O.R1, O.R2, miss)]


def begin_program():
    """The contention_begin companion: pushes a spin lock's wait record on this
    CPU's stack; stores a mutex's or rw-semaphore's under the thread, unless
    the thread already sleeps on that lock (a woken mutex waiter spinning
    again: the acquisition stays a blocking one, timed from its sleep)."""
    rec = -48
    out: list[Item] = [
        I.mov64(O.R6, O.R1),
        I.ldx(O.DW, O.R1, O.R6, 8), I.alu64_imm(O.AND, O.R1, KNOWN),
        I.jmp_imm(O.JEQ, O.R1, 0, "lb.out"),
        I.call_helper(H.GET_CURRENT_PID_TGID), I.mov32(O.R0, O.R0),
        I.stx(O.DW, O.R10, TID_SLOT, O.R0), I.stx(O.DW, O.R10, rec + 24, O.R0),
        I.ldx(O.DW, O.R1, O.R6, 0), I.stx(O.DW, O.R10, rec, O.R1),
        I.ldx(O.DW, O.R1, O.R6, 8), I.stx(O.DW, O.R10, rec + 16, O.R1),
        I.call_helper(H.KTIME_GET_NS), I.stx(O.DW, O.R10, rec + 8, O.R0),
        I.ldx(O.DW, O.R1, O.R6, 8), I.alu64_imm(O.AND, O.R1, LCB_F_SPIN | ADAPTIVE),
        I.jmp_imm(O.JNE, O.R1, LCB_F_SPIN, "lb.thread"),
    ]
    _lookup_stack(out, "lb.out")
    out += [I.ldx(O.DW, O.R1, O.R0, 0), I.mov64(O.R2, O.R1), I.add64_imm(O.R2, 1),
            I.stx(O.DW, O.R0, 0, O.R2),  # the depth counts records too deep to keep
            I.jmp_imm(O.JGE, O.R1, DEPTH, "lb.out"),
            I.alu64_imm(O.LSH, O.R1, 5), I.alu64_reg(O.ADD, O.R0, O.R1)]
    for off in range(0, RECORD, 8):
        out += [I.ldx(O.DW, O.R1, O.R10, rec + off), I.stx(O.DW, O.R0, 8 + off, O.R1)]
    out += [
        I.ja("lb.out"),
        I.Label("lb.thread"),
        I.ld_map_fd(O.R1, THREAD_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, TID_SLOT),
        I.call_helper(H.MAP_LOOKUP_ELEM), I.jmp_imm(O.JEQ, O.R0, 0, "lb.store"),
        I.ldx(O.DW, O.R1, O.R0, 0), I.ldx(O.DW, O.R2, O.R6, 0),
        I.jmp_reg(O.JNE, O.R1, O.R2, "lb.store"),
        I.ldx(O.DW, O.R1, O.R0, 16), I.alu64_imm(O.AND, O.R1, LCB_F_SPIN),
        I.jmp_imm(O.JEQ, O.R1, 0, "lb.out"),
        I.Label("lb.store"),
        I.ld_map_fd(O.R1, THREAD_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, TID_SLOT),
        I.mov64(O.R3, O.R10), I.add64_imm(O.R3, rec), I.mov64_imm(O.R4, 0),
        I.call_helper(H.MAP_UPDATE_ELEM),
        I.Label("lb.out"), I.mov64_imm(O.R0, 0), I.exit_insn(),
    ]
    return _companion("dt_lockstat_beg", "lockstat_begin", "contention_begin", out)


def end_program():
    """The contention_end companion, attached after the probes' programs: retires
    the wait's record, popping the topmost stack record naming the ending lock
    and thread (and any left above it by waits whose end was not seen) off this
    CPU's stack, or deleting the thread's record of that lock."""
    out: list[Item] = [I.mov64(O.R6, O.R1), I.call_helper(H.GET_CURRENT_PID_TGID),
                       I.mov32(O.R0, O.R0), I.stx(O.DW, O.R10, TID_SLOT, O.R0)]
    _lookup_stack(out, "le.thread")
    out.append(I.ldx(O.DW, O.R3, O.R0, 0))
    for k in reversed(range(DEPTH)):
        skip = f"le.{k}"
        out.append(I.jmp_imm(O.JLE, O.R3, k, skip))
        _match(out, 8 + k * RECORD, TID_SLOT, skip)
        out += [I.st_imm(O.DW, O.R0, 0, k), I.ja("le.out"), I.Label(skip)]
    out += [I.jmp_imm(O.JLE, O.R3, DEPTH, "le.thread"), I.add64_imm(O.R3, -1),
            I.stx(O.DW, O.R0, 0, O.R3),
            I.Label("le.thread"),
            I.ld_map_fd(O.R1, THREAD_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, TID_SLOT),
            I.call_helper(H.MAP_LOOKUP_ELEM), I.jmp_imm(O.JEQ, O.R0, 0, "le.out"),
            I.ldx(O.DW, O.R1, O.R0, 0), I.ldx(O.DW, O.R2, O.R6, 0),
            I.jmp_reg(O.JNE, O.R1, O.R2, "le.out"),
            I.ld_map_fd(O.R1, THREAD_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, TID_SLOT),
            I.call_helper(H.MAP_DELETE_ELEM),
            I.Label("le.out"), I.mov64_imm(O.R0, 0), I.exit_insn()]
    return _companion("dt_lockstat_end", "lockstat_end", "contention_end", out)


def fill(out: list[Item], probes: list) -> None:
    """Trampoline fill on contention_end (R6 = context, R7 = state): leave unless
    this thread's newest wait record names the lock and matches the probe's
    class; then arg0 = the lock, arg1 = the wait in ns (or the error), arg2 = RW_*."""
    from pydtrace.codegen.trampoline import zero_args

    cls = probes[0].data[0] if probes and probes[0].data else None
    if cls not in CLASSES:  # acquire/release probes: never attached (providers.lockstat)
        zero_args(out)
        return
    conds, ok = CLASSES[cls]
    out += [I.call_helper(H.GET_CURRENT_PID_TGID), I.mov32(O.R0, O.R0),
            I.stx(O.DW, O.R10, TID_SLOT, O.R0), I.mov64_imm(O.R8, 0), I.mov64_imm(O.R9, 0),
            # the topmost spinning record on this CPU's stack naming this thread and lock
            I.ld_map_fd(O.R1, PERCPU_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, -4),
            I.call_helper(H.MAP_LOOKUP_ELEM), I.jmp_imm(O.JEQ, O.R0, 0, "ls.thread"),
            I.ldx(O.DW, O.R3, O.R0, 0)]
    for k in reversed(range(DEPTH)):
        skip = f"ls.r{k}"
        out.append(I.jmp_imm(O.JLE, O.R3, k, skip))
        _match(out, 8 + k * RECORD, TID_SLOT, skip)
        out += [I.ldx(O.DW, O.R8, O.R0, 8 + k * RECORD + 8),
                I.ldx(O.DW, O.R9, O.R0, 8 + k * RECORD + 16), I.ja("ls.thread"), I.Label(skip)]
    out += [# the sleeping record of this thread, if this lock's and newer
            I.Label("ls.thread"),
            I.ld_map_fd(O.R1, THREAD_MAP), I.mov64(O.R2, O.R10), I.add64_imm(O.R2, TID_SLOT),
            I.call_helper(H.MAP_LOOKUP_ELEM), I.jmp_imm(O.JEQ, O.R0, 0, "ls.class"),
            I.ldx(O.DW, O.R1, O.R0, 0), I.ldx(O.DW, O.R2, O.R6, 0),
            I.jmp_reg(O.JNE, O.R1, O.R2, "ls.class"),
            I.ldx(O.DW, O.R1, O.R0, 8), I.jmp_reg(O.JLE, O.R1, O.R8, "ls.class"),
            I.mov64(O.R8, O.R1), I.ldx(O.DW, O.R9, O.R0, 16),
            I.Label("ls.class"), I.jmp_imm(O.JEQ, O.R8, 0, "tr.out")]
    for mask, is_set in conds:
        out += [I.mov64(O.R1, O.R9), I.alu64_imm(O.AND, O.R1, mask),
                I.jmp_imm(O.JEQ if is_set else O.JNE, O.R1, 0, "tr.out")]
    if ok is not None:
        out += [I.ldx(O.DW, O.R1, O.R6, 8), I.movsx64(O.R1, O.R1, 32),
                I.jmp_imm(O.JNE if ok else O.JEQ, O.R1, 0, "tr.out")]
    out += [I.ldx(O.DW, O.R1, O.R6, 0), I.stx(O.DW, O.R7, STATE_ARGS, O.R1)]
    if ok is False:  # adaptive-acquire-error: args[1] = the error
        out += [I.ldx(O.DW, O.R1, O.R6, 8), I.movsx64(O.R1, O.R1, 32),
                I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1)]
    else:
        out += [I.call_helper(H.KTIME_GET_NS), I.alu64_reg(O.SUB, O.R0, O.R8),
                I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R0)]
    nargs = 2
    if cls.startswith("rw-"):  # args[2]: RW_READER (1) or RW_WRITER (0)
        out += [I.mov64(O.R1, O.R9), I.alu64_imm(O.RSH, O.R1, 1), I.alu64_imm(O.AND, O.R1, 1),
                I.stx(O.DW, O.R7, STATE_ARGS + 16, O.R1)]
        nargs = 3
    zero_args(out, nargs)
