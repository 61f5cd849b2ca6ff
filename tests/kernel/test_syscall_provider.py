"""The syscall provider against the running kernel, through the dtrace command.

A traced child waits for a line on stdin, so the tracing starts before it
makes its system calls; each script ends itself with a tick probe.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from pydtrace.providers.syscall import syscall_number

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
ATTACH_WAIT = 1.5  # seconds from starting dtrace to its probes being live


def start_child(code: str) -> subprocess.Popen:
    """A Python child that runs ``code`` after reading one line from stdin."""
    return subprocess.Popen([sys.executable, "-c", "import os, sys\nsys.stdin.readline()\n"
                             + code], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)


def trace(script: str, child_code: str | None = None, *args: str) -> tuple[str, int]:
    """Runs ``script`` ($CHILD: the child's pid) while the child runs its code."""
    child = start_child(child_code or "")
    script = script.replace("$CHILD", str(child.pid))
    dt = subprocess.Popen(DTRACE + list(args) + ["-qn", script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    time.sleep(ATTACH_WAIT)
    assert child.stdin is not None
    child.stdin.write(b"go\n")
    child.stdin.close()
    child.wait(timeout=30)
    out, err = dt.communicate(timeout=30)
    assert dt.returncode == 0, err
    return out, child.pid


def agg_rows(out: str) -> dict[str, int]:
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1].isdigit():
            rows[" ".join(parts[:-1])] = int(parts[-1])
    return rows


def test_getppid_entry_counts_exactly() -> None:
    out, _ = trace("syscall::getppid:entry /pid == $CHILD/ { @ = count(); } tick-3s { exit(0); }",
                   "for i in range(1234): os.getppid()")
    assert out.split() == ["1234"]


def test_wide_entry_selects_in_bpf_and_names_probefunc() -> None:
    # four probes: one program on raw_syscalls:sys_enter selecting by number
    out, _ = trace("syscall::getppid:entry, syscall::getpid:entry, syscall::getuid:entry, "
                   "syscall::getgid:entry /pid == $CHILD/ { @[probefunc] = count(); } "
                   "tick-3s { exit(0); }",
                   "for i in range(300): os.getppid()\nfor i in range(77): os.getgid()")
    rows = agg_rows(out)
    assert rows["getppid"] == 300
    assert rows["getgid"] == 77
    assert "getuid" not in rows


@pytest.mark.parametrize("extra", ["", ", syscall::getpid:entry, syscall::getuid:entry, "
                                   "syscall::getgid:entry"])
def test_entry_arguments(extra: str) -> None:
    out, _ = trace("syscall::lseek:entry" + extra + " /pid == $CHILD/ { printf(\"%d %d %d\\n\","
                   " arg0, arg1, arg2); } tick-3s { exit(0); }",
                   "fd = os.open('/dev/null', os.O_RDONLY)\nos.dup2(fd, 42)\n"
                   "os.lseek(42, 12345, 1)")
    assert "42 12345 1" in out.splitlines()


@pytest.mark.parametrize("extra", ["", ", syscall::getpid:return, syscall::getuid:return, "
                                   "syscall::getgid:return"])
def test_return_value_and_errno(extra: str) -> None:
    out, _ = trace("syscall::openat:return" + extra + " /pid == $CHILD/ { "
                   "printf(\"%s %d %d %d\\n\", probefunc, arg0, arg1, errno); } "
                   "tick-3s { exit(0); }",
                   "try:\n    os.open('/nonexistent/pydtrace', os.O_RDONLY)\n"
                   "except OSError:\n    pass\nos.open('/dev/null', os.O_RDONLY)")
    lines = out.splitlines()
    assert "openat -2 -2 2" in lines
    ok = [ln for ln in lines if ln.startswith("openat ") and ln.endswith(" 0")]
    assert ok and all(int(ln.split()[1]) >= 0 for ln in ok)


def test_dd_read_return_quantize(tmp_path) -> None:
    data = tmp_path / "in"
    data.write_bytes(os.urandom(4096 * 100))
    out, _ = trace("syscall::read:return /execname == \"dd\"/ { @ = quantize(arg0); } "
                   "tick-3s { exit(0); }",
                   f"os.system('dd if={data} of=/dev/null bs=4096 count=100 2>/dev/null')")
    buckets = {int(m.group(1)): int(m.group(2))
               for m in re.finditer(r"^\s+(-?\d+) \|[@ ]*\s+(\d+)\s*$", out, re.MULTILINE)}
    assert buckets.get(4096, 0) >= 100, out


def test_wide_match_exits_fast() -> None:
    start = time.monotonic()
    res = subprocess.run(DTRACE + ["-qn", "syscall:::entry { @[probefunc] = count(); } "
                                   "BEGIN { exit(0); }"], capture_output=True, text=True,
                         timeout=30)
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    assert elapsed < 1.0


def test_all_entries_attach_and_count() -> None:
    out, _ = trace("syscall:::entry /pid == $CHILD/ { @[probefunc] = count(); } "
                   "tick-3s { exit(0); }", "for i in range(55): os.getppid()")
    assert agg_rows(out)["getppid"] == 55


def test_listing_matches_dtrace_layout() -> None:
    res = subprocess.run(DTRACE + ["-l", "-n", "syscall::read*:"], capture_output=True,
                         text=True, timeout=30)
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["ID", "PROVIDER", "MODULE", "FUNCTION", "NAME"]
    rows = [ln.split()[1:] for ln in lines[1:]]
    assert ["syscall", "vmlinux", "read", "entry"] in rows
    assert ["syscall", "vmlinux", "read", "return"] in rows
    assert all(r[2].startswith("read") and r[0] == "syscall" for r in rows)


def test_syscall_numbers_match_the_kernel() -> None:
    # the raw-tracepoint programs select by number: check ours against the
    # number the kernel writes into each per-syscall tracepoint record
    names = ["getppid", "openat", "lseek", "newfstatat", "getpid"]
    probes = ", ".join(f"sdt:syscalls::sys_enter_{n}" for n in names)
    out, _ = trace(probes + " /pid == $CHILD/ { printf(\"%s %d\\n\", probename, arg0); } "
                   "tick-3s { exit(0); }",
                   "os.getppid(); os.getpid(); os.stat('/'); fd = os.open('/', 0)\n"
                   "os.lseek(fd, 0, 0)")
    seen = dict(line.split() for line in out.splitlines() if line)
    for name in names:
        assert int(seen[f"sys_enter_{name}"]) == syscall_number(name)
