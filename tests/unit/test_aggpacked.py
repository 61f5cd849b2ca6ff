"""agghist / aggpack / aggzoom aggregation displays (pydtrace.output.aggpacked).

Expected texts are worked out by hand from libdtrace's rules (dt_consume.c
dt_print_datum, dt_print_quanthdr_packed, dt_print_quantize_packed,
dt_print_lquantize_packed, dt_print_packed, dt_print_quantline; totals and
bin ranges from dt_aggregate.c).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from pydtrace.output import aggfmt as F
from pydtrace.output import aggpacked as P
from pydtrace.output import longdouble as L
from pydtrace.output import printf as pf
from pydtrace.output.printf import ArgType

INT = ArgType("int", 4, True, "int")
LONG = ArgType("int", 8, True, "int64_t")
STR = ArgType("string", 256, False, "string")
DIST = "------------- Distribution -------------"
ASCII = {"aggpack": True, "encoding": "ascii"}
UTF8 = {"aggpack": True, "encoding": "utf8"}


def hdr(width: int, label: str = "key") -> str:
    """The agghist header: ``"\\n%*s %41s %-9s\\n"``."""
    return f"\n{label:>{width}} {DIST:>41} {'count':<9}\n"


def qbuckets(**counts: int) -> list[int]:
    """quantize buckets from {"b<value>": count} (``m`` prefix for negatives)."""
    b = [0] * F.QUANTIZE_NBUCKETS
    for name, c in counts.items():
        v = -int(name[1:]) if name[0] == "m" else int(name[1:])
        b[F.quantize_bucket(v)] += c
    return b


def desc(kind: F.AggKind, keys: list[ArgType] | None = None,
         params: tuple[int, ...] = ()) -> F.AggDesc:
    return F.AggDesc("a", kind, keys or [], params)


# ---------------------------------------------------------------- aggpack: quantize
def test_quantize_packed_ascii() -> None:
    # 1 and 100 land in buckets 1 and 64: shown from 0 (one below 1) to 128.
    b = qbuckets(b1=1, b100=1)
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)], options=ASCII)
    assert text == ("\n  min .---------. max  | count\n"
                    "    0 : x     x : 128  | 2\n")


def test_quantize_packed_utf8_blocks() -> None:
    # 1 of 2: 7 * 1/2 + 0.5 -> level 4, U+2585.
    b = qbuckets(b1=1, b100=1)
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)], options=UTF8)
    assert text == ("\n  min .---------. max  | count\n"
                    "    0 : \u2585     \u2585 : 128  | 2\n")


def test_quantize_packed_range_is_per_aggregation() -> None:
    # Keys 1 and 2 share the span -8 .. 1; the zero bucket is the highest
    # data, so max is 1; -4 is the lowest, so min is -8.
    d = desc(F.AggKind.QUANTIZE, [INT])
    rows = [((1,), qbuckets(m5=1)), ((2,), qbuckets(b0=1))]
    text = F.format_agg_default(d, rows, options=ASCII)
    assert text == ("\n      key  min .------. max  | count\n"
                    "        1   -8 : X    : 1    | 1\n"
                    "        2   -8 :    X : 1    | 1\n")


def test_quantize_packed_zero_bucket_is_not_extended_below() -> None:
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), qbuckets(b0=2))],
                                options=ASCII)
    assert text == "\n  min .--. max  | count\n    0 :X : 1    | 2\n"


def test_quantize_packed_empty_shows_zero_and_one() -> None:
    # A cleared quantize: min and max bins are the zero bucket; max + 1.
    b = [0] * F.QUANTIZE_NBUCKETS
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)], options=ASCII)
    assert text == "\n  min .--. max  | count\n    0 :  : 1    | 0\n"


def test_quantize_packed_negative_counts() -> None:
    # Counts -3 and 1 (quantize(x, -3) and quantize(y)): total 4;
    # -3 -> "vvvvVV"[3*5/4 + .5 = 4] = 'V' (negatives are ASCII even in UTF-8);
    # 1 -> level 7/4 + .5 = 2, U+2583.
    b = [0] * F.QUANTIZE_NBUCKETS
    b[F.quantize_bucket(2)] = -3
    b[F.quantize_bucket(8)] = 1
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)], options=UTF8)
    assert text == ("\n  min .-----. max  | count\n"
                    "    1 : V \u2583 : 16   | -2\n")


def test_quantize_packed_zoom() -> None:
    # Counts 1 (bucket 1) and 4 (bucket 2); zoom total 4/0.95:
    # 4 -> 6.65 + .5 -> 'X'; 1 -> 1.6625 + .5 -> 'x'.
    b = qbuckets(b1=1, b2=4)
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)],
                                options={**ASCII, "aggzoom": True})
    assert text == "\n  min .----. max  | count\n    0 : xX : 4    | 5\n"


def test_quantize_packed_wide_labels() -> None:
    # Bucket 65536 shown up to 131072: dt_ndigits(131072) = 6.
    b = qbuckets(b70000=3)
    text = F.format_agg_default(desc(F.AggKind.QUANTIZE), [((), b)], options=ASCII)
    assert text == ("\n   min .---. max    | count\n"
                    " 32768 : X : 131072 | 3\n")


# ---------------------------------------------------------------- aggpack: lquantize
def test_lquantize_packed_whole_range_with_keys() -> None:
    d = desc(F.AggKind.LQUANTIZE, [INT], (0, 10, 1))
    rows = [((1,), [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 5]), ((2,), [1] + [0] * 11)]
    text = F.format_agg_default(d, rows, options=ASCII)
    # sorted by value: key 2 (sum -1) before key 1; total 11 for key 1:
    # 1 -> 7/11+.5 -> '_', 2 -> '_', 3 -> 'x', 5 -> 'x'.
    assert text == ("\n      key     min .------------. max      | count\n"
                    "        2     < 0 :X           : >= 10    | 1\n"
                    "        1     < 0 : __x       x: >= 10    | 11\n")


def test_lquantize_packed_string_keys_right_aligned() -> None:
    d = desc(F.AggKind.LQUANTIZE, [STR], (-10, 10, 10))
    text = F.format_agg_default(d, [((b"sshd",), [0, 2, 0, 0])], options=ASCII)
    assert text == ("\n              key     min .----. max      | count\n"
                    "             sshd   < -10 : X  : >= 10    | 2\n")


def test_lquantize_packed_ignores_normalize() -> None:
    d = desc(F.AggKind.LQUANTIZE, [], (0, 2, 1))
    text = F.format_agg_default(d, [((), [0, 4, 0, 0])], normal=2, options=ASCII)
    assert text == "\n     min .----. max      | count\n     < 0 : X  : >= 2     | 4\n"


# ---------------------------------------------------------------- agghist
def test_agghist_count_string_keys() -> None:
    d = desc(F.AggKind.COUNT, [STR])
    rows = [((b"bash",), 3), ((b"sshd",), 1)]
    text = F.format_agg_default(d, rows, options={"agghist": True})
    assert text == (hdr(17)
                    + "             sshd |" + "@" * 10 + " " * 30 + " 1        \n"
                    + "             bash |" + "@" * 30 + " " * 10 + " 3        \n")


def test_agghist_without_keys_uses_value_header() -> None:
    text = F.format_agg_default(desc(F.AggKind.SUM), [((), 5)], options={"agghist": True})
    assert text == (hdr(16, "value")
                    + " |" + "@" * 40 + " 5        \n")


def test_agghist_mixed_signs_half_bars() -> None:
    d = desc(F.AggKind.SUM, [LONG])
    rows = [((1,), -3), ((2,), 5), ((3,), 12)]
    text = F.format_agg_default(d, rows, options={"agghist": True})
    # total 20: -3 -> 3, 5 -> 5, 12 -> 12 columns of 20.
    assert text == (hdr(17)
                    + "                1 " + " " * 17 + "@" * 3 + "|" + " " * 20 + " -3       \n"
                    + "                2 " + " " * 20 + "|" + "@" * 5 + " " * 15 + " 5        \n"
                    + "                3 " + " " * 20 + "|" + "@" * 12 + " " * 8 + " 12       \n")


def test_agghist_zoom_total_is_truncated() -> None:
    # zoom total = max((int64_t)(v * (1/0.95))) = max(19, 21) = 21:
    # 19 -> 19*40/21 = 36.2 -> 36; 20 -> 38.1 -> 38.
    d = desc(F.AggKind.COUNT, [INT])
    text = F.format_agg_default(d, [((1,), 19), ((2,), 20)],
                                options={"agghist": True, "aggzoom": True})
    assert text == (hdr(9)
                    + "        1 |" + "@" * 36 + " " * 4 + " 19       \n"
                    + "        2 |" + "@" * 38 + " " * 2 + " 20       \n")


def test_agghist_zoom_single_small_value_fills_bar() -> None:
    # (int64_t)(1 * 1.0526...) = 1: the bar is full.
    text = F.format_agg_default(desc(F.AggKind.COUNT), [((), 1)],
                                options={"agghist": True, "aggzoom": True})
    assert text.endswith(" |" + "@" * 40 + " 1        \n")


def test_agghist_normalized_count() -> None:
    text = F.format_agg_default(desc(F.AggKind.SUM), [((), 10)], normal=4,
                                options={"agghist": True})
    assert text.endswith(" |" + "@" * 40 + " 2        \n")


def test_agghist_utf8_bar() -> None:
    d = desc(F.AggKind.COUNT, [INT])
    text = F.format_agg_default(d, [((1,), 1), ((2,), 2)],
                                options={"agghist": True, "encoding": "utf8"})
    # 1 of 3: 13.33 columns -> 13 full blocks + 2/8 (0x258F - 1 = U+258E).
    assert "        1 |" + "\u2588" * 13 + "\u258e" + " " * 26 + " 1        \n" in text


def test_agghist_avg_draws_average() -> None:
    d = desc(F.AggKind.AVG, [INT])
    text = F.format_agg_default(d, [((1,), (2, 10)), ((2,), (1, 15))],
                                options={"agghist": True})
    assert text.endswith("        1 |" + "@" * 10 + " " * 30 + " 5        \n"
                         + "        2 |" + "@" * 30 + " " * 10 + " 15       \n")


@pytest.mark.parametrize("kind,value,opt", [
    (F.AggKind.MIN, 3, "agghist"),
    (F.AggKind.MAX, 3, "agghist"),
    (F.AggKind.QUANTIZE, qbuckets(b3=1), "agghist"),
    (F.AggKind.COUNT, 3, "aggpack"),
    (F.AggKind.LLQUANTIZE, [0, 1, 0, 0], "aggpack"),
])
def test_other_functions_print_as_usual(kind: F.AggKind, value: object, opt: str) -> None:
    d = desc(kind, [INT], (10, 0, 1, 10) if kind is F.AggKind.LLQUANTIZE else ())
    if kind is F.AggKind.LLQUANTIZE:
        value = [0] * F.nbuckets(d)
        value[2] = 1
    entries = [((1,), value)]
    plain = F.format_agg_default(d, entries)
    assert F.format_agg_default(d, entries, options={opt: True, "encoding": "ascii"}) == plain
    assert plain.endswith("\n")


def test_max_entry_unchanged_text() -> None:
    text = F.format_agg_default(desc(F.AggKind.MAX, [INT]), [((1,), 3)],
                                options={"agghist": True})
    assert text == "        1                3\n"


def test_no_entries_prints_nothing() -> None:
    assert F.format_agg_default(desc(F.AggKind.COUNT), [], options={"agghist": True}) == ""
    assert F.format_agg_default(desc(F.AggKind.QUANTIZE), [], options=ASCII) == ""


def test_printa_format_ignores_packing() -> None:
    d = desc(F.AggKind.QUANTIZE)
    items = pf.parse_format("%@d")
    b = qbuckets(b1=1)
    plain = F.format_printa(items, [d], [((), [b])])
    assert F.format_printa(items, [d], [((), [b])], options=ASCII) == plain
    assert "Distribution" in plain


# ---------------------------------------------------------------- helpers
@pytest.mark.parametrize("val,width", [
    (0, 4), (1, 4), (-1, 4), (128, 4), (1024, 4), (16384, 5), (10000, 4),
    (131072, 6), (-(1 << 62), 20), (1 << 62, 19), (-(1 << 63), 20),
])
def test_ndigits(val: int, width: int) -> None:
    assert P.ndigits(val) == width


def test_key_column_width() -> None:
    d = desc(F.AggKind.COUNT, [ArgType("int", 1, False, "uint8_t"),
                               ArgType("int", 2, True, "short"), INT, LONG, STR])
    assert P.key_column_width(d, 5) == 4 + 6 + 9 + 17 + 17


@pytest.mark.parametrize("term,utf8", [("xterm", True), ("dumb", False), ("sun", False),
                                       ("sun-color", False), ("vt100", True)])
def test_packed_encoding_follows_term(monkeypatch: pytest.MonkeyPatch, term: str,
                                      utf8: bool) -> None:
    monkeypatch.setenv("TERM", term)
    assert P.packed_utf8({"encoding": "auto"}) is utf8
    assert P.packed_utf8({"encoding": "ascii"}) is False
    assert P.packed_utf8({"encoding": "utf8"}) is True


def test_packed_glyph_levels() -> None:
    assert [P.packed_glyph(i, 7, False) for i in range(8)] == list(" _xxxxXX")
    assert [P.packed_glyph(i, 7, True) for i in range(1, 8)] == [
        chr(0x2581 + i) for i in range(1, 8)]
    assert [P.packed_glyph(-i, 5, True) for i in range(1, 6)] == list("vvvVV")


def test_long_double_rounding() -> None:
    third = L.ld(Fraction(1, 3))
    assert third.denominator == 1 << 65 and abs(third - Fraction(1, 3)) < Fraction(1, 1 << 66)
    assert L.ld(2 ** 70 + 1) == 2 ** 70
    assert L.ld(-Fraction(1, 3)) == -third
    # (long double)19 * (1 / 0.95) is just below 20 (1/0.95 as a double is low).
    assert int(L.zoom(19)) == 19 and int(L.zoom(20)) == 21


def test_quantize_zoom_rounds_in_long_double() -> None:
    # 15 and 20 in buckets 1 and 2: 15*40 / (20/0.95) is 28.5 exactly in
    # rationals, a hair above in long double (1/0.95 as a double is low): 29.
    b = qbuckets(b1=15, b2=20)
    text = F.format_quantize(b, options={"aggzoom": True})
    assert "               1 |" + "@" * 29 + " " * 11 + " 15       \n" in text
    assert "               2 |" + "@" * 38 + " " * 2 + " 20       \n" in text
