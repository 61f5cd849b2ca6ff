# ruff: noqa: UP031  -- %-formats deliberately mirror dtrace's C printf formats
"""Golden tests for aggregation printing (pydtrace.output.aggfmt).

Expected texts follow illumos dt_consume.c formats; the signed-key case is the
expected output of DTrace's own tst.signedkeys.d.
"""

from __future__ import annotations

from pydtrace.output.aggfmt import (
    AggDesc,
    AggKind,
    SymKey,
    format_agg_default,
    format_agg_joined,
    format_printa,
    join_entries,
    llquantize_bucket,
    llquantize_buckets,
    lquantize_bucket,
    merge_values,
    quantize_bucket,
    quantize_bucket_value,
    sort_entries,
    stddev_value,
    trunc_entries,
)
from pydtrace.output.printf import ArgType, check_printf

HDR = "\n           value  ------------- Distribution ------------- count    \n"
INT = ArgType("int", 4, True, "int")
CHAR = ArgType("int", 1, True, "char")
STR = ArgType("string", 256, False, "string")


def row(label: str, bar: str, count: int) -> str:
    return "%16s |%-40s %-9d\n" % (label, bar, count)


def test_quantize_buckets() -> None:
    assert [quantize_bucket(v) for v in (0, 1, 2, 3, 4, 7, 8, -1, -2, -3, -5)] == \
        [63, 64, 65, 65, 66, 66, 67, 62, 61, 61, 60]
    assert quantize_bucket_value(0) == -(1 << 62)
    assert quantize_bucket_value(126) == 1 << 62
    assert quantize_bucket((1 << 63) - 1) == 126
    assert quantize_bucket(1 << 63) == 0  # wraps to INT64_MIN


def test_quantize_acceptance() -> None:
    b = [0] * 127
    for v in (0, 1, 3, 1000, -5):
        b[quantize_bucket(v)] += 1
    desc = AggDesc("a", AggKind.QUANTIZE)
    want = (HDR
            + row("-8", "", 0) + row("-4", "@" * 8, 1) + row("-2", "", 0)
            + row("-1", "", 0) + row("0", "@" * 8, 1) + row("1", "@" * 8, 1)
            + row("2", "@" * 8, 1) + row("4", "", 0) + row("8", "", 0)
            + row("16", "", 0) + row("32", "", 0) + row("64", "", 0)
            + row("128", "", 0) + row("256", "", 0) + row("512", "@" * 8, 1)
            + row("1024", "", 0) + "\n")
    assert format_agg_default(desc, [((), b)]) == want
    # the literal first lines, to pin the exact column layout
    assert want.startswith(
        "\n           value  ------------- Distribution ------------- count    \n"
        "              -8 |                                         0        \n"
        "              -4 |@@@@@@@@                                 1        \n")


def test_quantize_empty_and_mixed_signs() -> None:
    desc = AggDesc("a", AggKind.QUANTIZE)
    empty = format_agg_default(desc, [((), [0] * 127)])
    assert empty == HDR + row("-1", "", 0) + row("0", "", 0) + row("1", "", 0) + "\n"
    b = [0] * 127
    b[64], b[65] = 2, -1
    got = format_agg_default(desc, [((), b)])
    assert got == (HDR
                   + "               0                     |                     0        \n"
                   + "               1                     |@@@@@@@@@@@@@        2        \n"
                   + "               2              @@@@@@@|                     -1       \n"
                   + "               4                     |                     0        \n"
                   + "\n")


def test_lquantize_reference_example() -> None:
    desc = AggDesc("a", AggKind.LQUANTIZE, [INT], (-100, 1100, 100))
    b = [0] * 14
    b[lquantize_bucket(0, -100, 1100, 100)] += 1
    assert format_agg_default(desc, [((0,), b)]) == (
        "        0" + HDR + row("-100", "", 0) + row("0", "@" * 40, 1)
        + row("100", "", 0) + "\n")


