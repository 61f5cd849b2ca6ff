"""Glob-matched pid probes on uprobe_multi links (Linux 6.6+): a wide glob attaches and
detaches in a few grace periods instead of one per site, counts match the perf-event
path, and sites the kernel refuses are left out."""

from __future__ import annotations

import os
import re
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from pydtrace.providers import pid as P
from tests.kernel.test_error_tags_kernel import target_prog  # noqa: F401
from tests.kernel.test_pid_return import ret_offsets
from tests.kernel.test_user_tracing import DTRACE, agg_rows, dtrace, ok, progs  # noqa: F401

pytestmark = pytest.mark.kernel


@pytest.fixture(autouse=True)
def need_uprobe_multi() -> None:
    from pydtrace.sys.features import have_uprobe_multi

    if not have_uprobe_multi():
        pytest.skip("missing kernel feature: uprobe_multi links (Linux 6.6+)")


def test_wide_glob_is_fast_and_counts() -> None:
    # on perf events (one uprobe each) this takes minutes: ~80 ms per site to close
    start = time.monotonic()
    proc = ok(dtrace("-n", "pid$target:::entry { @[probefunc] = count(); }",
                     "-c", "/bin/true", timeout=60))
    took = time.monotonic() - start
    matched = int(re.search(r"matched (\d+) probes", proc.stderr).group(1))
    assert matched > 1000, proc.stderr
    assert took < 20, f"{matched} probes took {took:.1f} s"
    rows = agg_rows(proc.stdout)
    assert rows.get("exit") == 1 and rows.get("_exit") == 1, proc.stdout


def multi_and_perf(*args: str) -> tuple[str, str]:
    """stdout of the same dtrace run on uprobe_multi links and on perf events."""
    out = []
    for multi in ("1", "0"):
        env = dict(os.environ, PYDTRACE_UPROBE_MULTI=multi)
        proc = subprocess.run([*DTRACE, *args], capture_output=True, text=True,
                              timeout=120, env=env, check=False)
        ok(proc)
        out.append(proc.stdout)
    return out[0], out[1]


def test_counts_match_the_perf_event_path(progs) -> None:  # noqa: F811
    multi, perf = multi_and_perf("-qn", "pid$target:a.out:fib: { @[probename] = count(); }",
                                 "-c", f"{progs['fib']} 10")
    rows = agg_rows(multi)
    assert rows == agg_rows(perf) and rows["entry"] == rows["return"] == 177, multi


@pytest.mark.parametrize("exe", ["fib", "fib_nopie"])
def test_glob_return_arg0_is_ret_offset(progs, exe) -> None:  # noqa: F811
    rets = ret_offsets(progs[exe], "fib")
    proc = ok(dtrace("-qn", "pid$target:a.out:fib*:return { @[arg0, arg1] = count(); }",
                     "-c", f"{progs[exe]} 10"))
    rows = agg_rows(proc.stdout.split("\n", 1)[1])
    assert sum(rows.values()) == 177, proc.stdout
    assert {int(k.split()[0]) for k in rows} <= rets, (proc.stdout, rets)
    assert any(k.split()[1] == "55" for k in rows), proc.stdout  # arg1: fib(10) returns 55


def test_refused_site_is_found_and_dropped(target_prog: Path) -> None:  # noqa: F811
    from pydtrace.elf import open_elf
    from pydtrace.sys import inventory
    from pydtrace.sys import syscall as sc
    from pydtrace.sys.features import RETURN_0
    from pydtrace.sys.progs import Program

    elf = open_elf(str(target_prog))
    sites = sorted((elf.vaddr_to_offset(s.value), i)
                   for i, s in enumerate(elf.functions.values())
                   if s.size and elf.vaddr_to_offset(s.value) is not None)
    locked = elf.vaddr_to_offset(elf.functions["locked"].value)
    proc = subprocess.Popen([str(target_prog)])
    links_before = inventory.bpf_link_ids()
    try:
        time.sleep(0.2)
        with Program.load(sc.BPF_PROG_TYPE_KPROBE, RETURN_0, name="t",
                          expected_attach_type=sc.BPF_TRACE_UPROBE_MULTI) as prog:
            for hint in (False, True):  # bisection alone, then with the x86 prefix hint
                with ExitStack() as stack:
                    if not hint:
                        stack.callback(setattr, P, "suspect_sites", P.suspect_sites)
                        P.suspect_sites = lambda path, offsets: set()
                    refused = P.link_sites(prog.fd, str(target_prog), proc.pid, False,
                                           sites, stack)
                    assert [off for off, _ in refused] == [locked]
                    assert inventory.bpf_link_ids() - links_before
    finally:
        proc.kill()
        proc.wait()
    assert not inventory.bpf_link_ids() - links_before


def test_glob_with_a_refused_function_still_traces(target_prog: Path) -> None:  # noqa: F811
    proc = subprocess.Popen([str(target_prog)])
    try:
        time.sleep(0.2)
        out = ok(dtrace("-qn", f"pid{proc.pid}:a.out::entry {{ @[probefunc] = count(); }} "
                        "tick-300ms { exit(0); }"))
    finally:
        proc.kill()
        proc.wait()
    rows = agg_rows(out.stdout)
    assert "hit" in rows and "locked" not in rows, out.stdout
