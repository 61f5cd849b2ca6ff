# ruff: noqa: UP031  -- %-formats mirror dtrace's C printf formats
"""flowindent (-F) and _DTRACE_TESTING in the consumer, on hand-made records."""

from __future__ import annotations

import struct
from types import SimpleNamespace

from pydtrace.codegen.layout import Field
from pydtrace.consume import actions as C
from pydtrace.consume.decoder import Printer
from pydtrace.options import Options
from pydtrace.providers.base import Probe


class FakeSession:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.chunks: list[str] = []
        self.record_hook = None

    def write(self, text: str) -> None:
        self.chunks.append(text)


def make_printer(quiet=False, flow=True, clauses=None, probes=None):
    opts = Options()
    if flow:
        opts.set("flowindent", None)
    if quiet:
        opts.set("quiet", None)
    cpu = Field(8, 4)
    clauses = clauses or {1: [C.CpuAct(cpu)]}
    compiled = SimpleNamespace(
        clauses={e: SimpleNamespace(epid=e, actions=a) for e, a in clauses.items()},
        probes=probes)
    session = FakeSession(opts)
    return Printer(compiled, session), session


def record(epid: int, probe_id: int, cpu: int = 0) -> memoryview:
    return memoryview(struct.pack("<III", epid, probe_id, cpu) + bytes(4))


PROBES = {
    1: Probe("fbt", "k", "foo", "entry", "kprobe", id=1),
    2: Probe("fbt", "k", "foo", "return", "kprobe", id=2),
    3: Probe("fbt", "k", "bar", "entry", "kprobe", id=3),
    4: Probe("fbt", "k", "bar", "return", "kprobe", id=4),
    5: Probe("syscall", "vmlinux", "read", "entry", "tracepoint", id=5),
    6: Probe("syscall", "vmlinux", "read", "return", "tracepoint", id=6),
    7: Probe("profile", "", "", "tick-1s", "tick", id=7),
    8: Probe("sdt", "sched", "sched_switch", "sched_switch", "tracepoint", id=8),
}


def run(printer, session, seq):
    for epid, pid in seq:
        printer.handle(record(epid, pid))
    return "".join(session.chunks)


def row(text: str, cpu: int = 0) -> str:
    return "%3d %-41s \n" % (cpu, text)


def test_nested_indent():
    p, s = make_printer(probes=PROBES)
    out = run(p, s, [(1, 1), (1, 3), (1, 8), (1, 4), (1, 2), (1, 7)])
    assert out == ("CPU FUNCTION" + " " * 33 + "\n" + row(" -> foo") + row("   -> bar")
                   + row("    | sched_switch:sched_switch") + row("   <- bar")
                   + row(" <- foo") + row("| :tick-1s"))


def test_syscall_markers_and_floor():
    p, s = make_printer(probes=PROBES)
    out = run(p, s, [(1, 6), (1, 5), (1, 6)])
    lines = out.splitlines()[1:]
    assert lines[0].startswith("  0  <= read")  # a return first: the indent stays at 0
    assert lines[1].startswith("  0  => read")
    assert lines[2].startswith("  0  <= read")


def test_second_clause_of_same_firing_not_indented_again():
    cpu = Field(8, 4)
    p, s = make_printer(probes=PROBES, clauses={1: [C.CpuAct(cpu)], 2: [C.CpuAct(cpu)]})
    out = run(p, s, [(1, 1), (2, 1), (1, 3)]).splitlines()[1:]
    assert out[0] == row(" -> foo")[:-1]
    assert out[1] == row("  | foo:entry")[:-1]
    assert out[2] == row("   -> bar")[:-1]


def test_quiet_flow_prints_prefix_without_newline():
    p, s = make_printer(quiet=True, probes=PROBES)
    out = run(p, s, [(1, 1)])
    assert out == "CPU FUNCTION" + " " * 33 + "\n" + row(" -> foo")[:-1]


def test_testing_env_hides_cpu_and_id(monkeypatch):
    monkeypatch.setenv("_DTRACE_TESTING", "t")
    p, s = make_printer(flow=False, probes=PROBES)
    out = run(p, s, [(1, 5)])
    assert out == "%32s\n%32s \n" % ("FUNCTION:NAME", "read:entry")
    p, s = make_printer(flow=True, probes=PROBES)
    out = run(p, s, [(1, 1)])
    assert out == "%-41s\n%-41s \n" % ("FUNCTION", " -> foo")


def test_default_output_unchanged_without_testing(monkeypatch):
    monkeypatch.delenv("_DTRACE_TESTING", raising=False)
    p, s = make_printer(flow=False, probes=PROBES)
    out = run(p, s, [(1, 5)])
    assert out == "CPU     ID                    FUNCTION:NAME\n  0      5" \
                  "                       read:entry \n"
