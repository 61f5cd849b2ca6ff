# ruff: noqa: UP031  -- %-formats deliberately mirror dtrace's C printf formats
"""Aggregation data model, bucketing, sorting and printing as dtrace(1) does.

Follows illumos libdtrace ``dt_consume.c`` (dt_print_aggs, dt_print_datum,
dt_print_quantize/lquantize/llquantize, dt_print_quantline, dt_stddev) and
``dt_aggregate.c`` (value/key comparators, sorted and joined walks, trunc).

Values after merging across CPUs:

* COUNT/SUM/MIN/MAX: int
* AVG: (count, total)
* STDDEV: (count, total, sum_of_squares)  (sum of squares may exceed 64 bits)
* QUANTIZE: 127 bucket counts (index 63 is the value 0)
* LQUANTIZE: levels + 2 counts (underflow, levels, overflow)
* LLQUANTIZE: len(llquantize_buckets(...)) counts (index 0 is the underflow)

Key values: ints for integer/pointer keys, ``bytes``/``str`` for strings,
:class:`SymKey` for sym()/usym()/mod()... keys and :class:`StackKey` for
stack()/ustack() keys.

The ``"\\n"`` that printa()/the exit dump print before an aggregation is NOT
included in the returned text; the caller writes it.
"""

from __future__ import annotations

import bisect
import enum
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydtrace.output import printf as pf
from pydtrace.output.printf import ArgType, Conv, Item
from pydtrace.output.records import STACK_INDENT, format_bytes

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
QUANTIZE_NBUCKETS = 127
QUANTIZE_ZEROBUCKET = 63
AGGZOOM_MAX = 0.95
_ATS = "@" * 40
_DIST_HDR = "------------- Distribution -------------"


class AggKind(enum.Enum):
    """The aggregating functions."""

    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    STDDEV = "stddev"
    QUANTIZE = "quantize"
    LQUANTIZE = "lquantize"
    LLQUANTIZE = "llquantize"


HISTOGRAMS = (AggKind.QUANTIZE, AggKind.LQUANTIZE, AggKind.LLQUANTIZE)


@dataclass
class AggDesc:
    """One aggregation variable.

    ``params``: lquantize (low, high, step); llquantize (factor, low, high,
    nsteps); empty otherwise. ``id`` orders aggregations (first appearance).
    """

    name: str
    kind: AggKind
    key_types: list[ArgType] = field(default_factory=list)
    params: tuple[int, ...] = ()
    id: int = 0


@dataclass(frozen=True)
class SymKey:
    """A sym()/func()/mod()/usym()/uaddr()/umod() key: sorts by (pid, addr)."""

    addr: int
    text: str
    pid: int = 0


@dataclass(frozen=True)
class StackKey:
    """A stack()/ustack() key: raw PCs (for sorting) and symbolized frames."""

    pcs: tuple[int, ...]
    frames: tuple[str, ...]


Entry = tuple[tuple, object]

# --------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------
def quantize_bucket_value(i: int) -> int:
    """Lower bound of quantize bucket ``i``: -2^62 .. -1, 0, 1, 2, 4 .. 2^62."""
    if i < QUANTIZE_ZEROBUCKET:
        return -(1 << (QUANTIZE_ZEROBUCKET - 1 - i))
    if i == QUANTIZE_ZEROBUCKET:
        return 0
    return 1 << (i - QUANTIZE_ZEROBUCKET - 1)


def quantize_bucket(v: int) -> int:
    """Bucket index of ``v``: highest bucket <= v, or for negatives the first
    bucket b (from the most negative) with v <= b."""
    v = pf.to_signed(v, 8)
    if v >= 0:
        return QUANTIZE_ZEROBUCKET + v.bit_length()
    for i in range(QUANTIZE_ZEROBUCKET):
        if v <= quantize_bucket_value(i):
            return i
    return QUANTIZE_ZEROBUCKET - 1


def lquantize_levels(low: int, high: int, step: int) -> int:
    """Number of in-range levels of lquantize(low, high, step)."""
    return (high - low) // step


def lquantize_bucket(v: int, low: int, high: int, step: int) -> int:
    """lquantize bucket: 0 = ``< low``, levels+1 = ``>= low+levels*step``."""
    v = pf.to_signed(v, 4)
    levels = lquantize_levels(low, high, step)
    if v < low:
        return 0
    if v >= low + levels * step:
        return levels + 1
    return 1 + (v - low) // step


