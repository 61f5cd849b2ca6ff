# ruff: noqa: UP031  -- %-formats deliberately mirror dtrace's C printf formats
"""The ``agghist`` and ``aggpack`` aggregation displays (dtrace -x agghist/aggpack).

As illumos libdtrace prints them (dt_consume.c dt_print_aggs/dt_print_datum,
dt_print_quanthdr*, dt_print_quantize_packed, dt_print_lquantize_packed,
dt_print_packed; totals and bin ranges from dt_aggregate.c):

* ``agghist`` applies to count() and sum() aggregations (and, here, avg() and
  stddev(), whose totals libdtrace computes too): one header per aggregation,
  then each entry's keys, a space and a histogram bar scaled against the
  aggregation's total (``aggzoom``: against its largest value / 0.95).
* ``aggpack`` applies to quantize() and lquantize(): one header per
  aggregation, then each entry on one line, one glyph per bucket.  quantize()
  shows the buckets spanned by the whole aggregation, lquantize() its entire
  range; llquantize() and the other functions print as usual.
* In both modes the entries are not followed by the usual blank line, string
  keys are right-aligned in 16 columns, and the header's key column is as wide
  as the key records (3/5/8/16 for 1/2/4/8-byte integers, 16 otherwise, plus
  one each).

Packed glyphs are UTF-8 blocks (U+2581..U+2588) with ``-x encoding=utf8``,
ASCII ``"__xxxxXX"`` with ``encoding=ascii``; otherwise ASCII only on ``dumb``,
``sun`` and ``sun-color`` terminals ($TERM).  Negative counts use ``"vvvvVV"``.
The agghist bars follow dt_print_quantline (``@``, or blocks with
``encoding=utf8``).  Formatted printa() and printa() of several aggregations
are never packed; nor are ``-x aggpercpu`` values shown in these modes.

Deviation: libdtrace asserts that an agghist value is a count() or sum();
avg() and stddev() entries are drawn here with their printed values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from pydtrace.output import aggfmt as F
from pydtrace.output import longdouble as L
from pydtrace.output import printf as pf
from pydtrace.output.printf import ArgType
from pydtrace.output.records import STACK_INDENT, format_bytes

INT64_MAX = (1 << 63) - 1
HIST_KINDS = (F.AggKind.COUNT, F.AggKind.SUM, F.AggKind.AVG, F.AggKind.STDDEV)
PACK_KINDS = (F.AggKind.QUANTIZE, F.AggKind.LQUANTIZE)
_PACKED_WIDTH = {1: 3, 2: 5, 4: 8, 8: 16}
_ASCII = "__xxxxXX"
_NEG = "vvvvVV"
_PACK_BASE = 0x2581
_LQ_MINWIDTH = 7
_LQ_MAXWIDTH = 8


def packed_mode(desc: F.AggDesc, options: Mapping[str, object]) -> str | None:
    """``"hist"``, ``"pack"`` or None (printed as usual) for this aggregation."""
    if desc.kind in HIST_KINDS and F._is_set(options, "agghist"):
        return "hist"
    if desc.kind in PACK_KINDS and F._is_set(options, "aggpack"):
        return "pack"
    return None


# --------------------------------------------------------------------------
# Keys and headers
# --------------------------------------------------------------------------
def _key_width(t: ArgType | None) -> int:
    size = t.size if t is not None else 8
    return _PACKED_WIDTH.get(size, 16) + 1


def key_column_width(desc: F.AggDesc, nkeys: int) -> int:
    """Width of the header's key column: Σ (packed width + 1) over the keys."""
    types = desc.key_types
    return sum(_key_width(types[i] if i < len(types) else None) for i in range(nkeys))


def format_packed_key(t: ArgType | None, v: object, stack_indent: int = STACK_INDENT) -> str:
    """A key record in packed mode: strings are ``" %16s"``, the rest as usual."""
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v)
        if t is None or len(b) < t.size:
            b += b"\0"
        return format_bytes(b, 16, quiet=False)
    return F.format_key(t, v, stack_indent)


