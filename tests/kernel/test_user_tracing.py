"""User-space tracing on real programs: pid and USDT providers, -c/-p, user stacks.

C targets are built with gcc into a temporary directory; the USDT targets are the
installed /usr/bin/python3.11 (provider ``python``) and PostgreSQL 15 (provider
``postgresql``, a private cluster run as ``nobody`` in a temporary directory).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

DTRACE = [sys.executable, "-m", "pydtrace"]
TIMEOUT_S = 60
PYTHON = "/usr/bin/python3.11"
PGBIN = Path("/usr/lib/postgresql/15/bin")

FIB_C = r"""
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) { printf("%ld\n", fib(argc > 1 ? atol(argv[1]) : 10));
  return argc > 2 ? atoi(argv[2]) : 0; }
"""
MALLOC_C = r"""
#include <stdlib.h>
int main(void) { size_t sizes[] = {1, 8, 100, 1000, 5000, 70000}; int i, j;
  for (i = 0; i < 6; i++) for (j = 0; j <= i; j++) { void *volatile p = malloc(sizes[i]); free(p); }
  return 0; }
"""
BUSY_C = r"""
#include <stdlib.h>
volatile long sink;
__attribute__((noinline)) long busy_leaf(long x) { long s = 0;
  for (long i = 0; i < 1000; i++) s += i ^ x; return s; }
__attribute__((noinline)) void busy_middle(long n) {
  for (long i = 0; i < n; i++) sink += busy_leaf(i); }
int main(int argc, char **argv) { busy_middle(argc > 1 ? atol(argv[1]) : 1000000); return 0; }
"""
# Python 3.11 fires function__entry only on its tracing path (calls it inlines skip
# the check), so the script turns tracing on; bpftrace sees exactly the same.
PY_SCRIPT = """import sys


def f():
    pass


sys.settrace(lambda *a: None)
for i in range(100):
    f()
