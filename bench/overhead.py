"""Per-event overhead benchmark: what tracing adds to one getppid() call.

The C trigger (bench/getppid_loop.c) times N getppid() calls itself; the added cost per
event is (traced ns/call - bare ns/call). Measured for ``@ = count()`` and
``@[pid] = quantize(arg0)`` in pydtrace and their bpftrace equivalents, and for the floor:
an empty BPF program (``r0 = 0; exit``) attached to the same tracepoint with pydtrace.sys
through one perf event (pid=-1, cpu=first online CPU; it then runs on every CPU).

pydtrace has no syscall provider yet: while it answers "does not match any probes" the
script says so and still reports bpftrace's and the floor's figures.

Usage: python bench/overhead.py [-n 2000000] [-k 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import struct
import sys
import tempfile
from collections.abc import Callable, Sequence

from _common import (
    NO_PROBES,
    Row,
    Tracer,
    bpftrace_version,
    build_trigger,
    console_script,
    format_table,
    header,
    median,
    precompile,
    ratio,
    require_root,
    run_trigger,
    save,
)

# targets (aggregations issue): count() at most 0.8x bpftrace's added cost and within 1.2x of
# the floor; keyed aggregations at most 0.7x bpftrace's
TARGETS = {"pydtrace count": 0.8, "pydtrace count-raw": 0.8, "pydtrace quantize": 0.7}
FLOOR_TARGET = 1.2
BPF_PROG_TYPE_TRACEPOINT = 5
READY = 'BEGIN { printf("READY\\n"); }\n'
CONFIGS = {  # label -> (pydtrace clause, bpftrace probe)
    "count": ("syscall::getppid:entry { @ = count(); }",
              "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"),
    "count-raw": ("#pragma D option rawsyscalls\nsyscall::getppid:entry { @ = count(); }",
                  "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"),
    "quantize": ("syscall::getppid:entry { @[pid] = quantize(arg0); }",
                 "tracepoint:syscalls:sys_enter_getppid { @[pid] = hist(args->__syscall_nr); }"),
}


class Unavailable(Exception):
    """The tool cannot run this benchmark yet (e.g. a provider is missing)."""


def trigger_ns(trigger: str, calls: int, runs: int) -> float:
    """Median ns per getppid() call over ``runs`` trigger runs."""
    return median([run_trigger(trigger, calls) for _ in range(runs)])


def empty_program_bytes() -> bytes:
    """``r0 = 0; exit`` as raw BPF instructions (code, regs, off, imm)."""
    mov_r0_0 = struct.pack("<BBhi", 0xB7, 0, 0, 0)  # BPF_ALU64 | BPF_MOV | BPF_K
    exit_ = struct.pack("<BBhi", 0x95, 0, 0, 0)  # BPF_JMP | BPF_EXIT
    return mov_r0_0 + exit_


def floor_ns(trigger: str, calls: int, runs: int) -> float:
    """ns/call with the empty program attached on every online CPU."""
    from pydtrace.sys.links import Link
    from pydtrace.sys.perf import PerfEvent, online_cpus
    from pydtrace.sys.progs import Program
    from pydtrace.sys.tracefs import tracepoint_id

    tp = tracepoint_id("syscalls", "sys_enter_getppid")
    with contextlib.ExitStack() as stack:
        prog = stack.enter_context(Program.load(BPF_PROG_TYPE_TRACEPOINT,
                                                empty_program_bytes(), name="bench_floor"))
        # A tracepoint's BPF programs hang off the tracepoint, not off the perf event: one
        # event (pid=-1, any real CPU) makes the program run on every CPU, and attaching the
        # same program through a second CPU's event fails with EEXIST.
        event = stack.enter_context(PerfEvent.tracepoint(tp, cpu=online_cpus()[0], pid=-1))
        stack.enter_context(Link.perf_event(prog.fd, event.fd))
        return trigger_ns(trigger, calls, runs)


def traced_ns(argv: list[str], tag: str, workdir: str, run: Callable[[], float]) -> float:
    """Start a tracer, wait for READY, run the trigger, stop it."""
    tracer = Tracer(argv, workdir, tag)
    if not tracer.wait_ready():
        text = tracer.stop()
        if NO_PROBES in text:
            raise Unavailable("syscall provider not available yet")
        raise Unavailable(f"did not start: {text.strip()[-300:]}")
    try:
        return run()
    finally:
        tracer.stop()


def tool_argv(tool: str, config: str, workdir: str) -> list[str]:
    """The command line running ``config`` under ``tool``."""
    d_clause, bt_probe = CONFIGS[config]
    if tool == "bpftrace":
        return ["bpftrace", "-e", READY + bt_probe]
    path = os.path.join(workdir, f"overhead-{config}.d")
    with open(path, "w") as f:
        f.write(READY + d_clause + "\n")
    return [console_script("dtrace") or "dtrace", "-q", "-s", path]


def measure_all(trigger: str, calls: int, runs: int,
                workdir: str) -> tuple[list[float], dict, list]:
    """Bare samples and {label: (traced ns/call, bare ns/call just before)}; notes for tools
    that could not run. Each traced figure is paired with a bare run taken right before it,
    so slow drifts in machine load (other work on the box) cancel out of the difference."""
    run = lambda: trigger_ns(trigger, calls, runs)  # noqa: E731 - a tiny closure
    bare: list[float] = []
    traced: dict[str, tuple[float, float]] = {}
    bare.append(run())
    traced["floor (empty BPF program)"] = (floor_ns(trigger, calls, runs), bare[-1])
    notes: list[str] = []
    for config in CONFIGS:
        for tool in ("bpftrace", "pydtrace"):
            bare.append(run())
            try:
                traced[f"{tool} {config}"] = (traced_ns(tool_argv(tool, config, workdir),
                                                        f"{tool}-{config}", workdir, run),
                                              bare[-1])
            except Unavailable as exc:
                if f"{tool}: {exc}" not in notes:
                    notes.append(f"{tool}: {exc}")
    return bare, traced, notes


def build_rows(bare: list[float], traced: dict[str, tuple[float, float]]) -> list[Row]:
    """Added ns/event rows; each ratio is to bpftrace doing the same thing (floor: count)."""
    rows = [Row("bare getppid() (untraced)", median(bare), "ns/call",
                note=f"per call, no tracing; range {min(bare):.1f}-{max(bare):.1f}")]
    added = {label: ns - base for label, (ns, base) in traced.items()}
    for label, (ns, base) in traced.items():
        config = label.split()[-1]
        ref = added.get(f"bpftrace {config}", added.get("bpftrace count", float("nan")))
        rows.append(Row(label, added[label], "ns/ev", ratio(added[label], ref),
                        TARGETS.get(label), f"traced {ns:.1f} vs bare {base:.1f} ns/call"))
    floor = added.get("floor (empty BPF program)")
    if floor and "pydtrace count" in added:
        rows.append(Row("pydtrace count vs floor", added["pydtrace count"], "ns/ev",
                        ratio(added["pydtrace count"], floor), FLOOR_TARGET,
                        "ratio to the empty program's added cost"))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2_000_000, help="getppid() calls per run")
    parser.add_argument("-k", type=int, default=5, help="trigger runs per config (median)")
    args = parser.parse_args(argv)
    require_root()
    precompile()
    with tempfile.TemporaryDirectory(prefix="pydtrace-bench-") as workdir:
        trigger = build_trigger(workdir)
        bare, traced, notes = measure_all(trigger, args.n, args.k, workdir)
    title = f"== per-event overhead: getppid() x {args.n}, median of {args.k} runs =="
    parts = [header(), f"# {bpftrace_version()}",
             format_table(title, build_rows(bare, traced),
                          reference="bpftrace (same aggregation; floor vs count)")]
    save("overhead", "\n".join(parts + notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
