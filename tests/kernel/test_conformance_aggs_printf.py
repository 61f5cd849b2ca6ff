"""Behaviours found by a conformance sweep of aggregation/printf/subroutine tests:
clauses that only aggregate record nothing, exit() stops the clauses after it,
sym()/func()/mod() statements are actions, %a prints symbols, setopt() takes
strings computed at run time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def run(script: str, *args: str, env: dict | None = None) -> tuple[str, str, int]:
    p = subprocess.run(DTRACE + list(args) + ["-n", script], capture_output=True, text=True,
                       timeout=30, env=env)
    assert "Traceback" not in p.stderr
    return p.stdout, p.stderr, p.returncode


def test_aggregation_only_clause_prints_no_probe_line() -> None:
    env = dict(os.environ, _DTRACE_TESTING="1")  # no CPU/ID columns
    out, err, rc = run("tick-50ms { @a = count(); } tick-520ms { exit(0); }", env=env)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].strip() == "FUNCTION:NAME"
    assert lines[1].strip() == ":tick-520ms"
    assert "tick-50ms" not in out  # the aggregating clause recorded nothing
    assert lines[2] == "" and int(lines[3]) >= 9


def test_non_recording_clauses_print_no_probe_line() -> None:
    """Assignments and commit( ) record nothing (like the Solaris guide's progtime.d);
    an empty clause is the default action and does print its probe."""
    env = dict(os.environ, _DTRACE_TESTING="1")
    out, err, rc = run("BEGIN { x = 1; } BEGIN { s = speculation(); } BEGIN { commit(s); } "
                       "BEGIN { } tick-50ms /i++ == 1/ { y = 1; } tick-50ms /i == 2/ { exit(0); }",
                       env=env)
    assert rc == 0, err
    assert out.count(":BEGIN") == 1
    assert out.count(":tick-50ms") == 1


def test_commit_and_discard_in_either_order() -> None:
    out, err, rc = run("BEGIN { s = speculation(); } BEGIN { speculate(s); printf(\"kept\\n\"); } "
                       "BEGIN { commit(s); discard(s); } "
                       "BEGIN { t = speculation(); } BEGIN { speculate(t); printf(\"gone\\n\"); } "
                       "BEGIN { discard(t); commit(t); } "
                       "BEGIN { printf(\"after\\n\"); exit(0); }", "-q")
    assert rc == 0, err
    assert out == "kept\nafter\n\n"


def test_commit_of_an_invalid_id_is_an_illegal_operation() -> None:
    out, err, rc = run("BEGIN { commit(-1); } BEGIN { discard(0); commit(0); } "
                       "BEGIN { exit(0); }", "-q")
    assert rc == 0
    assert "illegal operation in action #1" in err
    assert err.count("error on enabled probe") == 1


def test_matched_counts_every_clause() -> None:
    out, err, rc = run("BEGIN { } BEGIN { exit(0); }")
    assert rc == 0
    assert "matched 2 probes" in err


def test_exit_skips_later_clauses_of_the_same_firing() -> None:
    out, err, rc = run("tick-10ms /i++ >= 3/ { exit(0); } tick-10ms { @n = count(); } "
                       "END { printa(\"n=%@d\\n\", @n); }", "-q")
    assert rc == 0, err
    assert out == "n=3\n\n"


def test_sym_statement_is_an_action() -> None:
    out, err, rc = run("BEGIN { sym((uint64_t)&`vfs_read + 1); printf(\"|\"); "
                       "func((uint64_t)&`vfs_read); printf(\"|\"); mod((uint64_t)&`vfs_read); "
                       "exit(0); }", "-q")
    assert rc == 0, err
    assert out == "vmlinux`vfs_read|vmlinux`vfs_read|vmlinux\n"


def test_printf_a_prints_kernel_symbols() -> None:
    out, err, rc = run("BEGIN { printf(\"%a %a %a\\n\", &`vfs_read, (uint64_t)&`vfs_read + 4, "
                       "0x61); exit(0); }", "-q")
    assert rc == 0, err
    assert out == "vmlinux`vfs_read vmlinux`vfs_read+0x4 0x61\n\n"


def test_setopt_with_run_time_string() -> None:
    out, err, rc = run("BEGIN { @a[1] = sum(3); @a[2] = sum(1); @b[1] = sum(1); "
                       "@b[2] = sum(5); setopt(\"aggsortpos\", lltostr(1)); "
                       "printa(\"%d %@d %@d\\n\", @a, @b); exit(0); }", "-q")
    assert rc == 0, err
    assert out == "1 3 1\n2 1 5\n\n"


def test_setopt_non_string_refused() -> None:
    out, err, rc = run("BEGIN { setopt(1); }", "-xerrtags")
    assert rc == 1 and "[D_PROTO_ARG]" in err
