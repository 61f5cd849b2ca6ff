"""Golden tests for the D printf engine (pydtrace.output.printf)."""

from __future__ import annotations

import pytest

from pydtrace.errors import DCompileError
from pydtrace.output.printf import ArgType, check_printf, format_printf, parse_format

INT = ArgType("int", 4, True, "int")
UINT = ArgType("int", 4, False, "unsigned int")
CHAR = ArgType("int", 1, True, "char")
SHORT = ArgType("int", 2, True, "short")
LONG = ArgType("int", 8, True, "long")
ULONG = ArgType("int", 8, False, "uint64_t")
STR = ArgType("string", 256, False, "string")
PTR = ArgType("ptr", 8, False, "void *")
DBL = ArgType("float", 8, True, "double")


def pf(fmt: str, args: list[ArgType], vals: list[object]) -> str:
    items = check_printf("printf", fmt, args)
    return format_printf(items, args, vals)


def test_acceptance() -> None:
    out = pf("%d %s %5.2s|%-4d|%x\n", [INT, STR, STR, INT, INT], [7, "abc", "xyz", 7, 255])
    assert out == "7 abc    xy|7   |ff\n"


@pytest.mark.parametrize(("fmt", "arg", "val", "want"), [
    ("%d", INT, -1, "-1"),
    ("%d", LONG, -5, "-5"),
    ("%d", UINT, -1, "4294967295"),
    ("%d", CHAR, -1, "255"),          # illumos prints 1/2-byte %d zero-extended
    ("%i", CHAR, -1, "-1"),
    ("%u", INT, -1, "4294967295"),
    ("%u", LONG, -1, "18446744073709551615"),
    ("%x", INT, -1, "ffffffff"),
    ("%X", LONG, 255, "FF"),
    ("%#x", INT, 255, "0xff"),
    ("%#x", INT, 0, "0"),
    ("%o", INT, 8, "10"),
    ("%#o", INT, 8, "010"),
    ("%08.3d", INT, 5, "     005"),
    ("%-6d|", INT, 42, "42    |"),
    ("%+d", INT, 42, "+42"),
    ("% d", INT, 42, " 42"),
    ("%05d", INT, -42, "-0042"),
    ("%-05d|", INT, 42, "00042|"),     # dtrace: a later '0' flag cancels '-'
    ("%0-5d|", INT, 42, "42   |"),
    ("%'d", INT, 1234567, "1234567"),  # C locale: no grouping
    ("%c", INT, 65, "A"),
    ("%p", PTR, 0xFFFF0000, "ffff0000"),
    ("%#p", PTR, 0x1234, "0x1234"),
    ("%?p|", PTR, 0x10, "              10|"),
    ("%lld", LONG, -3, "-3"),
    ("%s", STR, b"hello\0junk", "hello"),
    ("%.3s", STR, "abcdef", "abc"),
    ("%10s|", STR, "ab", "        ab|"),
    ("%-10s|", STR, "ab", "ab        |"),
    ("%S", STR, "a\tb\"\x01", 'a\\tb\\"\\001'),
    ("%C", INT, 10, "\\n"),
    ("%f", DBL, 1.5, "1.500000"),
    ("%.2e", DBL, 12345.678, "1.23e+04"),
    ("%G", DBL, 0.0001, "0.0001"),
    ("%.0f", DBL, 2.25, "2.250000"),   # a precision of 0 counts as not given
    ("%5.1f|", DBL, 3.14159, "  3.1|"),
])
def test_conversions(fmt: str, arg: ArgType, val: object, want: str) -> None:
    assert pf(fmt, [arg], [val]) == want


def test_percent_and_literals() -> None:
    assert pf("100%% done\n", [], []) == "100% done\n"


def test_dynamic_width_and_precision() -> None:
    assert pf("[%*d]", [INT, INT], [5, 42]) == "[   42]"
    assert pf("[%*d]", [INT, INT], [-5, 42]) == "[42   ]"
    assert pf("[%.*s]", [INT, STR], [2, "abcdef"]) == "[ab]"
    assert pf("[%*.*s]", [INT, INT, STR], [6, 3, "abcdef"]) == "[   abc]"
    assert pf("[%.*s]", [INT, STR], [0, "abc"]) == "[abc]"


