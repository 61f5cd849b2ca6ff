"""dtrace(1) compatibility on the real kernel: -C, -F, -x cpu, _DTRACE_TESTING,
bufpolicy, and the USDT round trip of ``dtrace -h``/``-G`` built programs."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.unit.test_usdtgen import build_app

DTRACE = [sys.executable, "-m", "pydtrace"]


def dtrace(*args: str, env=None, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DTRACE, *args], capture_output=True, text=True, timeout=60,
                          env=env, cwd=cwd, check=False)


def test_cpp_script_runs(tmp_path):
    (tmp_path / "inc.h").write_text('#define GREETING "hello"\n#define TWICE(x) ((x) * 2)\n')
    (tmp_path / "x.d").write_text('#include "inc.h"\n#define N 21\n#if N > 20\n'
                                  'BEGIN { printf("%s %d\\n", GREETING, TWICE(N)); exit(0); }\n'
                                  "#else\nBEGIN { exit(1); }\n#endif\n")
    proc = dtrace("-C", "-q", "-s", str(tmp_path / "x.d"))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "hello 42\n\n", "")


TRIGGER = "import os, time; time.sleep(1.0); os.getppid(); os.getppid()"


def test_flowindent_syscalls(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", TRIGGER])
    try:
        proc = dtrace("-F", "-n", "syscall::getppid:entry, syscall::getppid:return "
                      f"/pid == {child.pid}/ {{}}", "-n", f"proc:::exit /pid == {child.pid}/ "
                      "{ exit(0); }", "-n", "tick-10s { exit(1); }")
    finally:
        child.wait()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "CPU FUNCTION".ljust(45)
    rows = [line[4:].rstrip() for line in lines[1:] if "getppid" in line]
    assert rows == [" => getppid", " <= getppid", " => getppid", " <= getppid"]


def test_testing_env_hides_columns():
    env = {**__import__("os").environ, "_DTRACE_TESTING": "t"}
    proc = dtrace("-n", "BEGIN { exit(0); }", env=env)
    assert proc.returncode == 0
    assert proc.stdout == "%32s\n%32s \n\n" % ("FUNCTION:NAME", ":BEGIN")  # noqa: UP031


def test_cpu_option_restricts_probes():
    proc = dtrace("-q", "-x", "cpu=0", "-n", "profile-499 { @[cpu] = count(); }",
                  "-n", "tick-1s /cpu == 0/ { exit(0); }")
    assert proc.returncode == 0, proc.stderr
    keys = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert keys == ["0"]


def test_ring_policy_keeps_newest():
    proc = dtrace("-q", "-x", "bufpolicy=ring", "-b", "64", "-n",
                  'BEGIN { i = 0; } profile-1001 /i < 100/ { printf("%05d\\n", i++); } '
                  "profile-1001 /i >= 100/ { exit(0); }")
    assert proc.returncode == 0, proc.stderr
    got = proc.stdout.split()
    assert got[-1] == "00099"
    assert len(got) < 100


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_usdt_round_trip(tmp_path):
    app = build_app(tmp_path)
    proc = dtrace("-q", "-n", 'myapp$target:::start { printf("start %d %s\\n", arg0, '
                  'copyinstr(arg1)); } myapp$target:::done-now { printf("done %d %d %s\\n", '
                  'arg0, arg1, copyinstr(arg2)); } myapp$target:::tick { printf("tick\\n"); }',
                  "-c", f"{app} 2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("enabled\n") == 2  # MYAPP_DONE_NOW_ENABLED() while traced
    traced = [line for line in proc.stdout.splitlines() if line and line != "enabled"]
    assert traced == [f"start -1 {app}", "done 0 65535 hello", "tick",
                      f"start 0 {app}", "done -5 65535 hello", "tick"]


NESTED = """\
__attribute__((noinline)) int c(int x) { __asm__ volatile(""); return x + 1; }
__attribute__((noinline)) int b(int x) { return c(x) * 2; }
__attribute__((noinline)) int a(int x) { return b(x) + 3; }
int main(void) { return a(1) == 7 ? 0 : 1; }
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_flowindent_pid_nested_calls(tmp_path):
    (tmp_path / "n.c").write_text(NESTED)
    subprocess.run(["gcc", "-O1", "-o", "nest", "n.c"], cwd=tmp_path, check=True)
    probes = ", ".join(f"pid$target::{f}:{n}" for n in ("entry", "return") for f in "abc")
    proc = dtrace("-F", "-n", probes + " {}", "-c", str(tmp_path / "nest"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "CPU FUNCTION".ljust(45)
    rows = [line[4:].rstrip() for line in proc.stdout.splitlines()[1:] if line.strip()]
    assert rows == [" -> a", "   -> b", "     -> c", "     <- c", "   <- b", " <- a"]
