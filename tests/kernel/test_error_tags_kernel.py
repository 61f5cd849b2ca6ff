"""Error tags that need the running kernel's probes (rows like tests/unit/test_error_tags.py)."""

from __future__ import annotations

import subprocess
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
]


def test_kernel_table_covers_kernel_only_tags() -> None:
    assert {c[0] for c in CASES} == set(KERNEL_ONLY)


@pytest.mark.parametrize(("tag", "program", "message", "extra"), CASES,
                         ids=[c[0] for c in CASES])
def test_kernel_error_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str,
                          program: str, message: str | None, extra: tuple[str, ...]) -> None:
    if "{pid}" not in program:
        check_error_tag(tmp_path, capsys, tag, program, message, extra)
        return
    proc = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.2)  # let it exec and map libc
        check_error_tag(tmp_path, capsys, tag, program.replace("{pid}", str(proc.pid)),
                        message, extra)
    finally:
        proc.kill()
        proc.wait()