def test_lquantize_below_inside_above() -> None:
    desc = AggDesc("a", AggKind.LQUANTIZE, [], (0, 10, 2))
    b = [0] * 7
    for v in (-1, 5, 20):
        b[lquantize_bucket(v, 0, 10, 2)] += 1
    assert b == [1, 0, 0, 1, 0, 0, 1]
    at13 = "@" * 13
    assert format_agg_default(desc, [((), b)]) == (
        HDR + row("< 0", at13, 1) + row("0", "", 0) + row("2", "", 0) + row("4", at13, 1)
        + row("6", "", 0) + row("8", "", 0) + row(">= 10", at13, 1) + "\n")
    empty = format_agg_default(desc, [((), [0] * 7)])
    assert empty == HDR + row("< 0", "", 0) + row("0", "", 0) + row("2", "", 0) + "\n"


def test_llquantize() -> None:
    assert llquantize_buckets(10, 0, 2, 10)[1:12] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]
    assert llquantize_buckets(10, 0, 2, 10)[-1] == 1000
    params = (2, 0, 2, 2)
    assert llquantize_buckets(*params)[1:] == [1, 2, 4, 8]
    b = [0] * 5
    for v in (0, 3, 100):
        b[llquantize_bucket(v, *params)] += 1
    assert b == [1, 0, 1, 0, 1]
    desc = AggDesc("a", AggKind.LLQUANTIZE, [], params)
    at13 = "@" * 13
    assert format_agg_default(desc, [((), b)]) == (
        HDR + row("< 1", at13, 1) + row("1", "", 0) + row("2", at13, 1) + row("4", "", 0)
        + row(">= 8", at13, 1) + "\n")
    inside = [0, 0, 1, 0, 0]
    assert format_agg_default(desc, [((), inside)]) == (
        HDR + row("1", "", 0) + row("2", "@" * 40, 1) + row("4", "", 0) + "\n")
    assert format_agg_default(desc, [((), [0] * 5)]) == (
        HDR + row("< 1", "", 0) + row("1", "", 0) + "\n")


def test_scalar_aggregations_string_keys() -> None:
    count = AggDesc("c", AggKind.COUNT, [STR])
    got = format_agg_default(count, [(("tick-count",), 10), (("a",), 3)])
    assert got == ("  " + "a".ljust(50) + "                3\n"
                   + "  " + "tick-count".ljust(50) + "               10\n")
    nokey = AggDesc("n", AggKind.COUNT)
    assert format_agg_default(nokey, [((), 10)]) == "               10\n"
    avg = AggDesc("v", AggKind.AVG, [INT])
    assert format_agg_default(avg, [((1,), (3, 10)), ((2,), (2, -9))]) == (
        "        2               -4\n        1                3\n")
    sd = AggDesc("s", AggKind.STDDEV, [])
    assert stddev_value((4, 10, 30)) == 1
    assert format_agg_default(sd, [((), (4, 10, 30))]) == "                1\n"
    mx = AggDesc("m", AggKind.MAX, [STR, INT])
    assert format_agg_default(mx, [(("bash", 12), -5), (("sh", 3), 7)]) == (
        "  " + "bash".ljust(50) + "       12               -5\n"
        + "  " + "sh".ljust(50) + "        3                7\n")
    s = AggDesc("s", AggKind.SUM, [])
    assert format_agg_default(s, [((), 100)], normal=7) == "               14\n"


def test_signed_keys_sort_unsigned() -> None:
    """Expected text of DTrace's tst.signedkeys.d (aggsortkey)."""
    opts = {"aggsortkey": True}
    i8 = AggDesc("i8", AggKind.SUM, [CHAR])
    i32 = AggDesc("i32", AggKind.SUM, [INT])
    ents = [((k,), k) for k in (-2, -1, 0, 1, 2)]
    assert format_agg_default(i8, ents, options=opts) == (
        "   0                0\n   1                1\n   2                2\n"
        " 254               -2\n 255               -1\n")
    assert format_agg_default(i32, ents, options=opts) == (
        "        0                0\n        1                1\n        2                2\n"
        "       -2               -2\n       -1               -1\n")


