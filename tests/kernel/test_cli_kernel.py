"""Issue "spine" acceptance: the dtrace command end to end on the real kernel.

Each test runs ``dtrace`` as a separate process (``sys.executable -m pydtrace``,
or the installed console script for the ``#!`` test) and checks stdout,
stderr and the exit status against what dtrace(1) does.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

TIMEOUT_S = 30
DTRACE = [sys.executable, "-m", "pydtrace"]
HEADER = "CPU     ID                    FUNCTION:NAME\n"


def dtrace(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run dtrace to completion; text output."""
    return subprocess.run([*DTRACE, *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=env, check=False)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr


def online_cpus() -> list[int]:
    """CPU numbers listed in /sys/devices/system/cpu/online (e.g. ``0-3,6``)."""
    text = Path("/sys/devices/system/cpu/online").read_text().strip()
    cpus: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


# ---------------------------------------------------------------- (a) printf


def test_printf_quiet() -> None:
    proc = dtrace("-qn", 'BEGIN { printf("%d %s %5.2s|%-4d|%x\\n", 1+2*3, "abc", "xyz", 7, '
                         "255); exit(0); }")
    assert proc.returncode == 0, proc.stderr
    # The program's line, then the "\n" dtrace prints when tracing ends.
    assert proc.stdout == "7 abc    xy|7   |ff\n\n"
    assert proc.stderr == ""  # -q also silences the "matched" notice


# ---------------------------------------------------------------- (b) default output


def test_default_output_begin() -> None:
    proc = dtrace("-n", "BEGIN { exit(0); }")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0] + "\n" == HEADER
    assert re.fullmatch(r" {0,2}\d{1,3}      1                           :BEGIN ", lines[1])
    cpu = int(lines[1][:3])
    assert cpu in online_cpus()
    assert lines[2:] == ["", ""]  # end of firing, then dtrace's final newline
    assert proc.stderr == "dtrace: description 'BEGIN ' matched 1 probe\n"


# ---------------------------------------------------------------- (c) tick


def test_tick_counts() -> None:
    # Up to 3 runs: on this firecracker VM the kernel sometimes drops cpu-clock
    # samples (a tick-1s first firing at 2 or 3 s, 17..148 tick-10ms per second),
    # which is not pydtrace's doing; a consistent miss still fails.
    counts = []
    for _ in range(3):
        proc = dtrace("-qn", 'tick-10ms { n++; } tick-1s { printf("%d\\n", n); exit(0); }')
        assert proc.returncode == 0, proc.stderr
        number, rest = proc.stdout.split("\n", 1)
        assert rest == "\n"
        counts.append(int(number))
        if 90 <= counts[-1] <= 100:
            return
    pytest.fail(f"tick-10ms fired {counts} times per tick-1s, want 90..100")


def test_printa_two_aggregations_execname() -> None:
    proc = dtrace("-qn", "tick-10ms /i < 20/ { @c[execname] = count(); @s[execname] = sum(arg0); "
                         'i++; } tick-10ms /i == 20/ { printa("%-16s %@8d %@8d\\n", @c, @s); '
                         "exit(0); }")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[-2:] == ["", ""]
    rows = [re.fullmatch(r"(\S.{15}) ( {0,7}\d{1,8}) ( *-?\d+)", line) for line in lines[:-2]]
    assert rows and all(rows), lines
    assert sum(int(m.group(2)) for m in rows if m) == 20
    names = [m.group(1).rstrip() for m in rows if m]
    assert len(names) == len(set(names))


def busy_loops(cpus: list[int]) -> list[subprocess.Popen[bytes]]:
    """One spinning child per CPU, pinned (idle vCPUs here drop cpu-clock samples)."""
    code = "import os, sys, time\nos.sched_setaffinity(0, {int(sys.argv[1])})\n" \
           "end = time.monotonic() + 20\nwhile time.monotonic() < end: pass\n"
    return [subprocess.Popen([sys.executable, "-c", code, str(cpu)]) for cpu in cpus]


def test_profile_counts_per_cpu() -> None:
    cpus = online_cpus()
    spinners = busy_loops(cpus)
    try:
        for _ in range(3):
            proc = dtrace("-qn", "profile-997 { @[cpu] = count(); } tick-1s { exit(0); }")
            assert proc.returncode == 0, proc.stderr
            rows = dict(profile_rows(proc.stdout))
            if sorted(rows) == cpus and all(700 <= n <= 1100 for n in rows.values()):
                return
    finally:
        for child in spinners:
            child.kill()
            child.wait()
    pytest.fail(f"profile-997 per-CPU counts {rows}, want every CPU of {cpus} in 700..1100")


def profile_rows(stdout: str) -> list[tuple[int, int]]:
    """(cpu, count) from the default print of a one-int-key count() aggregation."""
    assert stdout.startswith("\n")
    out = []
    for line in stdout[1:].splitlines():
        match = re.fullmatch(r" +(\d+) +(\d+)", line)
        assert match and len(line) == 9 + 17, repr(line)
        out.append((int(match.group(1)), int(match.group(2))))
    return out


# ---------------------------------------------------------------- (d) trace + exit(n)


def test_trace_quiet_and_exit_status() -> None:
    proc = dtrace("-qn", 'BEGIN { trace((char)-1); trace(-1); trace("x"); exit(3); }')
    assert proc.returncode == 3, proc.stderr
    # quiet: 1-byte ints read unsigned with %d, 4-byte signed, strings %s
    assert proc.stdout == "255-1x\n"


