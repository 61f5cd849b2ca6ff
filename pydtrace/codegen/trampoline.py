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

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item
from pydtrace.codegen.layout import ACTIVE, GLOBAL_ACTIVITY, STATE_ARGS, STATE_PROBE_ID, STATE_TS
from pydtrace.sys import syscall as sc

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


class Kind:
    """How one probe kind's programs look: program type, id source, argument fill."""

    def __init__(self, prog_type: int, fill_args: Callable[[list[Item]], None],
                 cookie: bool, gated: bool = True, attach_type: int = 0) -> None:
        self.prog_type = prog_type
        self.fill_args = fill_args
        self.cookie = cookie
        self.gated = gated
        self.attach_type = attach_type


KINDS = {
    "begin": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_none, cookie=False),
    "end": Kind(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, args_none, cookie=False, gated=False),
    "profile": Kind(sc.BPF_PROG_TYPE_PERF_EVENT, args_profile, cookie=True),
    "tick": Kind(sc.BPF_PROG_TYPE_PERF_EVENT, args_profile, cookie=True),
}


def trampoline(kind: str, probe_id: int, clause_labels: list[str], *,
               use_ts: bool) -> list[Item]:
    k = KINDS[kind]
    out: list[Item] = [I.mov64(O.R6, O.R1)]
    if k.gated:
        out += [I.ld_map_value(O.R1, "globals", GLOBAL_ACTIVITY),
                I.ldx(O.DW, O.R1, O.R1, 0),
                I.jmp_imm(O.JNE, O.R1, ACTIVE, "tr.out")]
    out += [I.st_imm(O.W, O.R10, -4, 0), I.ld_map_fd(O.R1, "state"), I.mov64(O.R2, O.R10),
            I.add64_imm(O.R2, -4), I.call_helper(H.MAP_LOOKUP_ELEM),
            I.jmp_imm(O.JEQ, O.R0, 0, "tr.out"), I.mov64(O.R7, O.R0)]
    if k.cookie:
        out += [I.mov64(O.R1, O.R6), I.call_helper(H.GET_ATTACH_COOKIE),
                I.stx(O.W, O.R7, STATE_PROBE_ID, O.R0)]
    else:
        out.append(I.st_imm(O.W, O.R7, STATE_PROBE_ID, probe_id))
    k.fill_args(out)
    if use_ts:
        out += [I.call_helper(H.KTIME_GET_NS), I.stx(O.DW, O.R7, STATE_TS, O.R0)]
    for label in clause_labels:
        out += [I.mov64(O.R1, O.R7), I.mov64(O.R2, O.R6), I.call_local(label)]
    out += [I.Label("tr.out"), I.mov64_imm(O.R0, 0), I.exit_insn()]
    return out