def test_sort_options_and_trunc() -> None:
    d = AggDesc("a", AggKind.COUNT, [STR])
    ents = [(("b",), 1), (("a",), 1), (("c",), 5), (("d",), 0)]
    assert [k for (k,), _ in sort_entries(d, ents)] == ["d", "a", "b", "c"]
    assert [k for (k,), _ in sort_entries(d, ents, {"aggsortrev": True})] == \
        ["c", "b", "a", "d"]
    assert [k for (k,), _ in sort_entries(d, ents, {"aggsortkey": True})] == \
        ["a", "b", "c", "d"]
    assert sorted(k for (k,), _ in trunc_entries(d, ents, 2)) == ["b", "c"]
    assert sorted(k for (k,), _ in trunc_entries(d, ents, -2)) == ["a", "d"]
    two = AggDesc("t", AggKind.COUNT, [INT, STR])
    e2 = [((1, "z"), 1), ((2, "a"), 1)]
    assert [k for k, _ in sort_entries(two, e2, {"aggsortkeypos": 1})] == [(2, "a"), (1, "z")]


def test_merge_values() -> None:
    assert merge_values(AggKind.COUNT, [1, 2, 3]) == 6
    assert merge_values(AggKind.MIN, [4, -1, 3]) == -1
    assert merge_values(AggKind.MAX, [4, -1, 3]) == 4
    assert merge_values(AggKind.AVG, [(1, 5), (2, 7)]) == (3, 12)
    assert merge_values(AggKind.QUANTIZE, [[1, 0, 2], [0, 1, 1]]) == [1, 1, 3]


def test_printa_two_aggregations() -> None:
    c = AggDesc("c", AggKind.COUNT, [STR], id=1)
    s = AggDesc("s", AggKind.SUM, [STR], id=2)
    items = check_printf("printa", "%-16s %@8d %@8d\n", [STR], printa=True)
    rows = join_entries([c, s], [{("a",): 2, ("b",): 5}, {("a",): 10, ("b",): 3, ("c",): 7}])
    assert format_printa(items, [c, s], rows) == (
        "c                       0        7\n"
        "a                       2       10\n"
        "b                       5        3\n")
    assert format_printa(items, [c, s], rows, options={"aggsortpos": 1}) == (
        "b                       5        3\n"
        "c                       0        7\n"
        "a                       2       10\n")
    joined = format_agg_joined([c, s], rows)
    first = "  " + "c".ljust(50) + "                0" + "                7"
    assert joined.splitlines()[0] == first


def test_printa_single_and_histogram() -> None:
    d = AggDesc("q", AggKind.QUANTIZE, [STR])
    b = [0] * 127
    b[quantize_bucket(1)] = 3
    items = check_printf("printa", "%s:%@d", [STR], printa=True)
    assert format_printa(items, [d], [(("k",), [b])]) == (
        "k:" + HDR + row("0", "", 0) + row("1", "@" * 40, 3) + row("2", "", 0))
    a = AggDesc("a", AggKind.AVG, [])
    items = check_printf("printa", "avg=%@u\n", [], printa=True)
    assert format_printa(items, [a], [((), [(4, 10)])]) == "avg=2\n"
    cnt = AggDesc("c", AggKind.COUNT, [STR, INT])
    items = check_printf("printa", "%s\n", [STR, INT], printa=True)
    assert format_printa(items, [cnt], [(("x", 1), [5])]) == "x\n"


def test_sym_keys() -> None:
    d = AggDesc("s", AggKind.COUNT, [ArgType("symaddr", 8, False, "_symaddr")])
    got = format_agg_default(d, [((SymKey(0x20, "genunix`b"),), 1),
                                 ((SymKey(0x10, "genunix`a"),), 1)])
    assert got == ("  " + "genunix`a".ljust(50) + "                1\n"
                   + "  " + "genunix`b".ljust(50) + "                1\n")


def test_aggpercpu_prints_each_cpu_under_the_value() -> None:
    from pydtrace.output.aggfmt import AggDesc, AggKind, format_agg_default

    desc = AggDesc("c", AggKind.COUNT, [], (), 1)
    text = format_agg_default(desc, [((), 5)], percpu={(): [2, 3]})
    assert text == ("                5\n    [CPU 0]                2\n"
                    "    [CPU 1]                3\n")
