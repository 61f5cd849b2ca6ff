"""Wide attach: wall time of a script on every system call, start to finish.

``dtrace -qn 'syscall:::entry { @[probefunc] = count(); } BEGIN { exit(0); }'`` against
``bpftrace -e 'tracepoint:syscalls:sys_enter_* { @[probe] = count(); } BEGIN { exit(); }'``.
Attaching and detaching hundreds of tracepoints costs an RCU grace period each on
the way out; pydtrace attaches one program to raw_syscalls instead. Target: under 1 s.

Usage: python bench/wide_attach.py [-n 3]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from _common import (
    Row,
    bpftrace_version,
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

TARGET_SECONDS = 1.0
D_SCRIPT = "syscall:::entry { @[probefunc] = count(); } BEGIN { exit(0); }"
BT_SCRIPT = "tracepoint:syscalls:sys_enter_* { @[probe] = count(); } BEGIN { exit(); }"


def timed(argv: list[str]) -> float:
    return run_child(argv).wall


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="runs per tool (median)")
    args = parser.parse_args(argv)
    require_root()
    precompile()
    dtrace = [console_script("dtrace") or "dtrace", "-qn", D_SCRIPT]
    bpftrace = ["bpftrace", "-e", BT_SCRIPT]
    ours = [timed(dtrace) for _ in range(args.n)]
    theirs = [timed(bpftrace) for _ in range(args.n)]
    ref = median(theirs)
    rows = [Row("bpftrace", ref, "s", 1.0),
            Row("pydtrace", median(ours), "s", ratio(median(ours), ref), TARGET_SECONDS / ref,
                f"target: under {TARGET_SECONDS:.0f} s")]
    text = header(bpftrace_version()) + "\n" + format_table(
        "wide attach: every syscall entry, launch to exit", rows)
    print(text)
    save("wide_attach", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
