"""Subroutines and destructive actions against the running kernel: copyinstr on
openat's path, copyin + tracemem on write's buffer, -w gating, system()."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
ATTACH_WAIT = 1.5


def run_with_child(script: str, child_code: str, *args: str) -> tuple[str, str, int]:
    child = subprocess.Popen([sys.executable, "-c", "import os, sys\nsys.stdin.readline()\n"
                              + child_code], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL)
    script = script.replace("$CHILD", str(child.pid))
    dt = subprocess.Popen(DTRACE + list(args) + ["-qn", script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    time.sleep(ATTACH_WAIT)
    assert child.stdin is not None
    child.stdin.write(b"go\n")
    child.stdin.close()
    child.wait(timeout=30)
    out, err = dt.communicate(timeout=30)
    return out, err, dt.returncode


def test_copyinstr_openat_path(tmp_path) -> None:
    target = tmp_path / "subr-copyinstr-marker.txt"
    target.write_text("x")
    out, err, rc = run_with_child(
        'syscall::openat:entry /pid == $CHILD && strstr(copyinstr(arg1), "marker") != ""/ '
        '{ printf("%s|%s|%d\\n", copyinstr(arg1), basename(copyinstr(arg1)), '
        'strlen(copyinstr(arg1, 5))); } tick-3s { exit(0); }',
        f"open({str(target)!r}).close()")
    assert rc == 0, err
    assert out.strip() == f"{target}|{target.name}|5"  # copyinstr(a, n): n characters


def test_copyin_tracemem_write_buffer() -> None:
    out, err, rc = run_with_child(
        "syscall::write:entry /pid == $CHILD && arg0 == 9/ "
        "{ tracemem(copyin(arg1, 16), 16); tracemem(copyin(arg1, 16), 16, 3); } "
        "tick-3s { exit(0); }",
        "os.dup2(os.open('/dev/null', os.O_WRONLY), 9); os.write(9, b'hello, world!\\n')")
    assert rc == 0, err
    assert "68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a" in out
    assert "hello, world!." in out
    assert "         0: 68 65 6c" + " " * 41 + "hel\n" in out


def test_copyin_bad_address_faults() -> None:
    done = subprocess.run(DTRACE + ["-qn", "BEGIN { trace(copyin(0, 4) != 0); } "
                                    "BEGIN { exit(0); }"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "invalid address (0x0) in action #1" in done.stderr


def test_destructive_refused_without_w() -> None:
    done = subprocess.run(DTRACE + ["-n", 'BEGIN { system("echo hi"); exit(0); }'],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "dtrace: could not enable tracing: Destructive actions not allowed" in done.stderr
    assert done.stdout == ""


def test_system_output_in_order() -> None:
    done = subprocess.run(DTRACE + ["-wn", 'BEGIN { printf("one\\n"); system("echo %s", '
                                    '"two"); printf("three\\n"); exit(0); }'],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "dtrace: allowing destructive actions" in done.stderr
    lines = [x for x in done.stdout.splitlines() if x.strip() and not x.startswith("CPU")]
    assert [x.split()[-1] for x in lines] == ["one", "two", "three"]


def test_raise_signals_thread() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys, time\nsys.stdin.readline()\n"
                              "import os\nos.getppid()\ntime.sleep(20)"],
                             stdin=subprocess.PIPE)
    dt = subprocess.Popen(DTRACE + ["-wqn", f"syscall::getppid:entry /pid == {child.pid}/ "
                                    "{ raise(9); exit(0); }"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(ATTACH_WAIT)
    assert child.stdin is not None
    child.stdin.write(b"go\n")
    child.stdin.close()
    assert child.wait(timeout=10) == -9
    dt.communicate(timeout=30)
