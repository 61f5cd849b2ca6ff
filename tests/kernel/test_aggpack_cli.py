"""-x agghist / -x aggpack / -x aggzoom given on the command line, end to end.

The expected texts follow libdtrace's rules (see tests/unit/test_aggpacked.py
for the details); packed glyphs are UTF-8 unless ``-x encoding=ascii`` or a
``dumb``/``sun`` terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys

DIST = "------------- Distribution -------------"
QUANT = "BEGIN { @ = quantize(1); @ = quantize(100); exit(0); }"


def dtrace(*args: str, term: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    if term is not None:
        env["TERM"] = term
    proc = subprocess.run([sys.executable, "-m", "pydtrace", *args], capture_output=True,
                          timeout=30, check=False, env=env)
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc


def test_aggpack_quantize_ascii() -> None:
    proc = dtrace("-x", "aggpack", "-x", "encoding=ascii", "-qn", QUANT)
    assert proc.stdout == (b"\n\n  min .---------. max  | count\n"
                           b"    0 : x     x : 128  | 2\n")


def test_aggpack_quantize_not_quiet_keeps_probe_line() -> None:
    proc = dtrace("-x", "aggpack", "-x", "encoding=ascii", "-n", QUANT)
    lines = proc.stdout.decode().split("\n")
    assert lines[0].split() == ["CPU", "ID", "FUNCTION:NAME"]
    assert lines[1].split()[-1] == ":BEGIN"
    assert lines[2:] == ["", "", "  min .---------. max  | count",
                         "    0 : x     x : 128  | 2", ""]


def test_aggpack_glyphs_follow_term() -> None:
    utf8 = dtrace("-x", "aggpack", "-qn", QUANT, term="xterm").stdout.decode()
    assert utf8.endswith("    0 : \u2585     \u2585 : 128  | 2\n")
    dumb = dtrace("-x", "aggpack", "-qn", QUANT, term="dumb").stdout.decode()
    assert dumb.endswith("    0 : x     x : 128  | 2\n")


def test_agghist_zoom_count_with_keys() -> None:
    proc = dtrace("-x", "agghist", "-x", "aggzoom", "-qn",
                  'BEGIN { @[1] = count(); @[2] = count(); @[2] = count(); exit(0); }')
    # zoom total (int64_t)(2 * 1/0.95) = 2: 1 -> 20, 2 -> 40 columns.
    assert proc.stdout.decode() == (
        "\n" + f"\n{'key':>9} {DIST:>41} {'count':<9}\n"
        + "        1 |" + "@" * 20 + " " * 20 + " 1        \n"
        + "        2 |" + "@" * 40 + " 2        \n")


def test_setopt_switches_aggpack_on_and_off() -> None:
    prog = ('BEGIN { @ = lquantize(1, 0, 3, 1); setopt("aggpack"); printa(@); '
            'setopt("aggpack", "no"); printa(@); exit(0); }')
    proc = dtrace("-x", "encoding=ascii", "-qn", prog)
    out = proc.stdout.decode()
    packed = "\n     min .-----. max      | count\n     < 0 :  X  : >= 3     | 1\n"
    assert out.startswith("\n" + packed + "\n" + f"\n{'value':>16} {DIST:>41} {'count':<9}\n")
    assert out.count("min .") == 1
