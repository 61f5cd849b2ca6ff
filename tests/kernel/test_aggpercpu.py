"""-x aggpercpu: each aggregation value is followed by its per-CPU values."""

from __future__ import annotations

import re
import subprocess
import sys


def test_per_cpu_values_add_up_to_the_total() -> None:
    proc = subprocess.run([sys.executable, "-m", "pydtrace", "-x", "aggpercpu", "-qn",
                           "profile-97 { @ = count(); } tick-300ms { exit(0); }"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    total = int(proc.stdout.split()[0])
    cpus = [int(v) for v in re.findall(r"^    \[CPU \d+\]\s+(\d+)$", proc.stdout, re.M)]
    assert cpus and sum(cpus) == total
