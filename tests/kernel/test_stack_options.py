"""Stack options end to end: stack(n)/-x stackframes, ustack(n)/-x ustackframes,
-x stackindent in trace records, aggregation keys and printa, jstack()/-x jstackframes."""

from __future__ import annotations

import re

from tests.kernel.test_user_tracing import dtrace, ok, progs  # noqa: F401  (fixture)

KSTACK = "profile-997 /arg0/ { %s }"


def frame_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if "`" in ln or re.match(r"^\s+0x[0-9a-f]+$", ln)]


def test_stack_n_frames_and_indent() -> None:
    proc = ok(dtrace("-qn", KSTACK % "stack(3); exit(0);"))
    lines = frame_lines(proc.stdout)
    assert 1 <= len(lines) <= 3, proc.stdout
    assert all(re.match(r"^ {14}\S", ln) for ln in lines), proc.stdout
    proc = ok(dtrace("-x", "stackindent=4", "-x", "stackframes=2", "-qn",
                     KSTACK % "stack(); exit(0);"))
    lines = frame_lines(proc.stdout)
    assert 1 <= len(lines) <= 2, proc.stdout
    assert all(re.match(r"^ {4}\S", ln) for ln in lines), proc.stdout


def test_stack_keys_frames_and_indent() -> None:
    proc = ok(dtrace("-x", "stackindent=3", "-qn",
                     KSTACK % "@[stack(1)] = count(); @[stack(4)] = count(); exit(0);"))
    blocks = [b for b in proc.stdout.split("\n\n") if "`" in b]
    sizes = sorted(len(frame_lines(b)) for b in blocks)
    assert sizes[0] == 1 and 1 <= sizes[-1] <= 4, proc.stdout
    assert all(re.match(r"^ {3}\S", ln) for ln in frame_lines(proc.stdout)), proc.stdout
    # printa %k: no indent unless %-Nk (dt_printf pfprint_stack)
    proc = ok(dtrace("-qn", KSTACK % "@[stack(2)] = count(); exit(0);",
                     "-n", 'END { printa("%k|%@d\\n", @); printa("%-6k|%@d\\n", @); }'))
    lines = frame_lines(proc.stdout)
    assert any(re.match(r"^\S", ln) for ln in lines), proc.stdout
    assert any(re.match(r"^ {6}\S", ln) for ln in lines), proc.stdout


def test_ustack_n_frames(progs) -> None:  # noqa: F811
    proc = ok(dtrace("-x", "stackindent=5", "-qn",
                     "pid$target:a.out:fib:entry /arg0 == 1/ { ustack(2); exit(0); }",
                     "-c", f"{progs['fib']} 4"))
    assert frame_lines(proc.stdout) == ["     fib`fib", frame_lines(proc.stdout)[1]]
    assert frame_lines(proc.stdout)[1].startswith("     fib`fib+0x")
    proc = ok(dtrace("-x", "ustackframes=1", "-qn",
                     "pid$target:a.out:fib:entry /arg0 == 1/ { ustack(); @[ustack()] = count(); "
                     "@[ustack(3)] = count(); exit(0); }", "-c", f"{progs['fib']} 4"))
    blocks = [frame_lines(b) for b in proc.stdout.split("\n\n") if "`" in b]
    assert sorted(len(b) for b in blocks) == [1, 1, 3], proc.stdout


def test_jstack_defaults_to_jstackframes(progs) -> None:  # noqa: F811
    proc = ok(dtrace("-x", "jstackframes=2", "-x", "jstackstrsize=100", "-qn",
                     "pid$target:a.out:fib:entry /arg0 == 1/ { jstack(); exit(0); }",
                     "-c", f"{progs['fib']} 4"))
    assert len(frame_lines(proc.stdout)) == 2, proc.stdout


def test_raw_tracepoint_stacks_start_at_the_probe_site() -> None:
    """sched:::off-cpu runs from bpf_trace_run*: its stacks must not show our BPF frames."""
    proc = ok(dtrace("-qn", "sched:::off-cpu { stack(3); trace(sym(caller)); "
                     "@[stack(2)] = count(); exit(0); }"))
    lines = frame_lines(proc.stdout)
    assert lines, proc.stdout
    assert not any("bpf`" in ln or "bpf_trace_run" in ln for ln in lines), proc.stdout
    assert "__schedule" in lines[0], proc.stdout  # sched_switch fires in __schedule()
