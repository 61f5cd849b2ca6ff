"""Subroutines and destructive actions that need a process or the command line:
progenyof() under -c, copyinto()/copyout()/copyoutstr() on a trigger's buffer,
freopen()/ftruncate(), stop(), chill() timing, -x strsize=16 with copyinstr()
truncation, and the busy-speculation drop message."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
ATTACH_WAIT = 1.5

# writes(-1, buf) and write(-2, buf) fail with EBADF; dtrace fills buf in between
BUFFER_C = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
	char buf[32], line[8];
	if (!fgets(line, sizeof line, stdin))
		return 1;
	strcpy(buf, "/tmp/pydtrace-copyinstr-path");
	syscall(SYS_write, -3, buf, 16);
	memset(buf, '.', sizeof buf);
	buf[31] = 0;
	syscall(SYS_write, -1, buf, 16);
	printf("copyout: %s\n", buf);
	memset(buf, '.', sizeof buf);
	buf[31] = 0;
	syscall(SYS_write, -2, buf, 16);
	printf("copyoutstr: %s\n", buf);
	return 0;
}
"""

STOP_C = r"""
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
	char line[8];
	if (!fgets(line, sizeof line, stdin))
		return 1;
	syscall(SYS_getppid);
	printf("resumed\n");
	return 0;
}
"""


def build(tmp_path: Path, name: str, source: str) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("kernel: gcc is needed to build the trigger")
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    exe = tmp_path / name
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(src)], check=True)
    return exe


def dtrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60)