"""


def dtrace(*args: str, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DTRACE, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc


def agg_rows(text: str) -> dict[str, int]:
    rows = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[-1].isdigit():
            rows[" ".join(parts[:-1])] = int(parts[-1])
    return rows


@pytest.fixture(scope="module")
def progs(tmp_path_factory) -> dict[str, str]:
    if shutil.which("gcc") is None:
        pytest.skip("kernel: gcc is needed to build the user-space targets")
    d = tmp_path_factory.mktemp("uprogs")
    out = {}
    for name, src, flags in (("fib", FIB_C, ["-pie", "-fPIE"]),
                             ("fib_nopie", FIB_C, ["-no-pie", "-fno-PIE"]),
                             ("mall", MALLOC_C, []), ("busy", BUSY_C, [])):
        (d / f"{name}.c").write_text(src)
        subprocess.run(["gcc", "-O1", "-fno-omit-frame-pointer", *flags, "-o", str(d / name),
                        str(d / f"{name}.c")], check=True)
        out[name] = str(d / name)
    return out


def copyinstr_available() -> bool:
    proc = dtrace("-e", "-qn", "BEGIN { trace(copyinstr(0)); }")
    return proc.returncode == 0


# ---------------------------------------------------------------- pid provider


@pytest.mark.parametrize("exe", ["fib", "fib_nopie"])
def test_pid_entry_return_exact(progs, exe) -> None:
    proc = ok(dtrace("-qn", "pid$target:a.out:fib:entry { @calls = count(); } "
                     "pid$target:a.out:fib:return { @ret[arg1] = count(); }",
                     "-c", f"{progs[exe]} 10"))
    calls: dict[int, int] = {}

    def fib(n: int) -> int:
        r = n if n < 2 else fib(n - 1) + fib(n - 2)
        calls[r] = calls.get(r, 0) + 1
        return r

    fib(10)
    assert proc.stdout.startswith("55\n")  # the program's own output
    lines = [ln.split() for ln in proc.stdout.splitlines()[1:] if ln.strip()]
    assert lines[0] == ["177"]
    assert {int(a): int(b) for a, b in lines[1:]} == calls
    assert proc.stderr == ""  # -q: no "pid N has exited"


def test_pid_entry_args_and_probe_names(progs) -> None:
    proc = ok(dtrace("-qn", 'pid$target:a.out:fib:entry /arg0 == 3/ { printf("%s:%s:%s %d\\n", '
                     "probemod, probefunc, probename, arg0); }", "-c", f"{progs['fib']} 5"))
    lines = [ln for ln in proc.stdout.splitlines() if ":" in ln]
    assert lines == ["fib:fib:entry 3"] * 2


def test_pid_malloc_quantize(progs) -> None:
    proc = ok(dtrace("-qn", "pid$target::malloc:entry { @ = quantize(arg0); }",
                     "-c", progs["mall"]))
    rows = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*(\d+) \|@*\s+(\d+)\s*$", line)
        if m:
            rows[int(m.group(1))] = int(m.group(2))
    nonzero = {k: v for k, v in rows.items() if v}
    assert nonzero == {1: 1, 8: 2, 64: 3, 512: 4, 4096: 5, 65536: 6}


def test_pid_offset_probe(progs) -> None:
    proc = ok(dtrace("-qn", "pid$target:a.out:fib:0 { @ = count(); }", "-c",
                     f"{progs['fib']} 10"))
    assert agg_rows(proc.stdout) == {"": 177} or proc.stdout.split()[-1] == "177"


def test_c_exit_notice_and_status(progs) -> None:
    proc = ok(dtrace("-n", "pid$target:a.out:fib:entry /arg0 == 100/ { }", "-c",
                     f"{progs['fib']} 3"))
    pid = re.search(r"pid (\d+) has exited", proc.stderr)
    assert pid, proc.stderr
    proc = ok(dtrace("-n", "pid$target:a.out:fib:entry /arg0 == 100/ { }", "-c",
                     f"{progs['fib']} 3 7"))
    assert re.search(r"dtrace: pid \d+ exited with status 7\n", proc.stderr), proc.stderr


def test_target_macro_is_child_pid(progs) -> None:
    proc = ok(dtrace("-qn", 'pid$target:a.out:main:entry { printf("%d %d\\n", pid, $target); }',
                     "-c", f"{progs['fib']} 1"))
    a, b = proc.stdout.split()[1:3]
    assert a == b


def test_c_missing_command() -> None:
    proc = dtrace("-n", "BEGIN { exit(0); }", "-c", "/nonexistent/prog")
    assert proc.returncode == 1
    assert proc.stderr == "dtrace: failed to execute /nonexistent/prog: " \
                          "No such file or directory\n"


def test_pid_unknown_function(progs) -> None:
    proc = dtrace("-n", "pid$target:a.out:nosuchfunc:entry { }", "-c", progs["fib"])
    assert proc.returncode == 1
    assert "failed to lookup 'nosuchfunc' in module 'a.out'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_p_grab_running_process(progs) -> None:
    child = subprocess.Popen([progs["busy"], "100000000"])
    try:
        time.sleep(0.2)
        proc = ok(dtrace("-qn", "pid$target:a.out:busy_leaf:entry { @ = count(); } "
                         'tick-200ms { printf("%d\\n", $target); exit(0); }',
                         "-p", str(child.pid)))
        words = proc.stdout.split()
        assert words[0] == str(child.pid)
        assert int(words[1]) > 100
    finally:
        child.kill()
        child.wait()


def test_p_exits_when_process_exits(progs) -> None:
    child = subprocess.Popen(["sleep", "1"])
    try:
        proc = ok(dtrace("-n", "pid$target::nanosleep:entry, pid$target::clock_nanosleep:entry "
                         "{ }", "-p", str(child.pid), "-Z"))
        assert f"dtrace: pid {child.pid} has exited\n" in proc.stderr
    finally:
        child.kill()
        child.wait()


def test_p_bad_pid() -> None:
    proc = dtrace("-n", "BEGIN { exit(0); }", "-p", "999999999")
    assert proc.returncode == 1
    assert proc.stderr == "dtrace: failed to grab pid 999999999: No such process\n"


def test_list_pid_probes() -> None:
    proc = ok(dtrace("-l", "-n", "pid$target:libc.so.6:mall*:entry", "-c", "/bin/true"))
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["ID", "PROVIDER", "MODULE", "FUNCTION", "NAME"]
    rows = [ln.split() for ln in lines[1:]]
    assert ["libc.so.6", "malloc", "entry"] in [r[2:] for r in rows]
    assert all(re.fullmatch(r"pid\d+", r[1]) for r in rows)


# ---------------------------------------------------------------- USDT


@pytest.fixture(scope="module")
def pyscript(tmp_path_factory) -> str:
    if not os.path.exists(PYTHON):
        pytest.skip("kernel: /usr/bin/python3.11 is not installed")
    p = tmp_path_factory.mktemp("py") / "script.py"
    p.write_text(PY_SCRIPT)
    return str(p)


def test_python_usdt_semaphore_probe(pyscript) -> None:
    proc = ok(dtrace("-qn", "python$target:::function-entry /arg2 == 4/ { @ = count(); }",
                     "-c", f"{PYTHON} {pyscript}"))
    assert proc.stdout.split() == ["100"]


def test_python_usdt_copyinstr(pyscript) -> None:
    if not copyinstr_available():
        pytest.skip("copyinstr() is not implemented in this tree yet")
    proc = ok(dtrace("-qn", "python$target:::function-entry { @[copyinstr(arg1)] = count(); }",
                     "-c", f"{PYTHON} {pyscript}"))
    assert agg_rows(proc.stdout)["f"] == 100


def test_list_usdt_of_running_process(pyscript) -> None:
    child = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)
        proc = ok(dtrace("-l", "-P", "python*"))
        rows = [ln.split() for ln in proc.stdout.splitlines()[1:]]
        mine = [r for r in rows if r[1] == f"python{child.pid}"]
        assert {"function-entry", "function-return", "gc-start"} <= {r[-1] for r in mine}
        assert all(r[2] == "python3.11" for r in mine)
    finally:
        child.kill()
        child.wait()


@pytest.fixture(scope="module")
def pgcluster(tmp_path_factory):
    if not (PGBIN / "postgres").exists():
        pytest.skip("kernel: PostgreSQL 15 is not installed")
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="pydtrace-pg-", dir="/tmp"))  # nobody must reach it
    os.chmod(d, 0o777)
    run = ["runuser", "-u", "nobody", "--"]
    subprocess.run([*run, str(PGBIN / "initdb"), "-D", str(d / "data"), "-A", "trust",
                    "-U", "postgres"], check=True, capture_output=True, cwd="/")
    try:
        subprocess.run([*run, str(PGBIN / "pg_ctl"), "-D", str(d / "data"), "-o",
                        f"-k {d} -c listen_addresses=''", "-l", str(d / "log"), "-w", "start"],
                       check=True, capture_output=True, cwd="/")
        yield d
    finally:
        subprocess.run([*run, str(PGBIN / "pg_ctl"), "-D", str(d / "data"), "-m", "immediate",
                        "-w", "stop"], capture_output=True, cwd="/", check=False)
        shutil.rmtree(d, ignore_errors=True)


def psql(d: Path, query: str) -> None:
    subprocess.run(["runuser", "-u", "nobody", "--", str(PGBIN / "psql"), "-h", str(d), "-U",
                    "postgres", "-d", "postgres", "-Atc", query], check=True,
                   capture_output=True, cwd="/")


def test_postgres_query_start(pgcluster) -> None:
    texts = ["select 1 as first", "select 2 + 2 as second", "select 'third' as third"]
    if copyinstr_available():
        prog = 'postgresql*:::query-start { printf("%s\\n", copyinstr(arg0)); }'
    else:
        prog = 'postgresql*:::query-start { printf("q\\n"); }'
    dt = subprocess.Popen([*DTRACE, "-qn", prog + " tick-4s { exit(0); }"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)  # attach
        for q in texts:
            psql(pgcluster, q)
        out, err = dt.communicate(timeout=30)
    finally:
        dt.kill()
    assert dt.returncode == 0, err
    lines = [ln for ln in out.splitlines() if ln]
    if copyinstr_available():
        assert lines == texts
    else:
        assert lines == ["q"] * 3


# ---------------------------------------------------------------- user stacks


def test_profile_ustack_names(progs) -> None:
    proc = ok(dtrace("-qn", "profile-997 /pid == $target/ { @[ustack()] = count(); }",
                     "-c", f"{progs['busy']} 300000"))
    assert re.search(r"^ {14}busy`busy_leaf\+0x[0-9a-f]+$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^ {14}busy`main\+0x[0-9a-f]+$", proc.stdout, re.M)


def test_ustack_action(progs) -> None:
    proc = ok(dtrace("-qn", "pid$target:a.out:fib:entry /arg0 == 1/ { ustack(); exit(0); }",
                     "-c", f"{progs['fib']} 3"))
    frames = [ln.strip() for ln in proc.stdout.splitlines() if "`" in ln]
    assert frames[0] == "fib`fib"
    assert frames[1].startswith("fib`fib+0x")
    assert any(f.startswith("fib`main+0x") for f in frames)
    assert any(f.startswith("libc.so.6`") for f in frames)


def test_ufunc_umod_usym(progs) -> None:
    proc = ok(dtrace("-qn", "profile-997 /pid == $target/ { @a[ufunc(arg1)] = count(); "
                     "@b[umod(arg1)] = count(); }", "-c", f"{progs['busy']} 300000"))
    assert re.search(r"^  busy`busy_leaf +\d+$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^  busy +\d+$", proc.stdout, re.M)
    proc = ok(dtrace("-qn", "pid$target:a.out:fib:entry /arg0 == 2/ { trace(uaddr(ucaller)); "
                     'printf("\\n"); trace(usym(ucaller)); printf("\\n"); exit(0); }', "-c",
                     f"{progs['fib']} 3"))
    assert re.search(r"^fib`fib\+0x[0-9a-f]+\nfib`fib\n", proc.stdout, re.M), proc.stdout


def test_ucaller_and_ustackdepth(progs) -> None:
    proc = ok(dtrace("-qn", "pid$target:a.out:busy_leaf:entry /self->n++ < 1/ { "
                     "@c[ufunc(ucaller)] = count(); @d[ustackdepth > 2] = count(); }",
                     "-c", f"{progs['busy']} 10"))
    assert "busy`busy_middle" in proc.stdout
