"""sched:::on-cpu in the incoming thread's name, sched sleep/preempt, and the proc
probes built on filtered raw tracepoints: exec-failure, start/lwp-start,
signal-discard, signal-clear."""

from __future__ import annotations

import re
import sys

from tests.kernel.test_user_tracing import dtrace, ok

TRIGGER = f"""#!/bin/sh
/nonexistent-pydtrace-test 2>/dev/null
trap "" USR1
kill -USR1 $$
{sys.executable} -c "import signal as s, os; s.pthread_sigmask(s.SIG_BLOCK, [s.SIGUSR2]); \
os.kill(os.getpid(), s.SIGUSR2); s.sigtimedwait([s.SIGUSR2], 1)"
"""


def test_on_cpu_is_incoming_thread() -> None:
    proc = ok(dtrace("-qn", 'sched:::on-cpu /pid == $target/ { printf("%s %d %d %d\\n", '
                     "execname, pid, tid, curpsinfo->pr_pid); self->on = timestamp; } "
                     "sched:::off-cpu /self->on && pid == $target/ { @ = count(); self->on = 0; }",
                     "-c", "sleep 0.2"))
    lines = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith("sleep ")]
    assert lines, proc.stdout
    assert all(f[1] == f[2] == f[3] for f in lines), proc.stdout
    counts = [int(x) for x in proc.stdout.split() if x.isdigit()]
    assert counts[-1] >= 1  # self-> set in on-cpu is the thread that later goes off-cpu


def test_sleep_and_preempt() -> None:
    proc = ok(dtrace("-qn", "sched:::sleep /pid == $target/ { @s = count(); } "
                     "sched:::preempt { @p = count(); } "
                     'END { printa("sleep %@d\\n", @s); }', "-c", "sleep 0.2"))
    assert re.search(r"^sleep [1-9]\d*$", proc.stdout, re.M), proc.stdout


def test_proc_filtered_probes(tmp_path) -> None:
    script = tmp_path / "trig.sh"
    script.write_text(TRIGGER)
    script.chmod(0o755)
    proc = ok(dtrace("-qn", 'proc:::exec-failure /progenyof($target)/ { printf("fail %d\\n", '
                     'args[0]); } proc:::start /ppid == $target/ { printf("start %d %d\\n", '
                     'pid, ppid); } proc:::lwp-start /ppid == $target/ { printf("lwp %d\\n", '
                     'tid); } proc:::signal-discard /pid == $target/ { printf("discard %d\\n", '
                     'args[2]); } proc:::signal-clear /progenyof($target)/ { printf("clear %d\\n",'
                     " args[0]); }", "-c", str(script)))
    out = proc.stdout
    assert "fail 2\n" in out, out  # ENOENT
    assert "discard 10\n" in out, out  # SIGUSR1, ignored
    assert "clear 12\n" in out, out  # SIGUSR2 taken by sigtimedwait
    starts = re.findall(r"^start (\d+) (\d+)$", out, re.M)
    assert starts and all(a != b for a, b in starts), out
    assert {a for a, _ in starts} <= set(re.findall(r"^lwp (\d+)$", out, re.M)), out