def traced(exe: Path, script: str, *args: str) -> tuple[subprocess.CompletedProcess, bytes]:
    """dtrace ARGS -qn SCRIPT against the trigger ($CHILD); (dtrace result, trigger output)."""
    child = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    dt = subprocess.Popen(DTRACE + list(args) + ["-qn", script.replace("$CHILD",
                          str(child.pid))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    time.sleep(ATTACH_WAIT)
    child_out, _ = child.communicate(b"go\n", timeout=30)
    out, err = dt.communicate(timeout=30)
    return subprocess.CompletedProcess(dt.args, dt.returncode, out, err), child_out


def test_progenyof_target() -> None:
    res = dtrace("-q", "-c", "/bin/true", "-n",
                 "syscall::exit_group:entry /pid == $target/ { printf(\"%d %d %d\\n\", "
                 "progenyof($target), progenyof($pid), progenyof(pid + 1000000)); }")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "1 1 0"  # itself, its parent dtrace, a stranger
    res = dtrace("-qn", "BEGIN { printf(\"%d %d\\n\", progenyof($pid), progenyof(1)); "
                 "exit(0); }")
    assert res.stdout.strip() == "1 1"


def test_copyinto_and_copyinstr_truncation(tmp_path: Path) -> None:
    exe = build(tmp_path, "bufcopy", BUFFER_C)
    res, _ = traced(exe, "syscall::write:entry /pid == $CHILD && (int)arg0 == -3/ { "
                    "p = (char *)alloca(8); copyinto(arg1, 5, p); p[5] = 0; "
                    "printf(\"[%s] [%s] [%s] [%s]\\n\", stringof(p), copyinstr(arg1), "
                    "copyinstr(arg1, 4), copyinstr(arg1, 40)); exit(0); }",
                    "-x", "strsize=16")
    assert res.returncode == 0, res.stderr
    # strsize=16: 15 characters; copyinstr(a, 4): 4 characters; maxlen > strsize: 15
    assert res.stdout.strip() == "[/tmp/] [/tmp/pydtrace-c] [/tmp] [/tmp/pydtrace-c]"


def test_copyout_copyoutstr(tmp_path: Path) -> None:
    exe = build(tmp_path, "bufcopy", BUFFER_C)
    res, child_out = traced(
        exe, "syscall::write:entry /pid == $CHILD && (int)arg0 == -1/ { "
        "p = (char *)alloca(4); p[0] = 'A'; p[1] = 'B'; p[2] = 'C'; p[3] = 'D'; "
        "copyout(p, arg1, 4); } "
        "syscall::write:entry /pid == $CHILD && (int)arg0 == -2/ { "
        "copyoutstr(\"hello\", arg1, 16); exit(0); }", "-w")
    if "cannot use helper bpf_probe_write_user" in res.stderr:
        pytest.skip("missing kernel feature: bpf_probe_write_user (kernel lockdown)")
    assert res.returncode == 0, res.stderr
    lines = child_out.decode().splitlines()
    assert lines[0] == "copyout: ABCD" + "." * 27
    assert lines[1] == "copyoutstr: hello"


def test_freopen_ftruncate(tmp_path: Path) -> None:
    first, second = tmp_path / "first.out", tmp_path / "second.out"
    res = dtrace("-wq", "-n", f'BEGIN {{ printf("one\\n"); freopen("{first}"); '
                 f'printf("two\\n"); freopen(""); printf("three\\n"); }} '
                 f'BEGIN {{ freopen("{second}"); printf("x\\n"); ftruncate(); '
                 f'printf("y\\n"); freopen(""); exit(0); }}')
    assert res.returncode == 0, res.stderr
    assert res.stdout == "one\nthree\n\n"
    assert first.read_text() == "two\n"
    assert second.read_text() == "y\n"
    res = dtrace("-n", 'BEGIN { freopen(""); exit(0); }')
    assert res.returncode == 1
    assert "Destructive actions not allowed" in res.stderr


def test_stop_then_sigcont(tmp_path: Path) -> None:
    exe = build(tmp_path, "stopper", STOP_C)
    child = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        res = subprocess.Popen(DTRACE + ["-wqn", f"syscall::getppid:entry /pid == {child.pid}/"
                                         " { stop(); printf(\"stopped\\n\"); exit(0); }"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(ATTACH_WAIT)
        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.close()
        out, err = res.communicate(timeout=30)
        assert res.returncode == 0, err
        assert out.strip() == "stopped"
        state = "?"
        for _ in range(50):
            state = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state == "T":
                break
            time.sleep(0.1)
        assert state == "T"
        os.kill(child.pid, signal.SIGCONT)
        assert child.wait(timeout=10) == 0
        assert child.stdout is not None and child.stdout.read() == b"resumed\n"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_chill_waits() -> None:
    t0 = time.monotonic()
    res = dtrace("-wqn", "BEGIN { exit(0); }")
    base = time.monotonic() - t0
    t0 = time.monotonic()
    res = dtrace("-wqn", "BEGIN { chill(400000000); exit(0); }")
    took = time.monotonic() - t0
    assert res.returncode == 0, res.stderr
    # chill(400ms) alone lasts 0.4 s; the margin over the unchilled run allows for
    # start-up time varying on a busy machine
    assert took >= 0.39 and took - base >= 0.15, (took, base)
    res = dtrace("-wqn", "BEGIN { chill(600000000); } BEGIN { exit(0); }")
    assert res.returncode == 0
    assert "illegal operation in action #1" in res.stderr


BUSY_D = """
#pragma D option quiet
#pragma D option nspec=1
BEGIN { a = speculation(); state = 0; b = -1; c = -1; }
profile-997 /cpu == 0 && state == 0/ { speculate(a); printf("speculated on CPU 0\\n"); }
profile-997 /cpu == 0 && state == 0/ { state = 1; }
profile-997 /cpu == 1 && state == 1/ { commit(a); }
profile-997 /cpu == 1 && state == 1/ { b = speculation(); c = speculation(); state = 2; }
profile-997 /state == 2/ { state = 3; printf("%d %d %d\\n", a, b, c); }
tick-1s /state == 3/ { printf("later %d\\n", speculation()); exit(0); }
"""


def test_speculation_busy_until_printed(tmp_path: Path) -> None:
    """Committed on another CPU than the one that speculated, the buffer stays
    busy until the consumer has printed it: speculation() fails meanwhile."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("missing kernel feature: a second CPU")
    script = tmp_path / "busy.d"
    script.write_text(BUSY_D)
    res = dtrace("-x", "droptags", "-s", str(script))
    assert res.returncode == 0, res.stderr
    assert res.stdout == "speculated on CPU 0\n1 0 0\nlater 1\n\n"
    assert "dtrace: [DTRACEDROP_SPECBUSY] 2 failed speculations (available buffer(s) " \
           "still busy)\n" in res.stderr