@functools.lru_cache(maxsize=64)
def _llq_bounds(factor: int, low: int, high: int, nsteps: int) -> tuple[int, ...]:
    value = factor ** low
    bounds = [-(1 << 63)]
    nxt = value * factor
    step = nxt // nsteps if nxt > nsteps else 1
    order = low
    while order <= high:
        bounds.append(value)
        value += step
        if value != nxt:
            continue
        nxt = value * factor
        step = nxt // nsteps if nxt > nsteps else 1
        order += 1
    bounds.append(value)
    return tuple(bounds)


def llquantize_buckets(factor: int, low: int, high: int, nsteps: int) -> list[int]:
    """Lower bounds of every llquantize bucket; index 0 (underflow) is INT64_MIN
    and the last one is the overflow bucket ``>= factor^(high+1)``."""
    return list(_llq_bounds(factor, low, high, nsteps))


def llquantize_bucket(v: int, factor: int, low: int, high: int, nsteps: int) -> int:
    """llquantize bucket index of ``v``."""
    bounds = _llq_bounds(factor, low, high, nsteps)
    if v < bounds[1]:
        return 0
    return bisect.bisect_right(bounds, v) - 1


def nbuckets(desc: AggDesc) -> int:
    """Number of buckets of a histogram aggregation."""
    if desc.kind is AggKind.QUANTIZE:
        return QUANTIZE_NBUCKETS
    if desc.kind is AggKind.LQUANTIZE:
        return lquantize_levels(*desc.params) + 2
    return len(_llq_bounds(*desc.params))


def zero_value(desc: AggDesc) -> object:
    """The value of a missing (or cleared) entry."""
    if desc.kind in HISTOGRAMS:
        return [0] * nbuckets(desc)
    if desc.kind is AggKind.AVG:
        return (0, 0)
    if desc.kind is AggKind.STDDEV:
        return (0, 0, 0)
    return 0


def merge_values(kind: AggKind, per_cpu: Sequence[object]) -> object:
    """Combine per-CPU values: sums for counts/totals/buckets, min/max else."""
    vals = list(per_cpu)
    if kind is AggKind.MIN:
        return min(vals)  # type: ignore[type-var]
    if kind is AggKind.MAX:
        return max(vals)  # type: ignore[type-var]
    if kind in (AggKind.COUNT, AggKind.SUM):
        return sum(vals)  # type: ignore[arg-type]
    merged = [sum(col) for col in zip(*vals, strict=True)]  # type: ignore[call-overload]
    return tuple(merged) if kind in (AggKind.AVG, AggKind.STDDEV) else merged


