"""Compile errors through ``cli.main([... '-e' ...])``: no kernel needed.

``-e`` stops after compiling, so these run anywhere. With ``-x errtags``
every message carries its ``[D_TAG]``; the exit status is 1 and nothing
reaches stdout.
"""

from __future__ import annotations

import pytest

from pydtrace import cli

CASES = [
    ("D_SYNTAX", "BEGIN { x = ; }", 'syntax error near ";"'),
    ("D_SYNTAX", "BEGIN { trace(1); } }", 'syntax error near "}"'),
    ("D_SYNTAX", "BEGIN { exit(1.5); }", "floating-point constants are not permitted"),
    ("D_EMPTY", "", "empty D program translation unit"),
    ("D_IDENT_UNDEF", "BEGIN { trace(y); }", "failed to resolve y: Unknown variable name"),
    ("D_IDENT_UNDEF", "BEGIN /j/ { trace(1); }", "failed to resolve j: Unknown variable name"),
    ("D_FUNC_UNDEF", "BEGIN { nosuchfunc(); }",
     "failed to resolve nosuchfunc: Unknown function name"),
    ("D_OP_INCOMPAT", 'BEGIN { x = 1; x = "s"; }',
     'operands have incompatible types: "int" = "string"'),
    ("D_OP_ARITH", 'BEGIN { x = "a" + 1; }', "operator + requires operands of arithmetic type"),
    ("D_AGG_REDEF", "BEGIN { @a = count(); @a = sum(1); }", "aggregation redefined: @a"),
    ("D_AGG_SCALAR", 'BEGIN { @ = sum("x"); }', "sum( ) argument #1 must be of scalar type"),
    ("D_AGG_FUNC", "BEGIN { x = @a; }", None),
    ("D_KEY_TYPE", 'BEGIN { @a[1] = count(); @a["x"] = count(); }', None),
    ("D_PDESC_ZERO", "nosuch:::probe { }",
     "probe description nosuch:::probe does not match any probes"),
    ("D_PDESC_INVAL", "a:b:c:d:e { }", None),
    ("D_PRINTF_ARG_TYPE", 'BEGIN { printf("%d", "s"); }',
     "printf( ) argument #2 is incompatible with conversion #1 prototype:"),
    ("D_PRINTF_ARG_PROTO", 'BEGIN { printf("%d"); }',
     "conversion #1 (%d) is missing a corresponding value argument"),
    ("D_PRINTF_ARG_EXTRA", 'BEGIN { printf("%d", 1, 2); }', None),
    ("D_PRINTF_ARG_FMT", 'BEGIN { printf("%Q", 1); }', "format conversion #1 is undefined: %Q"),
    ("D_PRINTF_FMT_EMPTY", 'BEGIN { printf(""); }', None),
    ("D_PROTO_LEN", "BEGIN { trace(1, 2); }",
     "trace( ) prototype mismatch: 2 args passed, 1 expected"),
    ("D_PROTO_LEN", "BEGIN { @ = quantize(); }", None),
    ("D_DIV_ZERO", "BEGIN { x = 1 / 0; }", "expression contains division by zero"),
    ("D_DIV_ZERO", "BEGIN { x = 1 % 0; }", None),
    ("D_MACRO_UNDEF", "BEGIN { trace($1); }", "macro argument $1 is not defined"),
    ("D_LQUANT_MISMATCH", "BEGIN { @ = lquantize(1, 10, 5); }",
     "lquantize( ) base (argument #1) must be less than limit (argument #2)"),
    ("D_LQUANT_STEPTYPE", "BEGIN { @ = lquantize(1, 0, 10, 0); }", None),
    ("D_LQUANT_STEPLARGE", "BEGIN { @ = lquantize(1, 0, 10, 20); }", None),
    ("D_LQUANT_STEPSMALL", "BEGIN { @ = lquantize(1, 0, 100000, 1); }", None),
    ("D_LQUANT_BASETYPE", "BEGIN { x = 0; @ = lquantize(1, x, 10); }", None),
    ("D_LQUANT_LIMTYPE", "BEGIN { x = 0; @ = lquantize(1, 0, x); }", None),
    ("D_LLQUANT_FACTORSMALL", "BEGIN { @ = llquantize(1, 1, 0, 6, 20); }", None),
    ("D_TRUNC_AGGARG", "BEGIN { trunc(1); }", None),
    ("D_CLEAR_AGGARG", "BEGIN { clear(1); }", None),
]


def compile_only(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["-x", "errtags", "-e", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("tag", "program", "message"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_compile_error(capsys: pytest.CaptureFixture[str], tag: str, program: str,
                       message: str | None) -> None:
    status, out, err = compile_only(capsys, "-n", program)
    assert status == 1
    assert out == ""
    assert err.startswith(f"dtrace: invalid probe specifier {program}: [{tag}] "), err
    if message is not None:
        assert message in err
    assert "Traceback" not in err


def test_unused_operand(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = compile_only(capsys, "-n", "BEGIN { }", "extra")
    assert status == 1
    assert err == ("dtrace: invalid probe specifier BEGIN { }: [D_MACRO_UNUSED] "
                   "extraneous argument 'extra' ($1 is not referenced)\n")


def test_without_errtags_no_tag(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["-e", "-n", "BEGIN { x = ; }"])
    _, err = capsys.readouterr()
    assert status == 1
    assert err == 'dtrace: invalid probe specifier BEGIN { x = ; }: syntax error near ";"\n'


def test_script_error_has_line(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    script = tmp_path / "bad.d"
    script.write_text("BEGIN\n{\n\ttrace(1);\n\tx = ;\n}\n")
    status, _, err = compile_only(capsys, "-s", str(script))
    assert status == 1
    assert err == (f"dtrace: failed to compile script {script}: [D_SYNTAX] line 4: "
                   'syntax error near ";"\n')


def test_predicate_may_read_variable_set_in_actions(capsys: pytest.CaptureFixture[str]) -> None:
    """dt_cook_clause cooks actions before the predicate: this compiles."""
    status, out, err = compile_only(capsys, "-n", "BEGIN /i < 5/ { i++; }")
    assert (status, out, err) == (0, "", "")


def test_lquantize_redeclared_base(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = compile_only(capsys, "-n", "BEGIN { @ = lquantize(1, 0, 10); "
                             "@ = lquantize(1, 1, 10); }")
    assert "[D_LQUANT_MATCHBASE] lquantize( ) base (argument #1) doesn't match" in err


def test_aggregation_multi_dim(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = compile_only(capsys, "-n", "BEGIN { @a[1][2] = count(); }")
    assert "[D_AGG_MDIM]" in err
