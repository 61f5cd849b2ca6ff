"""-x rawsyscalls: a narrow syscall probe on raw_syscalls counts exactly as its tracepoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time

SCRIPT = ('syscall::getppid:entry /pid == {pid}/ {{ @ = count(); }} '
          'syscall::getppid:return /pid == {pid}/ {{ @r[arg1] = count(); }}')


def test_raw_syscalls_count_exactly() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import os, sys; sys.stdin.read(); "
                              "[os.getppid() for _ in range(500)]"], stdin=subprocess.PIPE)
    try:
        dt = subprocess.Popen([sys.executable, "-m", "pydtrace", "-x", "rawsyscalls", "-qn",
                               SCRIPT.format(pid=child.pid)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        child.communicate(b"", timeout=30)
        time.sleep(0.3)
        dt.send_signal(2)
        out, err = dt.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert dt.returncode == 0, err
    counts = [line.split() for line in out.splitlines() if line.strip()]
    assert counts[0] == ["500"], out
    assert counts[1] == [str(os.getpid()), "500"], out
