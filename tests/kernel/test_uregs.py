"""uregs[R_*]: user registers of the current thread (task_pt_regs), in syscall and pid probes."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def run(program: str) -> list[str]:
    res = subprocess.run(DTRACE + ["-qn", program, "-c", "/bin/echo hi"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return [ln for ln in res.stdout.splitlines() if ln and ln != "hi"]


def test_uregs_in_syscall_probe() -> None:
    out = run('syscall::write:entry /pid == $target/ { printf("%d %d %x\\n", '
              "uregs[R_ORIG_RAX], uregs[R_RDI], uregs[R_PC]); exit(0); }")
    nr, fd, pc = out[0].split()
    assert (nr, fd) == ("1", "1")  # write(1, ...)
    assert 0 < int(pc, 16) < 1 << 47  # a user-space address


def test_uregs_in_pid_probe() -> None:
    out = run('pid$target::write:entry { printf("%d %x %x\\n", uregs[R_RDI], uregs[R_PC], '
              "uregs[R_SP]); exit(0); }")
    fd, pc, sp = out[0].split()
    assert fd == "1" and int(pc, 16) < 1 << 47 and int(sp, 16) < 1 << 47
