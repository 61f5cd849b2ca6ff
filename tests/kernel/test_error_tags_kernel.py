"""Error tags that need the running kernel's probes (rows like tests/unit/test_error_tags.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.test_error_tags import KERNEL_ONLY
from tests.unit.test_error_tags import test_error_tag as check_error_tag

pytestmark = pytest.mark.kernel

CASES: list[tuple[str, str, str | None, tuple[str, ...]]] = [
    ("D_ARGS_MULTI", "syscall::read*:entry { trace(args[1]); }",
     "args[ ] may not be referenced because probe description syscall::read*:entry matches "
     "an unstable set of probes", ()),
    # pid provider rows: {pid} is a live `sleep` process (illumos dt_pid.c wording).
    ("D_PROC_FUNC", "pid{pid}:a.out:nosuchfunc:entry { }",
     "failed to lookup 'nosuchfunc' in module 'a.out'", ()),
    ("D_PROC_NAME", "pid{pid}:libc.so.6:malloc:xyz { }", "'xyz' is an invalid probe name", ()),
    ("D_PROC_OFF", "pid{pid}:libc.so.6:malloc:fffffff { }",
     "offset 0xfffffff outside of function 'malloc'", ()),
    ("D_PROC_ALIGN", "pid{pid}:libc.so.6:malloc:1 { }",
     "offset 0x1 is not aligned on an instruction", ()),
    # {self} is this process (dtrace itself), {prog} a running TARGET_C; D_PROC_NODEV runs
    # in a mount namespace hiding /sys/bus/event_source/devices (no uprobe PMU)
    ("D_PROC_DYN", "pid$pid:libc.so.6:malloc:entry { }", "process {self} is dtrace itself", ()),
    ("D_PROC_LIB", "pid{pid}:libc.so.6:-:1000 { }",
     "only the a.out module is valid with the '-' function", ()),
    ("D_PROC_CREATEFAIL", "pid{prog}:a.out:locked:entry { }",
     "failed to create entry probe for 'locked': Operation not supported", ()),
    ("D_PROC_USDT", "badnote{prog}:::bad { }",
     "failed to instantiate probe bad for pid {prog}: Operation not supported", ()),
    ("D_PROC_NODEV", "pid{pid}:::entry { }", "pid provider is not installed on this system", ()),
    # kernel symbols (sema.ksyms); the D_ASRELO offset depends on the code generator
    ("D_ASRELO", "BEGIN { trace(&`vfs_read); }", None, ("-xlinkmode=dynamic",)),
    ("D_SYM_MODEL", "BEGIN { trace(`vfs_read); }",
     "cannot use 64-bit symbol vmlinux`vfs_read in a 32-bit D program", ("-32",)),
    ("D_SYM_NOTYPES", "BEGIN { trace(`_stext); }",
     "no symbolic type information is available for vmlinux`_stext: No type information "
     "available for symbol", ()),
    # translated args[] without the D library (sema.argtypes): psinfo_t is procfs.d's
    ("D_ARGS_TYPE", "proc:::create { trace(args[0]->pr_pid); }",
     "failed to resolve translated type for args[0]", ("-xnolibs",)),
    ("D_ARGS_XLATOR", "typedef struct psinfo { int pr_pid; } psinfo_t;\n"
     "proc:::create { trace(args[0]->pr_pid); }",
     "translator for args[0] from struct task_struct * to psinfo_t * is not defined",
     ("-xnolibs",)),
    # a BTF enum tag on the right of a comparison (sema.enumtags)
    ("D_IDENT_AMBIG", "int PIDTYPE_PID;\nenum pid_type v;\nBEGIN { trace(v == PIDTYPE_PID); }",
     "ambiguous use of operator ==: PIDTYPE_PID is both a enum pid_type enum tag and a "
     "global scalar", ()),
    # & of a kernel type no BTF pointer refers to, clashing with a D struct (sema.ptrtypes)
    ("D_TYPE_ERR", "struct sched_info { int x; };\nBEGIN { trace(&curthread->sched_info); }",
     'cannot find type for "&": struct sched_info*', ()),
]


def test_kernel_table_covers_kernel_only_tags() -> None:
    assert {c[0] for c in CASES} == set(KERNEL_ONLY)


# x86 uprobes refuse lock-prefixed instructions: `locked` cannot be probed at entry, and
# the SDT note `badnote:bad` (hand-written) points at one instead of at its nop.
TARGET_C = r"""
#include <unistd.h>
#define NOTE(insn, name) __asm__ volatile("990: " insn "\n" \
    ".pushsection .note.stapsdt,\"?\",\"note\"\n.balign 4\n" \
    ".4byte 992f-991f, 994f-993f, 3\n991: .asciz \"stapsdt\"\n992: .balign 4\n" \
    "993: .8byte 990b\n.8byte 0\n.8byte 0\n.asciz \"badnote\"\n" \
    ".asciz \"" name "\"\n.asciz \"\"\n994: .balign 4\n.popsection\n" :: "D"(p) : "memory")
