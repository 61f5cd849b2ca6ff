"""sched enqueue/dequeue, NULL string variables, and the memory subroutine checks
(alloca bounds per allocation, bcopy from scratch, chill budget per CPU window)."""

from __future__ import annotations

import re

from tests.kernel.test_user_tracing import dtrace, ok


def test_sched_enqueue_dequeue() -> None:
    proc = ok(dtrace("-qn", "sched:::enqueue /args[1]->pr_pid == $target/ { "
                     "ts[args[0]->pr_lwpid] = timestamp; @e[probefunc, args[3]] = count(); } "
                     "sched:::dequeue /ts[args[0]->pr_lwpid] && args[1]->pr_pid == $target/ { "
                     "@d = count(); ts[args[0]->pr_lwpid] = 0; } "
                     'END { printa("e %s %d %@d\\n", @e); printa("d %@d\\n", @d); }',
                     "-c", "sleep 0.2"))
    out = proc.stdout
    assert re.search(r"^e ttwu_do_wakeup 0 [1-9]\d*$", out, re.M), out
    assert re.search(r"^d [1-9]\d*$", out, re.M), out


def test_sched_listing() -> None:
    out = ok(dtrace("-l", "-P", "sched")).stdout
    for func, name in (("ttwu_do_wakeup", "enqueue"), ("__schedule", "dequeue")):
        assert re.search(rf"{func}\s+{name}$", out, re.M), out
    assert "remain-cpu" not in out and " tick" not in out


def run(script: str, *extra: str):
    return dtrace("-qn", script, *extra)


def test_null_string_variables() -> None:
    proc = ok(run('BEGIN { x = strstr("abc", "z"); self->s = strstr("abc", "q"); '
                  'a["k"] = strstr("abc", "r"); this->t = strstr("abc", "w"); '
                  'printf("%d %d %d %d\\n", x == NULL, self->s == NULL, a["k"] == NULL, '
                  'this->t == NULL); x = ""; self->s = ""; a["k"] = ""; this->t = ""; '
                  'printf("%d %d %d %d [%s%s%s%s]\\n", x == NULL, self->s == NULL, '
                  'a["k"] == NULL, this->t != NULL, x, self->s, a["k"], this->t); '
                  'y = strstr("abc", "b"); printf("%d %s\\n", y != NULL, y); exit(0); }'))
    assert proc.stdout.splitlines()[:3] == ["1 1 1 1", "0 0 0 1 []", "1 bc"], proc.stdout


def test_null_string_variable_faults() -> None:
    for use in ("trace(x)", 'printf("%s", x)', "trace(strlen(x))", "y = x; trace(y)"):
        proc = run(f'BEGIN {{ x = strstr("abc", "z"); {use}; }} BEGIN {{ exit(0); }}')
        assert proc.returncode == 0, proc.stderr
        assert "invalid address (0x0)" in proc.stderr, (use, proc.stderr)
    proc = run('self string s; BEGIN { trace(self->s); } BEGIN { exit(0); }')
    assert "invalid address (0x0) in action #1" in proc.stderr, proc.stderr


def test_alloca_bounds_per_allocation() -> None:
    ok_ = run("BEGIN { a = (char *)alloca(8); b = (char *)alloca(8); "
              "bcopy((void *)curthread, a, 8); bcopy(a, b, 8); "
              'printf("%d\\n", *(long *)a == *(long *)b); exit(0); }')
    assert ok(ok_).stdout.strip() == "1"  # a source in scratch is allowed (illumos)
    for dst, size in (("a + 4", "8"), ("a", "n + 1"), ("(char *)alloca(0)", "1")):
        proc = run(f"BEGIN {{ n = 6; a = (char *)alloca(n); b = (char *)alloca(16); "
                   f"bcopy((void *)curthread, {dst}, {size}); exit(0); }} "
                   'ERROR { printf("fault %d\\n", arg4); exit(0); }')
        assert "fault 1" in proc.stdout, (dst, proc.stdout, proc.stderr)


def test_chill_budget_per_cpu_window() -> None:
    proc = ok(dtrace("-qwn", 'BEGIN { chill(300000000); printf("a\\n"); } '
                     'BEGIN { chill(300000000); printf("b\\n"); } BEGIN { exit(0); } '
                     'ERROR { printf("fault %d\\n", arg4); }'))
    assert proc.stdout.split() == ["a", "fault", "3"], proc.stdout
