"""Probe specifiers on the command line and in scripts, as dtrace's lexer reads them.

Facts relied on (illumos and Oracle libdtrace): in the outer lexer state a
description token must start with ``[-$:a-zA-Z_.?*\\[]!]``, so a leading digit
run is an integer token, i.e. a probe id (``123:::entry`` is id 123 followed by
the description ``:::entry``, ``2-2`` is id 2 then ``-2``). A list of
descriptions without actions may be followed by another description in a
string program (``-n 'BEGIN END'`` is two clauses); in a file it is an error.
dtrace(1) compiles ``-i`` like ``-n`` (DTRACE_PROBESPEC_NAME), and an id is
refused when a provider, module or function is being specified.
"""

from __future__ import annotations

import pytest

from pydtrace import cli
from pydtrace.errors import DCompileError
from pydtrace.lang.parser import parse_program


def descs(text: str, kind: str) -> list[list[tuple[str, str, str, str, str]]]:
    prog = parse_program(text, kind=kind)
    return [[(d.text, d.provider, d.module, d.function, d.name) for d in c.descs]
            for c in prog.clauses]


def error(text: str, kind: str) -> tuple[str, str]:
    with pytest.raises(DCompileError) as info:
        parse_program(text, kind=kind)
    return info.value.tag, info.value.message


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("kind", ["n", "i", "s"])
def test_leading_digits_are_a_probe_id_then_a_description(kind):
    text = "123:::entry" if kind != "s" else "123:::entry {}"
    if kind == "s":  # a file may not leave a description without actions
        assert error(text, kind) == (
            "D_SYNTAX", "expected predicate and/or actions following probe description")
        return
    assert descs(text, kind) == [[("123", "", "", "", "")],
                                 [(":::entry", "", "", "", "entry")]]


def test_id_forms():
    assert descs("2-2", "i") == [[("2", "", "", "", "")], [("-2", "", "", "", "-2")]]
    assert descs("0x10,BEGIN", "n") == [[("16", "", "", "", ""),
                                         ("BEGIN", "", "", "", "BEGIN")]]
    assert descs("4294967295", "n") == [[("4294967295", "", "", "", "")]]
    assert descs("1 { }\n2\n{ }", "s") == [[("1", "", "", "", "")], [("2", "", "", "", "")]]
    # only a leading digit makes an id: these are names
    assert descs(":::123", "n") == [[(":::123", "", "", "", "123")]]
    assert descs("-3", "i") == [[("-3", "", "", "", "-3")]]
    assert descs("i23", "i") == [[("i23", "", "", "", "i23")]]


def test_id_errors():
    assert error("4294967296", "n") == (
        "D_PDESC_INVAL", "identifier 4294967296 exceeds maximum probe id")
    assert error("123", "P") == (
        "D_PDESC_INVAL", "probe identifier 123 not permitted when specifying providers")
    assert error("5 /1/ { }", "m") == (
        "D_PDESC_INVAL", "probe identifier 5 not permitted when specifying modules")
    assert error("syscall::read,7", "f") == (
        "D_PDESC_INVAL", "probe identifier 7 not permitted when specifying functions")
    assert error("09", "n") == ("D_INT_DIGIT", "constant 09 contains invalid digit 9")


def test_i_takes_descriptions_like_n():
    assert descs("syscall::read:entry", "i") == [
        [("syscall::read:entry", "syscall", "", "read", "entry")]]
    assert error("a:b:c:d:e", "i")[0] == "D_PDESC_INVAL"


def test_whitespace_separated_descriptions():
    assert descs("BEGIN END", "n") == [[("BEGIN", "", "", "", "BEGIN")],
                                       [("END", "", "", "", "END")]]
    prog = parse_program("BEGIN END { exit(0) }", kind="n")
    assert [c.body is None for c in prog.clauses] == [True, False]
    assert error("BEGIN END { }", "s") == (
        "D_SYNTAX", "expected predicate and/or actions following probe description")


@pytest.mark.parametrize(("args", "message"), [
    (("-e", "-P", "123"), "invalid probe specifier 123: probe identifier 123 not "
                          "permitted when specifying providers"),
    (("-e", "-m", "5"), "invalid probe specifier 5: probe identifier 5 not permitted "
                        "when specifying modules"),
    (("-e", "-f", "5{}"), "invalid probe specifier 5{}: probe identifier 5 not permitted "
                          "when specifying functions"),
    (("-e", "-n", "4294967296"), "invalid probe specifier 4294967296: identifier "
                                 "4294967296 exceeds maximum probe id"),
    (("-l", "-i", "4294967296"), "invalid probe specifier 4294967296: identifier "
                                 "4294967296 exceeds maximum probe id"),
    (("-l", "-P", "profile:::"), 'invalid probe specifier profile:::: invalid probe '
                                 'description "profile:::": Overspecified probe description'),
    (("-e", "-xerrtags", "-P", "1"), "invalid probe specifier 1: [D_PDESC_INVAL] probe "
                                     "identifier 1 not permitted when specifying providers"),
])
def test_cli_parse_errors(capsys, args, message):
    status, out, err = run(capsys, *args)
    assert (status, out, err) == (1, "", f"dtrace: {message}\n")


def test_script_id_error_names_the_line(capsys, tmp_path):
    script = tmp_path / "ids.d"
    script.write_text("BEGIN\n{\n}\n\n9999999999\n{\n}\n")
    status, _, err = run(capsys, "-e", "-s", str(script))
    assert (status, err) == (1, f"dtrace: failed to compile script {script}: line 5: "
                                "identifier 9999999999 exceeds maximum probe id\n")
