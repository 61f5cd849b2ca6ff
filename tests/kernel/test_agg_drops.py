"""A full aggregation map drops new keys and the consumer reports it as DTrace does."""

from __future__ import annotations

import re
import subprocess
import sys

SCRIPT = "BEGIN { i = 0; } tick-1ms { @[i++] = count(); } tick-300ms { exit(0); }"


def test_aggregation_drops_are_reported() -> None:
    proc = subprocess.run([sys.executable, "-m", "pydtrace", "-x", "aggsize=1k", "-qn", SCRIPT],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    drops = re.findall(r"^dtrace: (\d+) aggregation drops? on CPU (\d+)$", proc.stderr, re.M)
    assert drops, proc.stderr
    kept = [line for line in proc.stdout.splitlines() if line.strip()]
    assert 1 <= len(kept) <= 64  # aggsize=1k leaves room for the minimum of 64 keys
    assert "Traceback" not in proc.stderr
