"""print() of kernel (BTF) types: whole structs through pointers, bounded by -x printsize."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def dtrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60)


def test_print_curthread_whole_struct() -> None:
    res = dtrace("-qn", "BEGIN { print(*curthread); exit(0); }")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "struct task_struct {"
    assert lines[1] == "    struct thread_info thread_info = {"
    pid = next(ln for ln in lines if ln.startswith("    pid_t pid = "))
    tgid = next(ln for ln in lines if ln.startswith("    pid_t tgid = "))
    assert pid.split(" = ")[1] == tgid.split(" = ")[1]
    assert '    char [16] comm = [ "python' in res.stdout
    assert lines[-1] == "}" and res.stdout.endswith("}\n")  # the run's final newline


def test_printsize_bounds_the_record() -> None:
    res = dtrace("-qx", "printsize=32", "-n", "BEGIN { print(*curthread); exit(0); }")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("struct task_struct {\n    struct thread_info thread_info = {")
    assert " pid = " not in res.stdout
    assert len(res.stdout.splitlines()) < 40


def test_print_kernel_scalars_and_char_array() -> None:
    res = dtrace("-qn", "BEGIN { print(curthread->pid == pid); print(curthread->comm); "
                 "print(curthread->real_parent != 0); exit(0); }")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "int 0x1" and lines[2] == "int 0x1"
    assert lines[1].startswith('char [16] "python') and lines[1].endswith('"')


def test_print_null_pointer_faults() -> None:
    res = dtrace("-qn", "BEGIN { print(*(struct task_struct *)0); } BEGIN { exit(0); }")
    assert res.returncode == 0
    assert "invalid address (0x0) in action #1" in res.stderr


def test_print_non_quiet_line() -> None:
    res = dtrace("-n", "BEGIN { print(1); exit(0); }")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[1].endswith(":BEGIN int 0x1")