def test_symbol_and_time_conversions() -> None:
    from pydtrace.output.printf import Options, compile_printf
    items = check_printf("printf", "%a %A", [PTR, ArgType("usymaddr", 16, False, "_usymaddr")])
    f = compile_printf(items, [PTR, ArgType("usymaddr", 16, False, "_usymaddr")],
                       Options(sym=lambda a: f"genunix`foo+0x{a & 0xf:x}",
                               usym=lambda a: "libc.so.1`bar"))
    assert f([0x1004, 7]) == "genunix`foo+0x4 libc.so.1`bar"


def test_Y_format(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        ns = 1090329992 * 10**9  # 2004-07-20 13:26:32 UTC
        assert pf("%Y", [LONG], [ns]) == "2004 Jul 20 13:26:32"
        assert pf("%Y", [LONG], [86400 * 10**9 * 2]) == "1970 Jan  3 00:00:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_stack_conversion() -> None:
    st = ArgType("stack", 160, False, "stack")
    assert pf("%k", [st], [["a`b", "c`d+0x4"]]) == "\na`b\nc`d+0x4\n"
    assert pf("%-4k", [st], [["a`b"]]) == "\n    a`b\n"


@pytest.mark.parametrize(("fmt", "msg"), [
    ("%y", "format conversion #1 is undefined: %y"),
    ("a %d %1$d", "format conversion #2 uses unsupported positional format (%n$)"),
    ("%..2d", "format conversion #1 has more than one '.' specified"),
    ("%**d", "format conversion #1 has more than one '*' specified for the output width"),
    ("%5%", "format conversion #1 cannot be combined with other format flags: %%"),
    ("%", "format conversion #1 name expected before end of format string"),
    ("%hhd", "format conversion #1 is undefined: %hhd"),
])
def test_parse_errors(fmt: str, msg: str) -> None:
    with pytest.raises(DCompileError) as ei:
        parse_format(fmt)
    assert ei.value.tag == "D_PRINTF_ARG_FMT"
    assert ei.value.message == msg


def test_check_errors() -> None:
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%d %d", [INT])
    assert ei.value.tag == "D_PRINTF_ARG_PROTO"
    assert ei.value.message == ("printf( ) prototype mismatch: conversion #2 (%d) is "
                                "missing a corresponding value argument")
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%d", [INT, INT])
    assert ei.value.tag == "D_PRINTF_ARG_EXTRA"
    assert ei.value.message == ("printf( ) prototype mismatch: only 1 arguments required "
                                "by this format string")
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%d", [STR])
    assert ei.value.tag == "D_PRINTF_ARG_TYPE"
    assert ei.value.message == (
        "printf( ) argument #2 is incompatible with conversion #1 prototype:\n"
        "\tconversion: %d\n\t prototype: char, short, int, long, or long long\n"
        "\t  argument: string")
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "", [])
    assert (ei.value.tag, ei.value.message) == ("D_PRINTF_FMT_EMPTY",
                                                "printf( ) format string is empty")
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%@d", [INT])
    assert ei.value.tag == "D_PRINTF_AGG_CONV"
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%*d", [STR, INT])
    assert ei.value.tag == "D_PRINTF_DYN_TYPE"
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%s", [INT])
    assert "prototype: char [] or string (or use stringof)" in ei.value.message
    with pytest.raises(DCompileError) as ei:
        check_printf("printf", "%c", [LONG])
    assert "prototype: char, short, or int" in ei.value.message


def test_printa_check_allows_missing_keys() -> None:
    items = check_printf("printa", "%s %@d\n", [STR, INT], printa=True)
    assert [i for i in items if not isinstance(i, str)][1].agg


def test_parse_structure() -> None:
    items = parse_format("x=%0-8.3lld!")
    assert items[0] == "x="
    c = items[1]
    assert not isinstance(c, str)
    assert (c.flags, c.width, c.prec, c.size, c.conv, c.text) == ("-", 8, 3, "ll", "d",
                                                                   "%0-8.3lld")
    assert items[2] == "!"