# --------------------------------------------------------------------------
# Scalar value arithmetic (C semantics)
# --------------------------------------------------------------------------
def norm_u64(v: int, normal: int) -> int:
    """``(long long)u64 / (uint64_t)normal`` as printed with %lld."""
    return pf.to_signed((v & M64) // normal, 8) if normal != 1 else pf.to_signed(v, 8)


def avg_value(v: tuple[int, int], normal: int = 1) -> int:
    """avg printed by default: total / normal / count (signed), 0 if no count."""
    count, total = v
    if not count:
        return 0
    return pf.c_div(pf.c_div(pf.to_signed(total, 8), normal), pf.to_signed(count, 8))


def stddev_value(v: tuple[int, int, int], normal: int = 1) -> int:
    """dt_stddev: isqrt(avg(x^2) - avg(x)^2) with 128-bit unsigned arithmetic."""
    count, total, sumsq = v
    if not count:
        return 0
    avg_sq = (sumsq & M128) // normal // normal // (count & M64)
    navg = abs(pf.c_div(pf.c_div(pf.to_signed(total, 8), normal), pf.to_signed(count, 8)))
    diff = (avg_sq - navg * navg) & M128
    return math.isqrt(diff) & M64


# --------------------------------------------------------------------------
# Sorting (dt_aggregate.c comparators)
# --------------------------------------------------------------------------
def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def _lquantize_sum_zero(b: Sequence[int], low: int, high: int, step: int
                        ) -> tuple[int, int]:
    levels = lquantize_levels(low, high, step)
    total = b[0] * (low - 1)
    zero = b[0] if low - 1 == 0 else 0
    base = low
    for i in range(levels):
        total += b[i + 1] * base
        if base == 0:
            zero = b[i + 1]
        base += step
    total += b[levels + 1] * (base + 1)
    if base + 1 == 0:
        zero = b[levels + 1]
    return total, zero


def _llquantize_sum(b: Sequence[int], params: tuple[int, ...]) -> int:
    bounds = _llq_bounds(*params)
    total = b[0] * (bounds[1] - 1)
    total += sum(c * lb for c, lb in zip(b[1:], bounds[1:], strict=False))
    return total


def value_sort_key(desc: AggDesc, v: object) -> object:
    """What dtrace compares values by (dt_aggregate_valcmp)."""
    k = desc.kind
    if k is AggKind.AVG:
        count, total = v  # type: ignore[misc]
        return pf.c_div(pf.to_signed(total, 8), pf.to_signed(count, 8)) if count else 0
    if k is AggKind.STDDEV:
        return stddev_value(v)  # type: ignore[arg-type]
    if k is AggKind.QUANTIZE:
        b = v  # type: Sequence[int]  # type: ignore[assignment]
        total = sum(quantize_bucket_value(i) * c for i, c in enumerate(b))
        return (total, b[QUANTIZE_ZEROBUCKET])
    if k is AggKind.LQUANTIZE:
        return _lquantize_sum_zero(v, *desc.params)  # type: ignore[arg-type]
    if k is AggKind.LLQUANTIZE:
        return (_llquantize_sum(v, desc.params), v[0])  # type: ignore[arg-type,index]
    return pf.to_signed(v, 8)  # type: ignore[arg-type]


def _key_part(t: ArgType | None, v: object) -> tuple[int, object]:
    """(record size, comparable) for one key element (dt_aggregate_keycmp)."""
    if isinstance(v, StackKey):
        return (8 * len(v.pcs), b"".join((p & M64).to_bytes(8, "little") for p in v.pcs))
    if isinstance(v, SymKey):
        return (16, (v.pid, v.addr & M64))
    if isinstance(v, (bytes, bytearray)):
        return (t.size if t else 0, bytes(v))
    if isinstance(v, str):
        return (t.size if t else 0, v.encode("utf-8", "surrogateescape"))
    size = t.size if t and t.size in (1, 2, 4, 8) else 8
    return (size, pf.to_unsigned(v, size))  # type: ignore[arg-type]


def _key_cmp(desc: AggDesc, a: tuple, b: tuple, keypos: int) -> int:
    n = len(a)
    if n != len(b):
        return _cmp(n, len(b))
    pos = 0 if keypos >= n else keypos
    for i in range(n):
        j = (i + pos) % n
        t = desc.key_types[j] if j < len(desc.key_types) else None
        r = _cmp(_key_part(t, a[j]), _key_part(t, b[j]))
        if r:
            return r
    return 0


def _opt_int(options: Mapping[str, object], name: str) -> int:
    v = options.get(name)
    if v in (None, False):
        return 0
    return int(v)  # type: ignore[call-overload]


def _is_set(options: Mapping[str, object], name: str) -> bool:
    return options.get(name) not in (None, False, 0, "")


def sort_entries(desc: AggDesc, entries: Sequence[Entry],
                 options: Mapping[str, object] | None = None) -> list[Entry]:
    """Sort like dtrace_aggregate_walk_sorted: value then key (aggsortkey: key
    then value), keys from aggsortkeypos, all reversed by aggsortrev."""
    options = options or {}
    keypos = _opt_int(options, "aggsortkeypos")
    bykey = _is_set(options, "aggsortkey")

    def cmp(x: Entry, y: Entry) -> int:
        kc = _key_cmp(desc, x[0], y[0], keypos)
        if bykey:
            return kc
        vc = _cmp(value_sort_key(desc, x[1]), value_sort_key(desc, y[1]))
        return vc or kc
    return sorted(entries, key=functools.cmp_to_key(cmp),
                  reverse=_is_set(options, "aggsortrev"))


def trunc_entries(desc: AggDesc, entries: Sequence[Entry], n: int) -> list[Entry]:
    """trunc(@, n): keep the n largest (n < 0: the |n| smallest) entries."""
    def cmp(x: Entry, y: Entry) -> int:
        vc = _cmp(value_sort_key(desc, x[1]), value_sort_key(desc, y[1]))
        return vc or _key_cmp(desc, x[0], y[0], 0)
    ordered = sorted(entries, key=functools.cmp_to_key(cmp), reverse=n > 0)
    return ordered[:abs(n)]


# --------------------------------------------------------------------------
# Histograms
# --------------------------------------------------------------------------
def _depth(val: int, total: float | int, length: int) -> int:
    """round(|val| * length / total), exactly for integer totals."""
    if isinstance(total, int):
        return (2 * abs(val) * length + total) // (2 * total)
    from pydtrace.output import longdouble as L  # aggzoom totals are long doubles

    return L.round_index(abs(val) * length, total)  # type: ignore[arg-type]


def _quantline(val: int, normal: int, total: float | int, pos: bool, neg: bool,
               utf8: bool = False) -> str:
    """dt_print_quantline: one bar plus its count (``" %-9lld\\n"``)."""
    count = norm_u64(val, normal)
    if not neg:
        if pos and utf8:
            return _quantline_utf8(val, total) + " %-9d\n" % count
        d = _depth(val, total, 40) if pos else 0
        return "|%s%s %-9d\n" % ("@" * d, " " * (40 - d), count)
    if not pos:
        d = _depth(val, total, 40)
        return "%s%s| %-9d\n" % (" " * (40 - d), "@" * d, count)
    d = _depth(val, total, 20)
    if val <= 0:
        return "%s%s|%20s %-9d\n" % (" " * (20 - d), "@" * d, "", count)
    return "%20s|%s%s %-9d\n" % ("", "@" * d, " " * (20 - d), count)


def _quantline_utf8(val: int, total: float | int) -> str:
    """UTF-8 bar: full blocks U+2588 then one partial block (U+2589..U+258F)."""
    from pydtrace.output import longdouble as L

    f = L.div(abs(val) * 40, total)  # type: ignore[arg-type]
    whole = int(f)
    partial = int((f - whole) * 8)
    bar = "\u2588" * whole
    if partial:
        bar += chr(0x258F - (partial - 1))
        whole += 1
    return "|" + bar + " " * (40 - whole)


def _hist_total(vals: Sequence[int], zoom: bool) -> float | int:
    if not zoom:
        return sum(abs(v) for v in vals)
    from pydtrace.output import longdouble as L  # |v| * (1 / 0.95) in long double

    return max((L.zoom(v) for v in vals), default=0)


def _hist_range(b: Sequence[int], empty: tuple[int, int]) -> tuple[int, int]:
    """First/last rows: one zero bucket around the non-zero span, clamped."""
    nz = [i for i, c in enumerate(b) if c]
    if not nz:
        return empty
    return max(nz[0] - 1, 0), min(nz[-1] + 1, len(b) - 1)


def _hist_rows(labels: Sequence[str], b: Sequence[int], lo: int, hi: int,
               normal: int, options: Mapping[str, object]) -> str:
    shown = b[lo:hi + 1]
    total = _hist_total(shown, _is_set(options, "aggzoom"))
    pos = any(v > 0 for v in shown)
    neg = any(v < 0 for v in shown)
    utf8 = options.get("encoding") == "utf8"
    out = ["\n%16s %41s %-9s\n" % ("value", _DIST_HDR, "count")]
    for i in range(lo, hi + 1):
        out.append(labels[i] + _quantline(b[i], normal, total, pos, neg, utf8))
    return "".join(out)


def format_quantize(b: Sequence[int], normal: int = 1,
                    options: Mapping[str, object] | None = None) -> str:
    """dt_print_quantize (starts with the ``\\n`` before the header).

    As in illumos, data only in the last bucket counts as "no data" (the scan
    for the first non-zero bucket stops before it), showing -1, 0 and 1.
    """
    if not any(b[:QUANTIZE_NBUCKETS - 1]):
        lo, hi = QUANTIZE_ZEROBUCKET - 1, QUANTIZE_ZEROBUCKET + 1
    else:
        lo, hi = _hist_range(b, (0, 0))
    labels = _LabelMap({i: "%16d " % quantize_bucket_value(i) for i in range(lo, hi + 1)})
    return _hist_rows(labels, b, lo, hi, normal, options or {})


class _LabelMap(dict):  # type: ignore[type-arg]
    """Sparse label lookup (only the shown rows are rendered)."""


def format_lquantize(b: Sequence[int], low: int, high: int, step: int,
                     normal: int = 1, options: Mapping[str, object] | None = None) -> str:
    """dt_print_lquantize: ``< low`` / ``>= low+levels*step`` labels."""
    levels = lquantize_levels(low, high, step)
    lo, hi = _hist_range(b, (0, 2))
    labels = _LabelMap()
    for i in range(lo, hi + 1):
        if i == 0:
            labels[i] = "%16s " % f"< {low}"
        elif i == levels + 1:
            labels[i] = "%16s " % f">= {low + levels * step}"
        else:
            labels[i] = "%16d " % (low + (i - 1) * step)
    return _hist_rows(labels, b, lo, hi, normal, options or {})


def format_llquantize(b: Sequence[int], factor: int, low: int, high: int, nsteps: int,
                      normal: int = 1, options: Mapping[str, object] | None = None) -> str:
    """dt_print_llquantize: ``< factor^low`` .. ``>= factor^(high+1)``."""
    bounds = _llq_bounds(factor, low, high, nsteps)
    lo, hi = _hist_range(b, (0, 1))
    labels = _LabelMap()
    last = len(bounds) - 1
    for i in range(lo, hi + 1):
        if i == 0:
            labels[i] = "%16s " % f"< {bounds[1]}"
        elif i == last:
            labels[i] = "%16s " % f">= {bounds[last]}"
        else:
            labels[i] = "%16d " % bounds[i]
    return _hist_rows(labels, b, lo, hi, normal, options or {})


def format_histogram(desc: AggDesc, b: Sequence[int], normal: int = 1,
                     options: Mapping[str, object] | None = None) -> str:
    """The histogram block of a quantize-family value."""
    if desc.kind is AggKind.QUANTIZE:
        return format_quantize(b, normal, options)
    if desc.kind is AggKind.LQUANTIZE:
        return format_lquantize(b, *desc.params, normal=normal, options=options)
    return format_llquantize(b, *desc.params, normal=normal, options=options)


# --------------------------------------------------------------------------
# Default printing
# --------------------------------------------------------------------------
_KEY_WIDTH = {1: 3, 2: 5, 4: 8, 8: 16}


def format_key(t: ArgType | None, v: object, stack_indent: int = STACK_INDENT) -> str:
    """One key record as dt_print_datum prints it."""
    if isinstance(v, StackKey):
        return "\n" + "".join(" " * stack_indent + f + "\n" for f in v.frames)
    if isinstance(v, SymKey):
        return "  %-50s" % v.text
    if isinstance(v, str):
        v = v.encode("utf-8", "surrogateescape")
    if isinstance(v, (bytes, bytearray)):
        return format_bytes(bytes(v) or b"\0", -50, quiet=False)
    size = t.size if t and t.size in _KEY_WIDTH else 8
    n = pf.to_signed(v, size) if size >= 4 else pf.to_unsigned(v, size)  # type: ignore[arg-type]
    return " %*d" % (_KEY_WIDTH[size], n)


def format_value(desc: AggDesc, v: object, normal: int = 1,
                 options: Mapping[str, object] | None = None) -> str:
    """The value part of a default-printed entry."""
    k = desc.kind
    if k in HISTOGRAMS:
        return format_histogram(desc, v, normal, options)  # type: ignore[arg-type]
    if k is AggKind.AVG:
        return " %16d" % avg_value(v, normal)  # type: ignore[arg-type]
    if k is AggKind.STDDEV:
        return " %16d" % stddev_value(v, normal)  # type: ignore[arg-type]
    return " %16d" % norm_u64(v, normal)  # type: ignore[arg-type]


def format_keys(desc: AggDesc, key: tuple, stack_indent: int = STACK_INDENT) -> str:
    """All key records of one entry."""
    types = desc.key_types
    return "".join(format_key(types[i] if i < len(types) else None, kv, stack_indent)
                   for i, kv in enumerate(key))


def format_agg_default(desc: AggDesc, entries: Sequence[Entry], *, normal: int = 1,
                       options: Mapping[str, object] | None = None,
                       sort: bool = True,
                       percpu: Mapping[tuple, Sequence[object]] | None = None) -> str:
    """``printa(@a)`` / exit-time text of one aggregation (no leading ``\\n``).

    Each entry is its keys, its value and ``"\\n"``; entries are sorted with
    :func:`sort_entries` unless ``sort`` is False. With ``percpu`` (``-x
    aggpercpu``) each value is followed by ``[CPU n]`` and that CPU's value.
    """
    options = options or {}
    rows = sort_entries(desc, entries, options) if sort else list(entries)
    indent = _opt_int(options, "stackindent") if "stackindent" in options else STACK_INDENT
    if _is_set(options, "agghist") or _is_set(options, "aggpack"):
        from pydtrace.output import aggpacked

        mode = aggpacked.packed_mode(desc, options)
        if mode:
            return aggpacked.format_agg_packed(desc, rows, mode, normal=normal,
                                               options=options, stack_indent=indent)
    out = []
    for key, val in rows:
        text = format_keys(desc, key, indent) + format_value(desc, val, normal, options)
        for cpu, cpu_val in enumerate((percpu or {}).get(key, ())):
            text += f"\n    [CPU {cpu}]" + format_value(desc, cpu_val, normal, options)
        out.append(text + "\n")
    return "".join(out)


# --------------------------------------------------------------------------
# Joined aggregations (printa with several aggregations)
# --------------------------------------------------------------------------
JoinedRow = tuple[tuple, list[object]]


def join_entries(descs: Sequence[AggDesc], tables: Sequence[Mapping[tuple, object]]
                 ) -> list[JoinedRow]:
    """Join several aggregations on their keys; missing values are zero."""
    keys: dict[tuple, None] = {}
    for t in tables:
        keys.update(dict.fromkeys(t))
    pairs = list(zip(descs, tables, strict=True))
    return [(k, [t.get(k, zero_value(d)) for d, t in pairs]) for k in keys]


def sort_joined(descs: Sequence[AggDesc], rows: Sequence[JoinedRow],
                options: Mapping[str, object] | None = None) -> list[JoinedRow]:
    """dt_aggregate_bundlecmp: values from ``aggsortpos`` on (wrapping), then
    key; ``aggsortkey`` compares the key first; ``aggsortrev`` reverses."""
    options = options or {}
    n = len(descs)
    pos = _opt_int(options, "aggsortpos")
    pos = 0 if pos >= n else pos
    order = [(pos + i) % n for i in range(n)]
    keypos = _opt_int(options, "aggsortkeypos")
    bykey = _is_set(options, "aggsortkey")

    def cmp(x: JoinedRow, y: JoinedRow) -> int:
        kc = _key_cmp(descs[0], x[0], y[0], keypos)
        if bykey and kc:
            return kc
        for i in order:
            vc = _cmp(value_sort_key(descs[i], x[1][i]), value_sort_key(descs[i], y[1][i]))
            if vc:
                return vc
        return 0 if bykey else kc
    return sorted(rows, key=functools.cmp_to_key(cmp), reverse=_is_set(options, "aggsortrev"))


def format_agg_joined(descs: Sequence[AggDesc], rows: Sequence[JoinedRow], *,
                      normals: Sequence[int] | None = None,
                      options: Mapping[str, object] | None = None,
                      sort: bool = True) -> str:
    """``printa(@a, @b, ...)`` without a format: keys once, then each value."""
    options = options or {}
    normals = normals or [1] * len(descs)
    rows = sort_joined(descs, rows, options) if sort else list(rows)
    out = []
    indent = _opt_int(options, "stackindent") if "stackindent" in options else STACK_INDENT
    for key, vals in rows:
        out.append(format_keys(descs[0], key, indent))
        for d, v, nm in zip(descs, vals, normals, strict=True):
            out.append(format_value(d, v, nm, options))
        out.append("\n")
    return "".join(out)


# --------------------------------------------------------------------------
# printa with a format string
# --------------------------------------------------------------------------
def _agg_argtype(desc: AggDesc) -> ArgType:
    if desc.kind is AggKind.COUNT:
        return ArgType("int", 8, False, "uint64_t")
    return ArgType("int", 8, True, "int64_t")


def _agg_raw(desc: AggDesc, v: object, normal: int) -> int:
    """The 64-bit number a scalar ``%@`` conversion prints (pfprint_*)."""
    if desc.kind is AggKind.AVG:
        count, total = v  # type: ignore[misc]
        return ((total & M64) // normal // (count & M64)) if count else 0
    if desc.kind is AggKind.STDDEV:
        return stddev_value(v, normal)  # type: ignore[arg-type]
    return (v & M64) // normal  # type: ignore[operator]


class _PrintaPlan:
    """A printa format compiled against the key types and aggregations."""

    def __init__(self, items: Sequence[Item], descs: Sequence[AggDesc],
                 opts: pf.Options) -> None:
        self.items = list(items)
        self.descs = list(descs)
        self.opts = opts
        self.keyconv: dict[int, pf._Compiled] = {}
        self.aggconv: dict[int, tuple[int, pf._Compiled]] = {}
        self._compile()

    def _compile(self) -> None:
        key_i = 0
        agg_i = 0
        ktypes = self.descs[0].key_types
        for n, item in enumerate(self.items):
            if isinstance(item, str) or item.conv == "%":
                continue
            if item.agg:
                d = self.descs[min(agg_i, len(self.descs) - 1)]
                comp = pf._compile_conv(_plain(item), _agg_argtype(d), self.opts)
                self.aggconv[n] = (min(agg_i, len(self.descs) - 1), comp)
                agg_i += 1
            else:  # a ``*`` width/precision takes a key of its own first
                k = key_i + (item.width == "*") + (item.prec == "*")
                t = ktypes[k] if k < len(ktypes) else ArgType("int", 8, True, "")
                self.keyconv[n] = pf._compile_conv(item, t, self.opts)
                key_i = k + 1

    def render(self, key: tuple, vals: Sequence[object], normals: Sequence[int],
               options: Mapping[str, object]) -> str:
        out: list[str] = []
        keys = iter(key)
        for n, item in enumerate(self.items):
            if isinstance(item, str):
                out.append(item)
            elif item.conv == "%":
                out.append("%")
            elif n in self.aggconv:
                out.append(self._render_agg(n, vals, normals, options))
            else:
                out.append(self._render_key(n, keys))
        return "".join(out)

    def _render_key(self, n: int, keys: object) -> str:
        comp = self.keyconv[n]
        kvs = []
        for _ in range(comp.nvals):  # width/precision keys, then the value
            kv = next(keys, 0)  # type: ignore[call-overload]
            if isinstance(kv, SymKey):
                kv = kv.text
            elif isinstance(kv, StackKey):
                kv = list(kv.frames)
            kvs.append(kv)
        return _run(comp, kvs)

    def _render_agg(self, n: int, vals: Sequence[object], normals: Sequence[int],
                    options: Mapping[str, object]) -> str:
        i, comp = self.aggconv[n]
        d = self.descs[i]
        if d.kind in HISTOGRAMS:
            return format_histogram(d, vals[i], normals[i], options)  # type: ignore[arg-type]
        return _run(comp, [_agg_raw(d, vals[i], normals[i])])


def _plain(item: Conv) -> Conv:
    return Conv(item.text, item.flags, item.width, item.prec, item.size, item.conv, False)


def _run(comp: pf._Compiled, vals: Sequence[object]) -> str:
    if comp.fast_spec is not None:
        v = comp.fast_conv(vals[0]) if comp.fast_conv else ()
        return (comp.fast_spec.encode() % v).decode(pf.ENC, pf.ERRS)
    return comp.render(vals).decode(pf.ENC, pf.ERRS)  # type: ignore[misc]


def format_printa(items: Sequence[Item], descs: Sequence[AggDesc],
                  rows: Sequence[JoinedRow], *, normals: Sequence[int] | None = None,
                  options: Mapping[str, object] | None = None,
                  opts: pf.Options | None = None, sort: bool = True) -> str:
    """``printa(fmt, @a[, @b...])``: the format once per (sorted) entry.

    Plain conversions take the keys left to right; the nth ``%@`` takes the nth
    aggregation's value (extra ``%@`` repeat the last); histograms print their
    whole block. ``rows`` are (key, [value per aggregation]); for a single
    aggregation use ``[(k, [v]) for k, v in entries]``. No leading newline.
    """
    options = options or {}
    normals = normals or [1] * len(descs)
    if sort:
        rows = (sort_joined(descs, rows, options) if len(descs) > 1 else
                [(k, [v]) for k, v in sort_entries(descs[0], [(r[0], r[1][0]) for r in rows],
                                                   options)])
    plan = _PrintaPlan(items, descs, opts or pf.Options())
    return "".join(plan.render(k, vals, normals, options) for k, vals in rows)
