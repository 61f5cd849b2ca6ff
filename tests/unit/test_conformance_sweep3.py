"""Conformance fixes from a sweep of built-in variable, proc and sched behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from pydtrace import cli


def compile_err(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str) -> str:
    path = tmp_path / "t.d"
    path.write_text(program)
    assert cli.main(["-x", "errtags", "-e", "-s", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    return err


def test_args_without_index_is_a_bad_reference(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    err = compile_err(tmp_path, capsys, "BEGIN\n{\n\ttrace(args);\n}\n")
    assert err.endswith("[D_IDENT_BADREF] line 3: array 'args' may not be referenced as "
                        "scalar\n"), err


def test_cld_codes_come_from_the_signal_library() -> None:
    from importlib import resources

    from pydtrace.sema.kernel import dlib_for

    assert dlib_for("CLD_KILLED") == "signal"
    text = resources.files("pydtrace.dlib").joinpath("signal.d").read_text()
    for name, value in (("CLD_EXITED", 1), ("CLD_KILLED", 2), ("CLD_DUMPED", 3)):
        assert f"inline int {name} = {value};" in text


def test_cld_killed_compiles_in_proc_exit_predicate(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.d"
    path.write_text("BEGIN\n/CLD_KILLED == 2 && CLD_EXITED == 1/\n{\n\texit(0);\n}\n")
    assert cli.main(["-e", "-s", str(path)]) == 0, capsys.readouterr().err


def test_sched_arguments_are_evolving() -> None:
    from pydtrace.stability import ARG_ATTRS

    assert ARG_ATTRS["sched"] == ("Evolving", "Evolving", "ISA")


@pytest.mark.parametrize(("value", "reason"), [
    ("99.1", "Requested version is not supported by compiler"),
    ("2.0.1", "Requested version is not supported by compiler"),
    ("abc", "Version is not properly formatted or is too large"),
    ("1.5000", "Version is not properly formatted or is too large"),
])
def test_bad_version_option(value: str, reason: str) -> None:
    from pydtrace.options import OptionError, Options

    with pytest.raises(OptionError) as info:
        Options().set("version", value)
    assert str(info.value) == f"failed to set -x version: {reason}"


def test_good_version_options() -> None:
    from pydtrace.options import Options

    for value in ("1.0", "1.6.3", "2.0"):
        Options().set("version", value)


def test_pragma_option_reports_the_real_reason(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    err = compile_err(tmp_path, capsys, "#pragma D option bufsize=-1\nBEGIN\n{\n}\n")
    assert err.endswith("[D_PRAGMA_OPTSET] line 1: failed to set option 'bufsize' to '-1': "
                        "Invalid value for specified option\n"), err
