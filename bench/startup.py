"""Start-up benchmark: wall time and peak RSS of a trivial script, pydtrace vs bpftrace.

Runs ``dtrace -qn 'BEGIN { exit(0); }'`` (the console script and ``python -m pydtrace``)
and ``bpftrace -e 'BEGIN { exit(); }'`` N times each, interleaved so that drifts in machine
load hit every tool alike, and reports medians and ratios to bpftrace. Targets: pydtrace's
median wall time <= 1/3 of bpftrace's and its peak RSS <= 1/2 of bpftrace's.
A script reading a kernel type (``curthread->pid``: BTF lookup, cached on disk) must
start within 1.2x of the plain ``BEGIN`` script.

Usage: python bench/startup.py [-n 15]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence

from _common import (
    Row,
    bpftrace_version,
    child_env,
    console_script,
    format_table,
    header,
    median,
    precompile,
    ratio,
    require_root,
    run_child,
    save,
)

WALL_TARGET = 1 / 3
RSS_TARGET = 1 / 2
D_SCRIPT = "BEGIN { exit(0); }"
BT_SCRIPT = "BEGIN { exit(); }"
BTF_SCRIPT = "BEGIN { trace(curthread->pid); exit(0); }"
BTF_TARGET = 1.2
PLAIN = "pydtrace (python -m pydtrace)"
BTF = "pydtrace curthread->pid (python -m)"


def commands() -> dict[str, list[str]]:
    """Tool label -> argv; pydtrace entries first, the bpftrace reference, a bare baseline."""
    cmds: dict[str, list[str]] = {}
    script = console_script("dtrace")
    if script:
        cmds["pydtrace (dtrace console script)"] = [script, "-qn", D_SCRIPT]
    cmds[PLAIN] = [sys.executable, "-m", "pydtrace", "-qn", D_SCRIPT]
    cmds[BTF] = [sys.executable, "-m", "pydtrace", "-qn", BTF_SCRIPT]
    on_path = shutil.which("dtrace")
    if on_path and script and on_path != script:
        # What a user typing `dtrace` gets here (e.g. a pyenv shim): informational only.
        cmds["pydtrace (dtrace on PATH)"] = [on_path, "-qn", D_SCRIPT]
    if shutil.which("bpftrace"):
        cmds["bpftrace"] = ["bpftrace", "-e", BT_SCRIPT]
    cmds["python3 -c pass (baseline)"] = [sys.executable, "-c", "pass"]
    return cmds


def measure(cmds: dict[str, list[str]], n: int) -> tuple[dict, dict, dict]:
    """Interleaved runs after one unrecorded warm-up each; returns walls, RSS, failures."""
    env = child_env()
    for argv in cmds.values():
        run_child(argv, env)
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    rss: dict[str, list[float]] = {k: [] for k in cmds}
    failures: dict[str, str] = {}
    labels = list(cmds)
    for i in range(n):
        # Rotate the order each round so no tool always runs right after another.
        for label in labels[i % len(labels):] + labels[:i % len(labels)]:
            run = run_child(cmds[label], env)
            if run.status != 0:
                failures[label] = f"exit {run.status}: {run.stderr.strip()[:200]}"
                continue
            walls[label].append(run.wall * 1000)
            rss[label].append(run.maxrss_kib / 1024)
    return walls, rss, failures


def rows_for(values: dict[str, list[float]], unit: str, target: float) -> list[Row]:
    """Median rows; pydtrace rows carry the target (the PATH shim row is informational)."""
    ref = median(values.get("bpftrace", []))
    rows = []
    for label, vals in values.items():
        med = median(vals)
        graded = label.startswith("pydtrace") and "PATH" not in label and label != BTF
        rows.append(Row(label, med, unit, ratio(med, ref), target if graded else None,
                        f"n={len(vals)}"))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print and save the table; exit 1 when a graded target fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per tool (default 15)")
    args = parser.parse_args(argv)
    require_root()
    precompile()
    cmds = commands()
    walls, rss, failures = measure(cmds, args.n)
    wall_rows = rows_for(walls, "ms", WALL_TARGET)
    rss_rows = rows_for(rss, "MiB", RSS_TARGET)
    plain = median(walls.get(PLAIN, []))
    btf_rows = [Row(label, median(walls.get(label, [])), "ms",
                    ratio(median(walls.get(label, [])), plain),
                    BTF_TARGET if label == BTF else None, f"n={len(walls.get(label, []))}")
                for label in (PLAIN, BTF)]
    parts = [header(f"N={args.n} interleaved"), f"# {bpftrace_version()}",
             "# children run without PYTHONDONTWRITEBYTECODE; pydtrace precompiled",
             format_table("== start-up wall time: BEGIN { exit } ==", wall_rows), "",
             format_table("== start-up peak RSS (ru_maxrss of the child) ==", rss_rows), "",
             format_table("== start-up with a kernel type: " + BTF_SCRIPT + " ==", btf_rows,
                          reference="plain BEGIN pydtrace")]
    parts += [f"! {label} failed: {msg}" for label, msg in failures.items()]
    save("startup", "\n".join(parts))
    graded = [r for r in wall_rows + rss_rows + btf_rows if r.target is not None]
    return 1 if failures or any(r.verdict() == "FAIL" for r in graded) else 0


if __name__ == "__main__":
    sys.exit(main())
