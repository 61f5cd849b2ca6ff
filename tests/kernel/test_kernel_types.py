"""Kernel types from BTF, translators (curpsinfo), kernel stacks, proc/sched providers."""

from __future__ import annotations

import os
import shutil
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


def start(*args: str) -> subprocess.Popen:
    dt = subprocess.Popen(DTRACE + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    time.sleep(2.0)  # compile and attach
    return dt


def test_curthread_members() -> None:
    out = dtrace("-qn", 'BEGIN { printf("%d %d %s %d\\n", curthread->pid, '
                 "curthread->real_parent->tgid, curthread->comm, "
                 "((struct task_struct *)curthread)->tgid); exit(0); }")
    pid, ppid, comm, tgid = out.split()
    assert int(pid) == int(tgid) and int(ppid) == os.getpid() and comm


def test_sizeof_offsetof_kernel_types() -> None:
    from pydtrace.btf import reader as R

    ts = R.find_type("task_struct", (R.STRUCT,))
    off = R.find_member(ts, "pid")[0]
    out = dtrace("-qn", 'BEGIN { printf("%d %d\\n", sizeof(struct task_struct), '
                 "offsetof(struct task_struct, pid)); exit(0); }")
    assert out.split() == [str(ts.size), str(off)]


def test_curpsinfo() -> None:
    out = dtrace("-qn", 'BEGIN { printf("%d %d %s\\n", curpsinfo->pr_pid, '
                 "curpsinfo->pr_ppid, curpsinfo->pr_fname); exit(0); }")
    pid, ppid, fname = out.split()
    assert int(ppid) == os.getpid() and fname


def test_exec_success_psargs() -> None:
    dt = start("-qn", 'proc:::exec-success /execname == "echo"/ '
               "{ trace(curpsinfo->pr_psargs); exit(0); }")
    subprocess.run(["/bin/echo", "hello", "world", "arg3"], stdout=subprocess.DEVNULL)
    out, err = dt.communicate(timeout=30)
    assert dt.returncode == 0, err
    assert "/bin/echo hello world arg3" in out


def test_sched_off_cpu_counts(tmp_path) -> None:
    trigger = tmp_path / "sleeptrigger"
    shutil.copy("/bin/sleep", trigger)
    dt = start("-qn", 'sched:::off-cpu /execname == "sleeptrigger"/ { @ = count(); } '
               "tick-3s { exit(0); }")
    for _ in range(3):
        subprocess.run([str(trigger), "0.05"])
    out, err = dt.communicate(timeout=30)
    assert dt.returncode == 0, err
    assert int(out.split()[0]) >= 3


def test_profile_kernel_stacks() -> None:
    out = dtrace("-qn", "profile-997 { @[stack()] = count(); } tick-1s { exit(0); }")
    assert "vmlinux`" in out
    frame = next(line for line in out.splitlines() if "vmlinux`" in line)
    assert frame.startswith(" " * 14)


def test_stack_action_and_sym() -> None:
    out = dtrace("-qn", "profile-997 /arg0/ { stack(); trace(sym(arg0)); exit(0); }")
    assert "vmlinux`" in out


def test_startup_with_btf_is_fast() -> None:
    def run(script: str) -> float:
        best = 10.0
        for _ in range(3):
            t = time.perf_counter()
            dtrace("-qn", script)
            best = min(best, time.perf_counter() - t)
        return best
    dtrace("-qn", "BEGIN { trace(curthread->pid); exit(0); }")  # warm the BTF cache
    plain = run("BEGIN { exit(0); }")
    btf = run("BEGIN { trace(curthread->pid); exit(0); }")
    assert btf <= plain * 1.3 + 0.02
