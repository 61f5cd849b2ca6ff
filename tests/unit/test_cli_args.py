"""dtrace(1) argv parsing and the exit codes of cli.main (driver faked)."""

from __future__ import annotations

import random
import sys
import types
from pathlib import Path

import pytest

import pydtrace
from pydtrace import cli
from pydtrace.errors import DTraceError
from pydtrace.invocation import (
    ArgvError,
    Invocation,
    ProgramSpec,
    parse_argv,
    parse_pid,
    scan_argv,
    split_command,
)

NS = 1_000_000_000


class FakeDriver:
    """Stands in for pydtrace.driver: records invocations, returns a set status."""

    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.calls: list[Invocation] = []

    def run(self, invocation: Invocation) -> int:
        self.calls.append(invocation)
        return self.status


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> FakeDriver:
    fake = FakeDriver()
    module = types.ModuleType("pydtrace.driver")
    module.run = fake.run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pydtrace.driver", module)
    monkeypatch.setattr(pydtrace, "driver", module, raising=False)
    return fake


def parse(*args: str) -> Invocation:
    return parse_argv(list(args), environ={})


# ---------------------------------------------------------------- getopt


def test_scan_clusters_and_attached_arguments() -> None:
    opts, operands = scan_argv(["-qn", "BEGIN{}", "-xquiet", "-x", "bufsize=8m", "-qs", "f.d"])
    assert opts == [("q", None), ("n", "BEGIN{}"), ("x", "quiet"), ("x", "bufsize=8m"),
                    ("q", None), ("s", "f.d")]
    assert operands == []


def test_scan_options_after_operands_and_double_dash() -> None:
    opts, operands = scan_argv(["-n", "BEGIN", "one", "-q", "two", "--", "-w", "three"])
    assert opts == [("n", "BEGIN"), ("q", None)]
    assert operands == ["one", "two", "-w", "three"]


def test_scan_argument_may_start_with_dash() -> None:
    opts, _ = scan_argv(["-n", "-x"])
    assert opts == [("n", "-x")]


def test_scan_lone_dash_is_an_operand() -> None:
    assert scan_argv(["-", "-q"]) == ([("q", None)], ["-"])


@pytest.mark.parametrize(("args", "message"), [
    (["-k"], "illegal option -- k"),
    (["-qk"], "illegal option -- k"),
    (["-:"], "illegal option -- :"),
    (["-n"], "option requires an argument -- n"),
    (["-q", "-x"], "option requires an argument -- x"),
])
def test_scan_errors(args: list[str], message: str) -> None:
    with pytest.raises(ArgvError) as info:
        scan_argv(args)
    assert info.value.message == message
    assert info.value.show_usage


# ---------------------------------------------------------------- invocation


def test_programs_in_command_line_order(tmp_path: Path) -> None:
    script = tmp_path / "a.d"
    script.write_text("BEGIN { exit(0); }\n")
    inv = parse("-n", "syscall::read:entry /pid == 1/ { @ = count(); }", "-s", str(script),
                "-P", "profile", "-m", "mod", "-f", "vfs_read", "-i", "42{}")
    assert inv.programs == [
        ProgramSpec("n", "syscall::read:entry /pid == 1/ { @ = count(); }",
                    "syscall::read:entry "),
        ProgramSpec("s", "BEGIN { exit(0); }\n", str(script)),
        ProgramSpec("P", "profile", "profile"),
        ProgramSpec("m", "mod", "mod"),
        ProgramSpec("f", "vfs_read", "vfs_read"),
        ProgramSpec("i", "42{}", "42"),
    ]
    assert [p.desc for p in inv.programs[:2]] == ["description", "script"]
    assert inv.mode == "run"


def test_flags_map_to_options() -> None:
    inv = parse("-qFwZCH", "-b", "16k", "-D", "X=1", "-U", "Y", "-I", "/inc", "-L", "/lib",
                "-X", "s", "-a", "-n", "BEGIN")
    opts = inv.options
    assert opts["quiet"] is True
    assert opts["flowindent"] is True
    assert opts["destructive"] is True
    assert opts["zdefs"] is True
    assert opts["cpp"] is True
    assert opts["cpphdrs"] is True
    assert opts["bufsize"] == 16 << 10
    assert opts["define"] == ("X=1",)
    assert opts["undef"] == ("Y",)
    assert opts["incdir"] == ("/inc",)
    assert opts["libdir"] == ("/lib",)
    assert opts["stdc"] == "s"
    assert opts["grabanon"] is True


def test_x_forms() -> None:
    inv = parse("-xquiet", "-x", "switchrate=10hz", "-x", "flowindent=", "-xaggsortkey=yes",
                "-n", "BEGIN")
    assert inv.options["quiet"] is True
    assert inv.options["switchrate"] == NS // 10
    assert inv.options["flowindent"] is False
    assert inv.options["aggsortkey"] is True