def hist_header(width: int) -> str:
    """dt_print_quanthdr: ``key`` over the key column (``value`` without keys)."""
    return "\n%*s %41s %-9s\n" % (width or 16, "key" if width else "value",
                                  F._DIST_HDR, "count")


def ndigits(val: int) -> int:
    """dt_ndigits: printed width of a bucket value (at least 4)."""
    r = 1
    cmp = 10
    if val < 0:
        val = INT64_MAX if val == -(1 << 63) else -val
        r += 1
    while val > cmp and cmp > 0:
        r += 1
        cmp = pf.to_signed(cmp * 10, 8)
    return max(r, 4)


def _pack_header(width: int, minwidth: int, nbins: int, maxwidth: int) -> str:
    return ("\n%*s %*s ." % (width, "key" if width > 0 else "", minwidth, "min")
            + "-" * nbins + ". %-*s | count\n" % (maxwidth, "max"))


# --------------------------------------------------------------------------
# Glyphs
# --------------------------------------------------------------------------
def packed_utf8(options: Mapping[str, object]) -> bool:
    """Whether packed glyphs are UTF-8 blocks: ``-x encoding``, else by $TERM
    (ASCII on ``sun``, ``sun-color`` and ``dumb`` terminals)."""
    enc = options.get("encoding")
    if enc == "ascii":
        return False
    if enc == "utf8":
        return True
    return os.environ.get("TERM") not in ("sun", "sun-color", "dumb")


def packed_glyph(datum: int, total: object, utf8: bool) -> str:
    """dt_print_packed: one bucket as one character."""
    if datum == 0:
        return " "
    if datum < 0:
        return _NEG[L.round_index(-datum * (len(_NEG) - 1), total)]  # type: ignore[arg-type]
    if utf8:
        return chr(_PACK_BASE + L.round_index(datum * 7, total))  # type: ignore[arg-type]
    return _ASCII[L.round_index(datum * (len(_ASCII) - 1), total)]  # type: ignore[arg-type]


def _bucket_total(vals: Sequence[int], zoom: bool) -> object:
    """dt_quantize_total over the shown buckets."""
    if not zoom:
        return sum(abs(v) for v in vals)
    return max((L.zoom(v) for v in vals), default=0)


# --------------------------------------------------------------------------
# aggpack: quantize and lquantize
# --------------------------------------------------------------------------
def quantize_minmax(values: Sequence[Sequence[int]]) -> tuple[int, int]:
    """dt_aggregate_minmaxbin + the display adjustment: the bucket range shown
    for every entry (one more bucket each side, none below the zero bucket)."""
    lo = hi = -1
    for b in values:
        nz = [i for i, c in enumerate(b) if c]
        mn, mx = (nz[0], nz[-1]) if nz else (F.QUANTIZE_ZEROBUCKET, F.QUANTIZE_ZEROBUCKET)
        lo = mn if lo < 0 else min(lo, mn)
        hi = max(hi, mx)
    if lo not in (0, F.QUANTIZE_ZEROBUCKET):
        lo -= 1
    if hi < F.QUANTIZE_NBUCKETS - 1:
        hi += 1
    return lo, hi


def quantize_packed_row(b: Sequence[int], lo: int, hi: int, utf8: bool, zoom: bool) -> str:
    """dt_print_quantize_packed: `` min :glyphs: max | count``."""
    shown = [pf.to_signed(v, 8) for v in b[lo:hi + 1]]
    minval = F.quantize_bucket_value(lo)
    maxval = F.quantize_bucket_value(hi)
    total = _bucket_total(shown, zoom)
    glyphs = "".join(packed_glyph(v, total, utf8) for v in shown)
    return " %*d :%s: %-*d | %d\n" % (ndigits(minval), minval, glyphs,
                                      ndigits(maxval), maxval, sum(shown))


