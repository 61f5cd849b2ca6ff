"""Scoped type keywords end to end: D`int, (D`char)x, D`long globals, vmlinux`u64."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel


def test_scoped_keyword_types_run(tmp_path) -> None:
    script = tmp_path / "s.d"
    script.write_text("D`long g;\nBEGIN { g = -3; printf(\"%d %d %d %d %d\\n\", "
                      "sizeof(D`int), (D`char)300, g, sizeof(vmlinux`u64), "
                      "sizeof(vmlinux`long)); exit(0); }\n")
    res = subprocess.run([sys.executable, "-m", "pydtrace", "-qs", str(script)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["4", "44", "-3", "8", "8"]