def test_command_line_overrides_environment() -> None:
    inv = parse_argv(["-x", "bufsize=1m", "-n", "BEGIN"],
                     environ={"DTRACE_OPT_BUFSIZE": "2m", "DTRACE_OPT_QUIET": ""})
    assert inv.options["bufsize"] == 1 << 20
    assert inv.options["quiet"] is True


def test_operands_and_macro_args(tmp_path: Path) -> None:
    script = tmp_path / "s.d"
    script.write_text("BEGIN { trace($1); }")
    inv = parse_argv(["-s", str(script), "42", "-q", "foo"], argv0="/usr/sbin/dtrace",
                     environ={})
    assert inv.operands == ["42", "foo"]
    assert inv.options["quiet"] is True
    assert inv.macro_args(inv.programs[0]) == [str(script), "42", "foo"]
    assert inv.argv0 == "/usr/sbin/dtrace"
    n_inv = parse_argv(["-n", "BEGIN", "x"], argv0="/usr/sbin/dtrace", environ={})
    assert n_inv.macro_args(n_inv.programs[0]) == ["/usr/sbin/dtrace", "x"]


def test_modes() -> None:
    assert parse("-l").mode == "list"
    assert parse("-l").options["zdefs"] is True  # -l implies -Z
    assert parse("-e", "-n", "BEGIN").mode == "compile"
    assert parse("-V").mode == "version"
    assert parse("-A", "-n", "BEGIN").mode == "anon"
    assert parse("-A", "-n", "BEGIN").options["linkmode"] == "primary"


def test_object_mode_takes_operands_as_objects() -> None:
    inv = parse("-G", "-n", "BEGIN", "a.o", "b.o")
    assert inv.mode == "object"
    assert inv.objects == ["a.o", "b.o"]
    assert inv.operands == []
    assert inv.options["linkmode"] == "dynamic"
    assert inv.options["unodefs"] is True
    assert inv.options["zdefs"] is True


def test_header_mode_output_name(tmp_path: Path) -> None:
    script = tmp_path / "prov.d"
    script.write_text("provider p { probe x(); };")
    inv = parse("-h", "-s", str(script))
    assert inv.mode == "header"
    assert inv.output_path == "prov.h"
    assert parse("-h", "-s", str(script), "-o", "/tmp/x.h").output_path == "/tmp/x.h"


@pytest.mark.parametrize(("args", "message"), [
    (["-h", "-n", "BEGIN"], "-h requires an output file if no scripts are specified"),
    (["-h", "-n", "a", "-n", "b"], "-h requires an output file if multiple scripts are specified"),
    (["-h"], "-h requires one or more scripts or enabling options"),
    (["-G"], "-G requires one or more scripts or enabling options"),
    (["-l", "-V"], "only one of the [-AGhlV] options can be specified at a time"),
    (["-l", "-l"], "only one of the [-AGhlV] options can be specified at a time"),
    (["-B", "-l"], "-B not valid in combination with [-AGl] options"),
    (["-B", "-o", "f", "-n", "BEGIN"], "-B not valid in combination with -o option"),
])
def test_usage_errors_without_usage_text(args: list[str], message: str) -> None:
    with pytest.raises(ArgvError) as info:
        parse(*args)
    assert info.value.message == message
    assert not info.value.show_usage


def test_data_model() -> None:
    assert parse("-32", "-n", "BEGIN").data_model == 32
    assert parse("-64", "-n", "BEGIN").data_model == 64
    with pytest.raises(ArgvError) as info:
        parse("-33", "-n", "BEGIN")
    assert info.value.message == "illegal option -- 33"


def test_processes() -> None:
    inv = parse("-c", "ls -l /tmp", "-p", "123", "-n", "BEGIN")
    assert inv.commands == ["ls -l /tmp"]
    assert inv.pids == [123]
    assert inv.processes == [("c", "ls -l /tmp"), ("p", "123")]
    assert split_command("ls  -l\t/tmp") == ["ls", "-l", "/tmp"]


@pytest.mark.parametrize("text", ["abc", "12x", "", "1.5", "99999999999999999999"])
def test_bad_pid(text: str) -> None:
    with pytest.raises(DTraceError) as info:
        parse_pid(text)
    assert info.value.message == f"invalid pid: {text}"
    assert not isinstance(info.value, ArgvError)


def test_missing_script_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.d"
    with pytest.raises(DTraceError) as info:
        parse("-s", str(missing))
    assert info.value.message == f"failed to open {missing}: No such file or directory"


def test_verbose_and_disasm() -> None:
    inv = parse("-vS", "-o", "out.txt", "-n", "BEGIN")
    assert inv.verbose and inv.disasm
    assert inv.output_path == "out.txt"
    assert parse("-xverbose", "-n", "BEGIN").disasm is True
    assert parse("-n", "BEGIN").disasm is False


