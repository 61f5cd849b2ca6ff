"""Golden-file tests in the style of DTrace's own test suite.

Every file in ``tests/kernel/golden/`` is one test, run as a real
``dtrace -s FILE`` (``sys.executable -m pydtrace``) with a 30 s timeout:

``tst.NAME.d``
    Must exit 0 and print exactly ``tst.NAME.d.out`` on stdout (byte for
    byte; stderr is not compared). Scripts that want only their own output
    say ``#pragma D option quiet``. Remember that dtrace always prints a
    final ``"\\n"`` when tracing ends, so quiet outputs end with a blank line.

``err.D_TAG.NAME.d``
    Run with ``-x errtags``: must exit 1 with ``[D_TAG]`` on stderr, no
    stdout, and no Python traceback.

Comments anywhere in a script may carry directives:

``/* @@status: N */``
    The expected exit status instead of 0 (``tst.*`` only), e.g. for ``exit(3)``.
``/* @@xfail: REASON */``
    A known pydtrace bug: the test is a strict xfail (it must fail, so a fix
    shows up as XPASS and the directive has to be removed).

To add a test, write the ``.d`` file, check its output by hand against
DTrace's rules (/work/shared/D-REFERENCE.md), and save it as the ``.d.out`` file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
TIMEOUT_S = 30
_STATUS = re.compile(r"/\*\s*@@status:\s*(\d+)\s*\*/")
_XFAIL = re.compile(r"/\*\s*@@xfail:\s*(.*?)\s*\*/")
_ERR_NAME = re.compile(r"^err\.(D_[A-Z0-9_]+)\.[^/]+\.d$")


def run_dtrace(*args: str) -> subprocess.CompletedProcess[bytes]:
    """``dtrace ARGS`` in a fresh interpreter; output as bytes."""
    return subprocess.run([sys.executable, "-m", "pydtrace", *args], capture_output=True,
                          timeout=TIMEOUT_S, check=False)


def _params(pattern: str) -> list:
    """One pytest param per script matching ``pattern``, honouring ``@@xfail``."""
    params = []
    for path in sorted(GOLDEN_DIR.glob(pattern)):
        marks = []
        xfail = _XFAIL.search(path.read_text())
        if xfail:
            marks.append(pytest.mark.xfail(reason=xfail.group(1), strict=True))
        params.append(pytest.param(path, id=path.name, marks=marks))
    return params


def expected_status(script: str) -> int:
    """The ``@@status`` directive of a script, 0 without one."""
    match = _STATUS.search(script)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("path", _params("tst.*.d"))
def test_tst(path: Path) -> None:
    expected = path.with_name(path.name + ".out").read_bytes()
    proc = run_dtrace("-s", str(path))
    stderr = proc.stderr.decode(errors="replace")
    assert "Traceback" not in stderr
    assert proc.returncode == expected_status(path.read_text()), stderr
    assert proc.stdout == expected, stderr


@pytest.mark.parametrize("path", _params("err.*.d"))
def test_err(path: Path) -> None:
    match = _ERR_NAME.match(path.name)
    assert match, f"bad err file name {path.name}: want err.D_TAG.NAME.d"
    proc = run_dtrace("-x", "errtags", "-s", str(path))
    stderr = proc.stderr.decode(errors="replace")
    assert "Traceback" not in stderr
    assert proc.returncode == 1, stderr
    assert f"[{match.group(1)}]" in stderr
    assert stderr.startswith(f"dtrace: failed to compile script {path}: ")
    assert proc.stdout == b""


def test_every_tst_has_output() -> None:
    """A tst file without its .out would silently not be compared."""
    missing = [p.name for p in GOLDEN_DIR.glob("tst.*.d")
               if not p.with_name(p.name + ".out").exists()]
    assert not missing
    assert len(list(GOLDEN_DIR.glob("tst.*.d"))) >= 15
