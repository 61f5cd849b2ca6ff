"""cwd, root, d_path() (a dentry walk in BPF) and fds[] (fileinfo_t via getf)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
TRIGGER = "import os\nos.getppid()\n"


def dtrace(*args: str, cwd: str | None = None) -> str:
    res = subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60,
                         cwd=cwd)
    assert res.returncode == 0, res.stderr
    return res.stdout


def trigger(tmp_path) -> str:
    script = tmp_path / "trig.py"
    script.write_text(TRIGGER)
    return f"{sys.executable} {script}"


def test_cwd_root_d_path(tmp_path) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    out = dtrace("-qn", 'syscall::getppid:entry /pid == $target/ { printf("%s|%s|%s\\n", '
                 "cwd, root, d_path(&curthread->fs->pwd)); exit(0); }",
                 "-c", trigger(tmp_path), cwd=str(deep))
    real = os.path.realpath(deep)
    assert out.split("\n")[0] == f"{real}|/|{real}"


def test_cwd_trace_and_mount_crossing(tmp_path) -> None:
    out = dtrace("-qn", "syscall::getppid:entry /pid == $target/ { trace(cwd); exit(0); }",
                 "-c", trigger(tmp_path), cwd="/proc/sys/kernel")
    assert out.strip() == "/proc/sys/kernel"


def test_cwd_cut_at_strsize(tmp_path) -> None:
    out = dtrace("-x", "strsize=8", "-qn", "syscall::getppid:entry /pid == $target/ "
                 '{ printf("%s\\n", cwd); exit(0); }', "-c", trigger(tmp_path),
                 cwd="/proc/sys/kernel")
    assert out.split("\n")[0] == "/proc/s"  # strsize bytes with the NUL


WRITER = "import os, sys\nwith open(sys.argv[1], 'w') as f:\n    f.write('x')\n"


def test_fds_write_pathname(tmp_path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    target = tmp_path / "sub" / "out.txt"
    target.parent.mkdir()
    out = dtrace("-qn", "syscall::write:entry /pid == $target && fds[arg0].fi_name == "
                 '"out.txt"/ { printf("%s\\n", fds[arg0].fi_pathname); exit(0); }',
                 "-c", f"{sys.executable} {script} {target}")
    assert out.split("\n")[0] == os.path.realpath(target)


def test_fds_members_and_closed(tmp_path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    target = tmp_path / "out.txt"
    real = os.path.realpath(target)
    out = dtrace("-qn", "syscall::write:entry /pid == $target && fds[arg0].fi_name == "
                 '"out.txt"/ { printf("%s|%s|%d|%s|%s|%d|%s|%s\\n", fds[arg0].fi_name, '
                 "fds[arg0].fi_dirname, fds[arg0].fi_offset, fds[arg0].fi_fs, "
                 "fds[arg0].fi_mount, fds[arg0].fi_oflags & 3, fds[999].fi_name, "
                 "fds[-1].fi_pathname); exit(0); }",
                 "-c", f"{sys.executable} {script} {target}")
    name, dirname, off, fs, mount, acc, closed, neg = out.split("\n")[0].split("|")
    assert (name, dirname, off, acc) == ("out.txt", os.path.dirname(real), "0", "1")
    assert fs and mount.startswith("/") and real.startswith(mount)
    assert closed == neg == "<none>"


def test_fds_in_begin() -> None:
    out = dtrace("-qn", 'BEGIN { printf("%s\\n", fds[1].fi_fs); exit(0); }')
    assert out.strip()