# ---------------------------------------------------------------- cli.main


def test_main_runs_driver(driver: FakeDriver) -> None:
    driver.status = 3
    assert cli.main(["-qn", "BEGIN { exit(3); }"]) == 3
    (inv,) = driver.calls
    assert inv.programs == [ProgramSpec("n", "BEGIN { exit(3); }", "BEGIN ")]
    assert inv.options["quiet"] is True


def test_main_no_arguments_prints_usage(driver: FakeDriver,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: dtrace [-32|-64] [-aACeFGhHlqSvVwZ] [-b bufsz]")
    assert "\t-n  " in err and "\t-Z  " in err
    assert driver.calls == []


def test_main_illegal_option(driver: FakeDriver, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-k"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dtrace: illegal option -- k\nUsage: dtrace ")


def test_main_exclusive_modes(driver: FakeDriver, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-l", "-G", "-n", "BEGIN"]) == 2
    assert capsys.readouterr().err == (
        "dtrace: only one of the [-AGhlV] options can be specified at a time\n")


def test_main_version(driver: FakeDriver, capsys: pytest.CaptureFixture[str]) -> None:
    # dtrace settles -V before it looks at option values.
    assert cli.main(["-V", "-x", "nonesuch"]) == 0
    out = capsys.readouterr()
    assert out.out == "dtrace: Oracle D 2.0\n"
    assert out.err == ""
    assert driver.calls == []


@pytest.mark.parametrize(("args", "message"), [
    (["-x", "nonesuch", "-n", "BEGIN"], "failed to set -x nonesuch: Invalid option name"),
    (["-x", "bufsize=4q", "-n", "BEGIN"],
     "failed to set -x bufsize: Invalid value for specified option"),
    (["-b", "lots", "-n", "BEGIN"], "failed to set -b lots: Invalid value for specified option"),
    (["-X", "q", "-n", "BEGIN"], "failed to set -X q: Invalid value for specified option"),
    (["-p", "abc", "-n", "BEGIN"], "invalid pid: abc"),
    (["-s", "/nonexistent/x.d"], "failed to open /nonexistent/x.d: No such file or directory"),
])
def test_main_fatal_errors(driver: FakeDriver, capsys: pytest.CaptureFixture[str],
                           args: list[str], message: str) -> None:
    assert cli.main(args) == 1
    assert capsys.readouterr().err == f"dtrace: {message}\n"
    assert driver.calls == []


def test_main_driver_errors(monkeypatch: pytest.MonkeyPatch, driver: FakeDriver,
                            capsys: pytest.CaptureFixture[str]) -> None:
    def fail(_inv: Invocation) -> int:
        raise DTraceError("no probes specified")

    monkeypatch.setattr(sys.modules["pydtrace.driver"], "run", fail)
    assert cli.main(["-n", "BEGIN"]) == 1
    assert capsys.readouterr().err == "dtrace: no probes specified\n"


def test_main_interrupt_and_internal_error(monkeypatch: pytest.MonkeyPatch, driver: FakeDriver,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(_inv: Invocation) -> int:
        raise KeyboardInterrupt

    def broken(_inv: Invocation) -> int:
        raise RuntimeError("boom")

    monkeypatch.delenv("PYDTRACE_DEBUG", raising=False)
    monkeypatch.setattr(sys.modules["pydtrace.driver"], "run", interrupted)
    assert cli.main(["-n", "BEGIN"]) == 1
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.modules["pydtrace.driver"], "run", broken)
    assert cli.main(["-n", "BEGIN"]) == 1
    err = capsys.readouterr().err
    assert err == "dtrace: internal error: RuntimeError: boom\n"
    assert "Traceback" not in err


_FUZZ_WORDS = [
    "-", "--", "-q", "-n", "-s", "-x", "-xquiet", "-x=", "-xbufsize=", "-b", "-b0", "-p",
    "-p1", "-c", "-32", "-64", "-3", "-6", "-l", "-G", "-h", "-V", "-A", "-B", "-o", "-e",
    "-qn", "-qs", "-lv", "-Zw", "-k", "-?", "-:", "BEGIN", "BEGIN{exit(0);}", "", " ", "=",
    "quiet", "bufsize=4m", "switchrate=hz", "a.d", "/nonexistent", "-\udcff", "\x00", "ü",
    "-X", "-Xa", "-D", "-U", "-I", "-L", "-P", "-m", "-f", "-i", "123", "-1", "-x\x00",
]


def test_fuzz_argv_never_raises(driver: FakeDriver, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(1234)
    for _ in range(3000):
        argv = [rng.choice(_FUZZ_WORDS) for _ in range(rng.randint(0, 7))]
        status = cli.main(argv)
        assert status in (0, 1, 2), argv
        err = capsys.readouterr().err
        assert "Traceback" not in err and "internal error" not in err, (argv, err)
