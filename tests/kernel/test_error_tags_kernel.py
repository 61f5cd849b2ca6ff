"""Error tags that need the running kernel's probes (rows like tests/unit/test_error_tags.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_error_tags import KERNEL_ONLY
from tests.unit.test_error_tags import test_error_tag as check_error_tag

pytestmark = pytest.mark.kernel

CASES: list[tuple[str, str, str | None, tuple[str, ...]]] = [
    ("D_ARGS_MULTI", "syscall::read*:entry { trace(args[1]); }",
     "args[ ] may not be referenced because probe description syscall::read*:entry matches "
     "an unstable set of probes", ()),
]


def test_kernel_table_covers_kernel_only_tags() -> None:
    assert {c[0] for c in CASES} == set(KERNEL_ONLY)


@pytest.mark.parametrize(("tag", "program", "message", "extra"), CASES,
                         ids=[c[0] for c in CASES])
def test_kernel_error_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str,
                          program: str, message: str | None, extra: tuple[str, ...]) -> None:
    check_error_tag(tmp_path, capsys, tag, program, message, extra)
