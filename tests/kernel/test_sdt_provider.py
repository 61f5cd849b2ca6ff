"""The sdt provider (kernel tracepoints as sdt:GROUP::NAME) through the dtrace command."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def dtrace(*args: str) -> str:
    res = subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_sched_switch_counts() -> None:
    out = dtrace("-qn", "sdt:sched::sched_switch { @ = count(); } tick-1s { exit(0); }")
    assert int(out.split()[0]) > 0


def test_process_exec_arguments() -> None:
    # sched_process_exec: __data_loc filename, pid, old_pid
    dt = subprocess.Popen(DTRACE + ["-qn", "sdt:sched::sched_process_exec /execname == \"true\"/"
                                    " { printf(\"%d %d\\n\", arg1, arg2); } tick-2s { exit(0); }"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    child = subprocess.run(["true"])
    assert child.returncode == 0
    out, err = dt.communicate(timeout=30)
    assert dt.returncode == 0, err
    pids = [tuple(map(int, line.split())) for line in out.splitlines() if line]
    assert pids and all(p == o and p > 0 for p, o in pids)


def test_mixed_layouts_share_a_clause() -> None:
    out = dtrace("-qn", "sdt:sched::sched_switch, sdt:sched::sched_wakeup, "
                 "sdt:syscalls::sys_enter_getppid { @[probename] = count(); } "
                 "tick-1s { exit(0); }")
    assert "sched_switch" in out


def test_listing_is_fast_and_complete() -> None:
    start = time.monotonic()
    out = dtrace("-l", "-n", "sdt:sched::")
    assert time.monotonic() - start < 3.0
    rows = [line.split()[1:] for line in out.splitlines()[1:]]
    assert ["sdt", "sched", "sched_switch"] in rows


def test_unknown_tracepoint_does_not_match() -> None:
    res = subprocess.run(DTRACE + ["-qn", "sdt:sched::no_such_tracepoint { }"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "no_such_tracepoint" in res.stderr