__attribute__((naked, noinline)) void locked(int *p)
{ __asm__ volatile("lock incl (%rdi)\n\tret"); }
__attribute__((noinline)) void hit(int *p)
{ NOTE("nop", "good"); NOTE("lock incl (%%rdi)", "bad"); }
int main(void) { int x = 0; for (;;) { locked(&x); hit(&x); usleep(10000); } }
"""
NO_UPROBE_PMU = frozenset({"D_PROC_NODEV"})


@pytest.fixture(scope="module")
def target_prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None or os.uname().machine != "x86_64":
        pytest.skip("kernel: the D_PROC_CREATEFAIL/D_PROC_USDT target needs gcc on x86_64")
    src = tmp_path_factory.mktemp("errtag_target") / "target.c"
    src.write_text(TARGET_C)
    subprocess.run(["gcc", "-O1", "-o", str(src.with_suffix("")), str(src)], check=True)
    return src.with_suffix("")


def check_without_uprobe_pmu(tmp_path: Path, tag: str, program: str, message: str) -> None:
    """dtrace in a mount namespace where the uprobe PMU (sysfs) is not visible."""
    if shutil.which("unshare") is None:
        pytest.skip("kernel: unshare(1) is needed to hide the uprobe PMU")
    path = tmp_path / "t.d"
    path.write_text(program)
    shell = ("mount -t tmpfs none /sys/bus/event_source/devices && "
             f'exec "$0" -m pydtrace -x errtags -e -s {path}')
    proc = subprocess.run(["unshare", "-m", "sh", "-c", shell, sys.executable],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in proc.stderr
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr
    assert re.fullmatch(rf"dtrace: failed to compile script {re.escape(str(path))}: "
                        rf"\[{tag}\] (?:line 1: )?{re.escape(message)}\n", proc.stderr), proc.stderr


@pytest.mark.parametrize(("tag", "program", "message", "extra"), CASES,
                         ids=[c[0] for c in CASES])
def test_kernel_error_tag(request: pytest.FixtureRequest, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str], tag: str, program: str,
                          message: str | None, extra: tuple[str, ...]) -> None:
    if message is not None:
        message = message.replace("{self}", str(os.getpid()))
    if "{pid}" not in program and "{prog}" not in program:
        check_error_tag(tmp_path, capsys, tag, program, message, extra)
        return
    key = "{prog}" if "{prog}" in program else "{pid}"
    cmd = [str(request.getfixturevalue("target_prog"))] if key == "{prog}" else ["sleep", "60"]
    proc = subprocess.Popen(cmd)
    try:
        time.sleep(0.2)  # let it exec and map libc
        program = program.replace(key, str(proc.pid))
        if message is not None:
            message = message.replace(key, str(proc.pid))
        if tag in NO_UPROBE_PMU:
            assert message is not None
            check_without_uprobe_pmu(tmp_path, tag, program, message)
        else:
            check_error_tag(tmp_path, capsys, tag, program, message, extra)
    finally:
        proc.kill()
        proc.wait()
