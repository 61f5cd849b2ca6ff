"""No kernel objects outlive dtrace: BPF programs, maps, links, tracefs probes.

Each test snapshots :mod:`pydtrace.sys.inventory`, runs dtrace as a child
process and ends it some way (exit(), SIGINT, SIGTERM, SIGKILL, a compile
error, a verifier rejection), then checks that every id that appeared has
gone again. Other BPF users may exist on the machine, so only new ids count,
and the check polls for up to 2 s: the kernel frees objects after their last
fd closes, asynchronously (RCU).
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pydtrace.sys import inventory

TIMEOUT_S = 30
DTRACE = [sys.executable, "-m", "pydtrace"]
TRACING = 'tick-50ms { printf("tick\\n"); } profile-97 { @[cpu] = count(); }'
Snapshot = dict[str, set]


def snapshot() -> Snapshot:
    """Everything pydtrace could leave behind, by kind."""
    return {"progs": inventory.bpf_prog_ids(), "maps": inventory.bpf_map_ids(),
            "links": inventory.bpf_link_ids(), "uprobes": set(inventory.uprobe_events()),
            "kprobes": set(safe_kprobe_events())}


def safe_kprobe_events() -> list[str]:
    """kprobe_events lines; this machine may have no kprobes at all."""
    try:
        return inventory.kprobe_events()
    except OSError:
        return []


def leaked(before: Snapshot) -> Snapshot:
    """What appeared since ``before`` and is still there after up to 2 s."""
    deadline = time.monotonic() + 2.0
    while True:
        now = snapshot()
        extra = {kind: now[kind] - before[kind] for kind in now if now[kind] - before[kind]}
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def wait_tracing(proc: subprocess.Popen[bytes]) -> Snapshot:
    """Block until dtrace prints its first tick line; return the inventory then."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT_S)
    assert ready, f"no output from dtrace within {TIMEOUT_S} s"
    line = proc.stdout.readline()
    assert line == b"tick\n", (line, proc.stderr.read() if proc.stderr else b"")
    return snapshot()


def run_and_signal(sig: signal.Signals) -> tuple[Snapshot, Snapshot, int]:
    """Start a tracing dtrace, signal it once output flows; (before, during, status)."""
    before = snapshot()
    proc = subprocess.Popen([*DTRACE, "-qn", TRACING],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        during = wait_tracing(proc)
        proc.send_signal(sig)
        proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return before, during, proc.returncode


def assert_objects_seen(before: Snapshot, during: Snapshot) -> None:
    """The test means something only if dtrace did load programs and maps."""
    assert during["progs"] - before["progs"], "dtrace loaded no BPF program?"
    assert during["maps"] - before["maps"], "dtrace created no BPF map?"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                         ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_no_leak_after_signal(sig: signal.Signals) -> None:
    before, during, status = run_and_signal(sig)
    assert_objects_seen(before, during)
    if sig == signal.SIGKILL:
        assert status == -signal.SIGKILL
    elif sig == signal.SIGINT:
        assert status == 0  # END runs, then a normal exit
    assert leaked(before) == {}


def run_to_end(*args: str) -> tuple[Snapshot, subprocess.CompletedProcess[str]]:
    before = snapshot()
    proc = subprocess.run([*DTRACE, *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    return before, proc


CASES: dict[str, tuple[list[str], Callable[[subprocess.CompletedProcess[str]], bool]]] = {
    "exit": (["-qn", "profile-97 { @[cpu] = count(); } tick-200ms { exit(0); }"],
             lambda p: p.returncode == 0),
    "exit_status": (["-qn", "BEGIN { exit(7); }"], lambda p: p.returncode == 7),
    "compile_error": (["-qn", "BEGIN { x = ; }"],
                      lambda p: p.returncode == 1 and "syntax error" in p.stderr),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_leak_after_run(case: str) -> None:
    args, ok = CASES[case]
    before, proc = run_to_end(*args)
    assert ok(proc), (proc.returncode, proc.stderr)
    assert leaked(before) == {}


# Run dtrace with one program made unloadable (an early exit leaves
# unreachable code): the verifier refuses it after the maps and the other
# programs exist. No D source does this, since the compiler guards against it.
BAD_LOAD = """
import sys
from pydtrace import api, cli
from pydtrace.bpf import insn as I
compile_invocation = api.compile_invocation
def spoiled(inv):
    compiled, matched = compile_invocation(inv)
    compiled.programs[-1].insns[0:0] = [I.mov64(0, 5), I.exit_insn()]
    return compiled, matched
api.compile_invocation = spoiled
sys.exit(cli.main(sys.argv[1:]))
"""


def test_no_leak_after_verifier_refusal(tmp_path: Path) -> None:
    script = tmp_path / "bad_load.py"
    script.write_text(BAD_LOAD)
    before = snapshot()
    proc = subprocess.run([sys.executable, str(script), "-qn",
                           "BEGIN { trace(1); } profile-97 { @[cpu] = count(); } "
                           "tick-1s { exit(0); }"],
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert proc.returncode == 1
    assert "verifier refused" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert leaked(before) == {}
