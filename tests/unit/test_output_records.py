# ruff: noqa: UP031  -- %-formats deliberately mirror dtrace's C printf formats
"""Golden tests for trace()/probe-line/listing/drop formats (pydtrace.output.records)."""

from __future__ import annotations

import pytest

from pydtrace.output.records import (
    drop_message,
    flow_header,
    flow_prefix,
    format_stack,
    format_trace_bytes,
    format_trace_int,
    format_trace_string,
    header_line,
    hexdump,
    is_printable_string,
    listing_header,
    listing_row,
    probe_prefix,
)


@pytest.mark.parametrize(("value", "size", "quiet", "want"), [
    (-1, 1, False, " 255"),
    (-2, 2, False, " 65534"),
    (-1, 4, False, "       -1"),
    (-1, 8, False, "               -1"),
    (7, 8, False, "                7"),
    (-2, 1, True, "254"),          # tst.signedkeys: (char)-2 traces as 254
    (-2, 2, True, "65534"),
    (-2, 4, True, "-2"),
    (-2, 8, True, "-2"),
])
def test_trace_int(value: int, size: int, quiet: bool, want: str) -> None:
    assert format_trace_int(value, size, quiet) == want


def test_trace_strings() -> None:
    assert format_trace_string(b"hello\0\0\0", quiet=False) == "  hello" + " " * 28
    assert format_trace_string("hello", quiet=True) == "hello"
    assert format_trace_bytes(b"hi\0\0", quiet=False) == "  hi" + " " * 31
    assert format_trace_bytes(b"hi\0\0", quiet=True) == "hi"
    # no terminating NUL: illumos prints "  %-33s" even when quiet
    assert format_trace_bytes(b"abc", quiet=True) == "  abc" + " " * 30


def test_printable_rule() -> None:
    assert is_printable_string(b"ab\tc\0\0")
    assert is_printable_string(b"abc")
    assert not is_printable_string(b"\0abc")       # leading NUL: not a string
    assert not is_printable_string(b"ab\0c")       # data after the NUL
    assert not is_printable_string(b"\x01\x02")


HEXDUMP = (
    "\n"
    "             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n"
    "         0: 00 01 41 42 7f 80 ff 20 61 62 63 64 65 66 67 68  ..AB... abcdefgh\n"
    "        10: 69 0a                                            i.\n"
)


def test_hexdump() -> None:
    data = bytes([0, 1, 0x41, 0x42, 0x7F, 0x80, 0xFF, 0x20]) + b"abcdefghi\n"
    assert hexdump(data) == HEXDUMP
    assert format_trace_bytes(data, quiet=True) == HEXDUMP
    assert format_trace_bytes(b"abc\0", quiet=False, rawbytes=True).startswith("\n      ")


def test_probe_lines() -> None:
    assert header_line() == "CPU     ID                    FUNCTION:NAME\n"
    assert probe_prefix(0, 1, "", "BEGIN") == "  0      1                           :BEGIN "
    assert flow_header() == "CPU FUNCTION                                 \n"
    assert flow_prefix(1, 2, "entry", "read", "entry", "fbt") == \
        "  1 " + "   -> read".ljust(41) + " "
    assert flow_prefix(0, 0, "return", "read", "return", "syscall") == \
        "  0 " + " <= read".ljust(41) + " "
    assert flow_prefix(0, 0, "none", "f", "tick", "sdt") == "%3d %-41s " % (0, "| f:tick")


def test_listing() -> None:
    assert listing_header() == ("   ID   PROVIDER            MODULE"
                                "                          FUNCTION NAME\n")
    assert listing_row(1, "dtrace", "", "", "BEGIN") == \
        "    1     dtrace                                                     BEGIN\n"


def test_stack() -> None:
    assert format_stack(["genunix`f+0x1c", "unix`0x1234"]) == \
        "\n              genunix`f+0x1c\n              unix`0x1234\n"


@pytest.mark.parametrize(("kind", "count", "cpu", "tags", "want"), [
    ("principal", 1, 0, False, "1 drop on CPU 0\n"),
    ("principal", 12, 3, False, "12 drops on CPU 3\n"),
    ("aggregation", 2, 1, False, "2 aggregation drops on CPU 1\n"),
    ("dynamic", 1, None, False, "1 dynamic variable drop\n"),
    ("dynrinse", 5, None, False, "5 dynamic variable drops with non-empty rinsing list\n"),
    ("dyndirty", 1, None, False, "1 dynamic variable drop with non-empty dirty list\n"),
    ("spec", 3, None, False, "3 speculative drops\n"),
    ("specbusy", 2, None, False,
     "2 failed speculations (available buffer(s) still busy)\n"),
    ("specunavail", 1, None, False,
     "1 failed speculation (no speculative buffer available)\n"),
    ("stkstroverflow", 2, None, False, "2 jstack()/ustack() string table overflows\n"),
    ("dblerror", 1, None, False, "1 error in ERROR probe enabling\n"),
    ("principal", 4, 2, True, "[DTRACEDROP_PRINCIPAL] 4 drops on CPU 2\n"),
    ("dynamic", 4, None, True, "[DTRACEDROP_DYNAMIC] 4 dynamic variable drops\n"),
])
def test_drop_messages(kind: str, count: int, cpu: int | None, tags: bool, want: str) -> None:
    assert drop_message(kind, count, cpu, droptags=tags) == want
