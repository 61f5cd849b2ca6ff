"""-x evaltime for -c: where the created process waits while probes are attached."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.kernel.test_user_tracing import dtrace, ok

INIT_C = r"""
__attribute__((noinline)) void early(int n) { __asm__ volatile("" ::: "memory"); }
__attribute__((constructor)) static void ctor(void) { early(1); }
int main(void) { early(2); return 0; }
"""
SCRIPT = ('pid$target:a.out:early:entry { printf("early %d\\n", arg0); } '
          'pid$target:libc.so.6:__libc_start_main:entry { printf("libc\\n"); } '
          'pid$target:ld-linux*::entry { @ldso = count(); } END { printa("ldso %@d\\n", @ldso); }')


@pytest.fixture(scope="module")
def init_prog(tmp_path_factory) -> str:
    if shutil.which("gcc") is None:
        pytest.skip("kernel: gcc is needed to build the user-space targets")
    d = tmp_path_factory.mktemp("evaltime")
    (d / "init.c").write_text(INIT_C)
    subprocess.run(["gcc", "-O1", "-o", str(d / "init"), str(d / "init.c")], check=True)
    return str(d / "init")


@pytest.mark.parametrize("evaltime,lines", [
    ("exec", ["libc", "early 1", "early 2"]),
    ("preinit", ["libc", "early 1", "early 2"]),
    ("postinit", ["libc", "early 1", "early 2"]),
    ("main", ["early 2"]),
])
def test_evaltime(init_prog, evaltime, lines) -> None:
    proc = ok(dtrace("-x", f"evaltime={evaltime}", "-qn", SCRIPT, "-c", init_prog))
    out = proc.stdout.splitlines()
    assert [ln for ln in out if ln and not ln.startswith("ldso")] == lines, proc.stdout
    ldso = [int(ln.split()[1]) for ln in out if ln.startswith("ldso")]
    if evaltime == "exec":  # the dynamic linker's own work is traced from the start
        assert ldso and ldso[0] > 5, proc.stdout