def test_trace_not_quiet() -> None:
    proc = dtrace("-n", 'BEGIN { trace((char)-1); trace(-1); trace((long long)-2); '
                        'trace("x"); exit(3); }')
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.split("\n")
    assert lines[0] + "\n" == HEADER
    prefix = lines[1][:44]
    assert prefix.endswith("      1                           :BEGIN ")
    assert lines[1][44:] == " 255" + "       -1" + " " * 15 + "-2" + "  " + "x".ljust(33)
    assert lines[2:] == ["", ""]


# ---------------------------------------------------------------- (e) #! script


def installed_dtrace() -> str:
    """The real console script (``shutil.which`` may find a pyenv shim, a shell script)."""
    candidate = Path(sysconfig.get_path("scripts")) / "dtrace"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dtrace")
    if found is None:
        pytest.skip("kernel: the dtrace console script is not installed (pip install -e .)")
    return found


def test_interpreter_script(tmp_path: Path) -> None:
    script = tmp_path / "hello.d"
    script.write_text(f"#!{installed_dtrace()} -qs\n"
                      "#pragma D option quiet\n"
                      'BEGIN { printf("hello %s\\n", $$1); exit(0); }\n')
    script.chmod(0o755)
    proc = subprocess.run([str(script), "world"], capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "hello world\n\n"


# ---------------------------------------------------------------- (f) compile errors

BAD_PROGRAMS = [
    ("BEGIN { x = ; }", 'syntax error near ";"'),
    ("BEGIN { trace(1); ", "syntax error near end of input"),
    ("BEGIN { trace(1); } }", 'syntax error near "}"'),
    ("BEGIN { nosuchfunc(1); }", "failed to resolve nosuchfunc: Unknown function name"),
    ("foo:bar:baz:qux:quux { }", 'invalid probe description "foo:bar:baz:qux:quux": '
     "Overspecified probe description"),
    ('BEGIN { x = "a" + 1; }', "operator + requires operands of arithmetic type"),
    ("BEGIN { trace(y); }", "failed to resolve y: Unknown variable name"),
    ("nosuch:::probe { }", "probe description nosuch:::probe does not match any probes"),
]


@pytest.mark.parametrize(("program", "message"), BAD_PROGRAMS)
def test_compile_error(program: str, message: str) -> None:
    proc = dtrace("-n", program)
    no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == f"dtrace: invalid probe specifier {program}: {message}\n"


# ---------------------------------------------------------------- (g) listing


def test_list_profile_probes() -> None:
    proc = dtrace("-l", "-n", "profile-*")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "   ID   PROVIDER            MODULE                          FUNCTION NAME"
    rows = [re.fullmatch(r"( *\d+) ( *profile) ( {17}) ( {33}) (profile-\d+)", line)
            for line in lines[1:]]
    assert rows and all(rows), lines
    assert all(len(m.group(1)) == 5 and len(m.group(2)) == 10 for m in rows if m)
    names = {m.group(5) for m in rows if m}
    assert "profile-997" in names
    assert not any(line.endswith(("BEGIN", "tick-1s")) for line in lines)


# ---------------------------------------------------------------- (h) options


def test_output_file_appends(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("before\n")
    for word in ("one", "two"):
        proc = dtrace("-q", "-o", str(out), "-n", f'BEGIN {{ printf("{word}\\n"); exit(0); }}')
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""
    assert out.read_text() == "before\none\n\ntwo\n\n"


def test_compile_only() -> None:
    proc = dtrace("-e", "-n", 'BEGIN { printf("never\\n"); exit(0); }')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "matched" not in proc.stderr


def test_disassembly() -> None:
    proc = dtrace("-S", "-qn", "BEGIN { exit(0); }")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "\n"
    assert "DIFO" in proc.stderr
    assert re.search(r"^ +\d+: .*exit$", proc.stderr, re.M)


def test_macro_operands() -> None:
    proc = dtrace("-qn", 'BEGIN { printf("%d %s %s\\n", $1 + 1, $$2, $$1); exit(0); }',
                  "41", "foo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "42 foo 41\n\n"


def test_macro_operand_errors() -> None:
    proc = dtrace("-qn", "BEGIN { trace($1); exit(0); }")
    assert proc.returncode == 1
    assert proc.stderr.endswith(": macro argument $1 is not defined\n")
    proc = dtrace("-qn", "BEGIN { exit(0); }", "extra")
    assert proc.returncode == 1
    assert proc.stderr.endswith(": extraneous argument 'extra' ($1 is not referenced)\n")


def test_quiet_from_environment() -> None:
    env = dict(os.environ, DTRACE_OPT_QUIET="1")
    proc = dtrace("-n", "BEGIN { trace(5); exit(0); }", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "5\n"
    assert proc.stderr == ""


def test_strsize() -> None:
    proc = dtrace("-q", "-x", "strsize=4", "-n", 'BEGIN { trace("abcdefgh"); exit(0); }')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "abc\n"  # 4 bytes including the NUL


def test_sigint_runs_end() -> None:
    proc = subprocess.Popen([*DTRACE, "-n", "tick-1s { trace(1); } END { trace(2) }"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = wait_for_line(proc, ":tick-1s")
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert first.endswith(":tick-1s         1\n")
    end_lines = [line for line in rest.split("\n") if ":END" in line]
    assert len(end_lines) == 1
    assert end_lines[0].endswith("                             :END         2")
    assert rest.endswith("2\n\n")
    assert "Traceback" not in err


def wait_for_line(proc: subprocess.Popen[str], needle: str) -> str:
    """Read stdout lines until one contains ``needle`` (tracing is then live)."""
    deadline = time.monotonic() + TIMEOUT_S
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"dtrace ended before printing {needle!r}")
        if needle in line:
            return line
    raise AssertionError(f"no {needle!r} within {TIMEOUT_S} s")
