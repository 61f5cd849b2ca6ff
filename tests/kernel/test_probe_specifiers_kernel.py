"""Probe ids and unmatched descriptions on the dtrace command line, end to end.

Expected outputs follow dtrace(1): ``-i`` compiles like ``-n``; a leading digit
run is a probe id (``2-2`` is id 2 then the name ``-2``); an id that names no
probe is ``invalid probe identifier N: Unknown probe identifier`` even under
``-l``; ``-l`` lists each description's matches in order and reports a
description that matches nothing with ``failed to match P:M:F:N: No probe
matches description``, exit status 0.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

DTRACE = [sys.executable, "-m", "pydtrace"]
HEADER = "   ID   PROVIDER            MODULE                          FUNCTION NAME\n"
BEGIN_ROW = "    1     dtrace                                                     BEGIN\n"
END_ROW = "    2     dtrace                                                     END\n"
NO_ID = 4000000000  # fits a probe id, names no probe


def dtrace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DTRACE, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def result(proc: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return proc.returncode, proc.stdout, proc.stderr


def failed(desc: str) -> str:
    return f"dtrace: failed to match {desc}: No probe matches description\n"


def test_list_header_alone_for_unmatched_descriptions():
    for flag, desc in (("-P", "nosuch:::"), ("-m", ":nosuch::"), ("-f", "::nosuch:"),
                       ("-n", ":::nosuch"), ("-i", ":::nosuch")):
        assert result(dtrace("-l", flag, "nosuch")) == (0, HEADER, failed(desc)), flag


def test_list_ids():
    assert result(dtrace("-l", "-i", "1")) == (0, HEADER + BEGIN_ROW, "")
    assert result(dtrace("-l", "-i", "2-2")) == (0, HEADER + END_ROW, failed(":::-2"))
    assert result(dtrace("-l", "-i", "-3")) == (0, HEADER, failed(":::-3"))
    assert result(dtrace("-l", "-n", ":::1")) == (0, HEADER, failed(":::1"))
    for arg in ("0", str(NO_ID)):
        assert result(dtrace("-l", "-i", arg)) == (
            1, "", f"dtrace: invalid probe specifier {arg}: invalid probe identifier "
                   f"{arg}: Unknown probe identifier\n")


def test_list_follows_descriptions_in_order():
    assert result(dtrace("-l", "-n", "END,BEGIN")) == (0, HEADER + END_ROW + BEGIN_ROW, "")
    assert result(dtrace("-l", "-n", "BEGIN END")) == (0, HEADER + BEGIN_ROW + END_ROW, "")
    # list_stmt lists per description: a probe matched twice is listed twice
    assert result(dtrace("-l", "-n", "1:::BEGIN")) == (0, HEADER + BEGIN_ROW * 2, "")
    assert result(dtrace("-l", "-n", "BEGIN,nosuch", "-n", "BEGIN")) == (
        0, HEADER + BEGIN_ROW + BEGIN_ROW, failed(":::nosuch"))


@pytest.mark.parametrize(("args", "message"), [
    (("-i", "0"), "invalid probe specifier 0: invalid probe identifier 0: "
                  "Unknown probe identifier"),
    (("-i", "0-2"), "invalid probe specifier 0-2: invalid probe identifier 0: "
                    "Unknown probe identifier"),
    (("-i", "4-2"), "invalid probe specifier 4-2: probe description :::-2 does not match "
                    "any probes"),
    (("-i", "i23"), "invalid probe specifier i23: probe description :::i23 does not "
                    "match any probes"),
    (("-Z", "-i", str(NO_ID)), f"invalid probe specifier {NO_ID}: invalid probe "
                               f"identifier {NO_ID}: Unknown probe identifier"),
    (("-e", "-P", "nosuch"), "invalid probe specifier nosuch: probe description nosuch::: "
                             "does not match any probes"),
    (("-e", "-n", ":::1"), "invalid probe specifier :::1: probe description :::1 does not "
                           "match any probes"),
])
def test_enable_errors(args, message):
    assert result(dtrace(*args)) == (1, "", f"dtrace: {message}\n")


def test_ids_enable_their_probe(tmp_path):
    proc = dtrace("-e", "-n", "2:::entry", "-i", "3")
    assert result(proc) == (0, "", "")
    proc = dtrace("-n", '1 { printf("id %d\\n", id); exit(0); }')
    assert (proc.returncode, proc.stderr) == (0, "dtrace: description '1 ' matched 1 probe\n")
    lines = proc.stdout.splitlines()
    assert lines[0] == "CPU     ID                    FUNCTION:NAME"
    assert lines[1].split()[1:] == ["1", ":BEGIN", "id", "1"]
    script = tmp_path / "ids.d"
    script.write_text('1\n{\n\tprintf("%d\\n", id);\n\texit(0);\n}\n')
    assert result(dtrace("-qs", str(script))) == (0, "1\n\n", "")
    script.write_text("BEGIN\n{\n}\n0\n{\n}\n")
    assert result(dtrace("-qs", str(script))) == (
        1, "", f"dtrace: failed to compile script {script}: line 4: invalid probe "
               "identifier 0: Unknown probe identifier\n")


def test_whitespace_separated_descriptions_are_clauses():
    proc = dtrace("-n", "BEGIN END", "-n", "BEGIN { exit(0); }")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ("dtrace: description 'BEGIN END' matched 2 probes\n"
                           "dtrace: description 'BEGIN ' matched 1 probe\n")
    lines = proc.stdout.splitlines()
    assert [line.split()[1:] for line in lines[1:4]] == [["1", ":BEGIN"], ["1", ":BEGIN"],
                                                        ["2", ":END"]]
