"""pid/USDT uprobes opened at compile time (as fasttrap creates its probes), the '-'
function (absolute addresses), and that no perf event outlives a compilation."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pydtrace import cli
from tests.kernel.test_error_tags_kernel import target_prog  # noqa: F401
from tests.kernel.test_user_tracing import agg_rows, dtrace, ok, progs  # noqa: F401

pytestmark = pytest.mark.kernel


def symbol_address(path: str, name: str) -> int:
    if shutil.which("nm") is None:
        pytest.skip("kernel: nm (binutils) is needed")
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name and parts[1] in "Tt":
            return int(parts[0], 16)
    raise AssertionError(f"{name} not in {path}")


@pytest.mark.parametrize("exe", ["fib", "fib_nopie"])
def test_dash_function_probes_an_address(progs, exe) -> None:  # noqa: F811
    addr = symbol_address(progs[exe], "fib")
    proc = ok(dtrace("-qn", f"pid$target::-:{addr:x} {{ @[probefunc, probename] = count(); }}",
                     "-c", f"{progs[exe]} 10"))
    assert agg_rows(proc.stdout) == {f"- {addr:x}": 177}, proc.stdout
    listed = ok(dtrace("-l", "-n", f"pid$target:a.out:-:0x{addr:X}", "-c", progs[exe]))
    assert listed.stdout.splitlines()[1].split()[2:] == [exe, "-", f"{addr:x}"], listed.stdout


@pytest.fixture
def running(target_prog: Path) -> Iterator[int]:  # noqa: F811
    proc = subprocess.Popen([str(target_prog)])
    try:
        time.sleep(0.2)
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def open_fds() -> set[str]:
    """This process's perf event and BPF descriptors."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "perf_event" in target or "bpf" in target:
            out.add(f"{fd} {target}")
    return out


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every uprobe event opened, kept alive here so that only close() can release it."""
    from pydtrace.sys.perf import PerfEvent

    events: list = []
    real = PerfEvent.uprobe.__func__

    def uprobe(cls, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        event = real(cls, *args, **kw)
        events.append(event)
        return event

    monkeypatch.setattr(PerfEvent, "uprobe", classmethod(uprobe))
    return events


def compile_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], opened: list,
                 program: str) -> str:
    path = tmp_path / "t.d"
    path.write_text(program)
    before = open_fds()
    opened.clear()
    status = cli.main(["-x", "errtags", "-e", "-s", str(path)])
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert opened, "no uprobe was opened at compile time"
    assert all(e.fd == -1 for e in opened), "a compile left uprobe events open"
    assert open_fds() - before == set(), "a compile left descriptors open"
    return f"{status}:{err}"


def test_no_event_outlives_a_compilation(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         running: int, opened: list) -> None:
    pid = running
    # compiled (-e): uprobes were opened while matching, then released
    assert compile_only(tmp_path, capsys, opened, f"pid{pid}:a.out:main:entry, "
                        f"pid{pid}:a.out:hit:return {{ }}") == "0:"
    # a later compile error: the probes matched before it are released too
    err = compile_only(tmp_path, capsys, opened, f"pid{pid}:a.out:main:entry {{ }}\n"
                       "BEGIN { trace(nosuchvar); }")
    assert err.startswith("1:") and "[D_IDENT_UNDEF]" in err
    # the kernel refuses the second site after accepting the first
    err = compile_only(tmp_path, capsys, opened, f"pid{pid}:a.out:main:entry, "
                       f"pid{pid}:a.out:locked:entry {{ }}")
    assert err.startswith("1:") and "[D_PROC_CREATEFAIL]" in err
    err = compile_only(tmp_path, capsys, opened,
                       f"badnote{pid}:::good, badnote{pid}:::bad {{ }}")
    assert err.startswith("1:") and "[D_PROC_USDT]" in err


def test_refused_glob_offsets_are_left_out(running: int) -> None:
    pid = running
    listed = ok(dtrace("-l", "-n", f"pid{pid}:a.out:locked:[0-9]"))
    assert {ln.split()[-1] for ln in listed.stdout.splitlines()[1:]} >= {"0", "3"}
    proc = ok(dtrace("-qn", f"pid{pid}:a.out:locked:[0-9] {{ @[probename] = count(); }} "
                     "tick-300ms { exit(0); }"))
    rows = agg_rows(proc.stdout)
    assert "3" in rows and "0" not in rows, proc.stdout  # offset 0 is `lock incl`


def test_usdt_good_probe_of_the_same_object_fires(running: int) -> None:
    proc = ok(dtrace("-qn", f"badnote{running}:::good {{ @[probefunc, probename] = count(); }} "
                     "tick-300ms { exit(0); }"))
    assert "hit" in proc.stdout and "good" in proc.stdout, proc.stdout