def lquantize_packed_row(b: Sequence[int], low: int, high: int, step: int,
                         utf8: bool, zoom: bool) -> str:
    """dt_print_lquantize_packed: the whole range, ``< low`` to ``>= top``."""
    levels = F.lquantize_levels(low, high, step)
    shown = [pf.to_signed(v, 8) for v in b[:levels + 2]]
    total = _bucket_total(shown, zoom)
    glyphs = "".join(packed_glyph(v, total, utf8) for v in shown)
    return "%8s :%s: %-8s | %d\n" % (f"< {low}", glyphs, f">= {low + levels * step}",
                                     sum(shown))


# --------------------------------------------------------------------------
# agghist: count/sum (avg/stddev) as bars
# --------------------------------------------------------------------------
def hist_value(desc: F.AggDesc, v: object) -> int:
    """The signed value dt_aggregate_total totals for one entry."""
    if desc.kind is F.AggKind.AVG:
        count, total = v  # type: ignore[misc]
        return pf.c_div(pf.to_signed(total, 8), pf.to_signed(count, 8)) if count else 0
    if desc.kind is F.AggKind.STDDEV:
        return pf.to_signed(F.stddev_value(v), 8)  # type: ignore[arg-type]
    return pf.to_signed(v, 8)  # type: ignore[arg-type]


def hist_total(vals: Sequence[int], zoom: bool) -> tuple[int, bool, bool]:
    """dt_aggregate_total: (total, has positives, has negatives); with aggzoom
    the total is the largest ``(int64_t)(|v| * (1 / 0.95))``."""
    total = 0
    for v in vals:
        a = abs(v)
        if zoom:
            total = max(total, int(L.zoom(a)))
        else:
            total += a
    return pf.to_signed(total, 8), any(v > 0 for v in vals), any(v < 0 for v in vals)


# --------------------------------------------------------------------------
# Whole aggregation
# --------------------------------------------------------------------------
def format_agg_packed(desc: F.AggDesc, rows: Sequence[F.Entry], mode: str, *,
                      normal: int = 1, options: Mapping[str, object] | None = None,
                      stack_indent: int = STACK_INDENT) -> str:
    """The text of one (already sorted) aggregation in ``mode`` (see
    :func:`packed_mode`): the header, then one row per entry."""
    options = options or {}
    if not rows:
        return ""
    zoom = F._is_set(options, "aggzoom")
    width = key_column_width(desc, len(rows[0][0]))
    types = desc.key_types

    def keys(key: tuple) -> str:
        return "".join(format_packed_key(types[i] if i < len(types) else None, kv,
                                         stack_indent) for i, kv in enumerate(key))

    out: list[str] = []
    if mode == "hist":
        vals = [hist_value(desc, v) for _, v in rows]
        total, pos, neg = hist_total(vals, zoom)
        utf8 = options.get("encoding") == "utf8"
        out.append(hist_header(width))
        for (key, _), val in zip(rows, vals, strict=True):
            out.append(keys(key) + " " + F._quantline(val, normal, total, pos, neg, utf8))
        return "".join(out)
    utf8 = packed_utf8(options)
    if desc.kind is F.AggKind.QUANTIZE:
        lo, hi = quantize_minmax([v for _, v in rows])  # type: ignore[misc]
        out.append(_pack_header(width, ndigits(F.quantize_bucket_value(lo)), hi - lo + 1,
                                ndigits(F.quantize_bucket_value(hi))))
        out.extend(keys(k) + quantize_packed_row(v, lo, hi, utf8, zoom)  # type: ignore[arg-type]
                   for k, v in rows)
        return "".join(out)
    low, high, step = desc.params[:3]
    levels = F.lquantize_levels(low, high, step)
    out.append(_pack_header(width, _LQ_MINWIDTH, levels + 2, _LQ_MAXWIDTH))
    out.extend(keys(k) + lquantize_packed_row(v, low, high, step, utf8, zoom)  # type: ignore[arg-type]
               for k, v in rows)
    return "".join(out)
