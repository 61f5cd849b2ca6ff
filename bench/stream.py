"""Streaming benchmark: events/s of a one-line printf per syscall, pydtrace vs bpftrace.

A C trigger (bench/getppid_loop.c, built with gcc -O2 into a temporary directory) makes N
getppid() calls; each tracer prints one line per call. Output goes to a file (so lines can
be counted; a file write is as cheap as /dev/null for the tracer), and every drop the tracer
reports ("dtrace: N drops on CPU C", bpftrace's "Lost N events") is summed. Throughput is
delivered lines / (time from trigger start to the last output growth). Both tracers filter
on the trigger's command name so other processes' getppid() calls neither inflate the line
count nor compete for the buffer.

pydtrace has no syscall provider yet: while it answers "does not match any probes" the
script says so and still reports bpftrace's figure.

Usage: python bench/stream.py [-n 1000000] [-r 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence

from _common import (
    NO_PROBES,
    Row,
    Tracer,
    bpftrace_version,
    build_trigger,
    console_script,
    count_drops,
    format_table,
    header,
    median,
    precompile,
    ratio,
    require_root,
    run_trigger,
    save,
)

TARGET = 5.0  # the spine issue: at least five times bpftrace's delivered events/s
D_SCRIPT = """BEGIN { printf("READY\\n"); }
syscall::getppid:entry /execname == "getppid_loop"/ { printf("%d\\n", arg0); }
"""
BT_SCRIPT = ('BEGIN { printf("READY\\n"); } '
             'tracepoint:syscalls:sys_enter_getppid /comm == "getppid_loop"/ '
             '{ printf("%d\\n", args->__syscall_nr); }')
QUIET_SECONDS = 1.0  # output unchanged this long = the tracer has caught up


class Unavailable(Exception):
    """The tool cannot run this benchmark yet (e.g. a provider is missing)."""


def tracer_argv(tool: str, workdir: str) -> list[str]:
    """The command line for ``tool`` ('pydtrace' or 'bpftrace')."""
    if tool == "bpftrace":
        return ["bpftrace", "-e", BT_SCRIPT]
    path = os.path.join(workdir, "stream.d")
    with open(path, "w") as f:
        f.write(D_SCRIPT)
    return [console_script("dtrace") or "dtrace", "-q", "-s", path]


def wait_quiet(tracer: Tracer) -> float:
    """Poll until the output stops growing; return when it last grew (monotonic)."""
    size, last_change = tracer.out_size(), time.monotonic()
    while time.monotonic() - last_change < QUIET_SECONDS and tracer.proc.poll() is None:
        time.sleep(0.02)
        now_size = tracer.out_size()
        if now_size != size:
            size, last_change = now_size, time.monotonic()
    return last_change


def one_run(tool: str, trigger: str, calls: int, workdir: str) -> tuple[float, int, int, float]:
    """One traced trigger run: (events/s delivered, lines, drops, offered events/s)."""
    tracer = Tracer(tracer_argv(tool, workdir), workdir, tool)
    if not tracer.wait_ready():
        text = tracer.stop()
        if NO_PROBES in text:
            raise Unavailable("syscall provider not available yet")
        raise Unavailable(f"did not start: {text.strip()[-300:]}")
    start = time.monotonic()
    ns_per_call = run_trigger(trigger, calls)
    last = wait_quiet(tracer)
    text = tracer.stop()
    lines = sum(1 for line in tracer.output().splitlines() if line.strip().isdigit())
    return lines / max(last - start, 1e-9), lines, count_drops(text), 1e9 / ns_per_call


def measure(tool: str, trigger: str, calls: int, runs: int, workdir: str) -> Row:
    """Median over ``runs``; the note carries delivered, dropped and unaccounted counts."""
    rates, lines, drops, offered = [], [], [], []
    for _ in range(runs):
        rate, n, d, off = one_run(tool, trigger, calls, workdir)
        rates.append(rate)
        lines.append(n)
        drops.append(d)
        offered.append(off)
    # Paired per run: medians of lines and drops may come from different runs.
    missing = median([calls - n - d for n, d in zip(lines, drops, strict=True)])
    note = (f"lines={median(lines):.0f} drops={median(drops):.0f} "
            f"unaccounted={missing:.0f} offered={median(offered):.3g}/s runs={runs}")
    target = TARGET if tool == "pydtrace" else None
    return Row(tool, median(rates), "ev/s", None, target, note, at_least=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="getppid() calls per run")
    parser.add_argument("-r", type=int, default=3, help="runs per tool (median)")
    args = parser.parse_args(argv)
    require_root()
    precompile()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="pydtrace-bench-") as workdir:
        trigger = build_trigger(workdir)
        for tool in ("bpftrace", "pydtrace"):
            try:
                rows.append(measure(tool, trigger, args.n, args.r, workdir))
            except Unavailable as exc:
                notes.append(f"{tool}: {exc}")
    ref = next((r.median for r in rows if r.tool == "bpftrace"), float("nan"))
    for r in rows:
        # Higher is better here: report ours / bpftrace's rate.
        r.ratio = ratio(r.median, ref)
    table = format_table(f"== streaming: printf per getppid(), N={args.n}; delivered ev/s, "
                         "higher is better ==", rows)
    parts = [header(), f"# {bpftrace_version()}", table] + notes
    save("stream", "\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
