"""Bulk decoding of runs of identical records: the streaming fast path.

A tight loop of one probe that only ``printf``s integers produces long runs of
records of one EPID and one size, back to back in the ring. Such a run is
checked with two strided byte comparisons (every ring header word and every
EPID word at once) and formatted with ``struct.iter_unpack`` and one
``%``-format per record, all C loops: no Python bytecode per field.

Eligible clauses: quiet, a single ``printf`` whose arguments are integers and
whose conversions mean the same in Python's ``%`` as in D (``d i u x X o``
with ``- 0 + space`` flags, fixed width and precision).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from pydtrace.codegen.layout import RECORD_DATA
from pydtrace.consume import actions as C

RING_HDR = 8
SIMPLE_CONVS = "diuxXo"
SIMPLE_FLAGS = set("-0+ ")
MIN_RUN = 4
_U32 = struct.Struct("<I")


def python_spec(conv) -> str | None:
    """The Python %-spec of a D conversion, or None when they would differ."""
    if conv.conv not in SIMPLE_CONVS or not set(conv.flags) <= SIMPLE_FLAGS:
        return None
    if conv.size not in ("", "l", "ll") or conv.agg:
        return None
    if conv.width == "*" or conv.prec == "*" or conv.width == "?":
        return None
    width = "" if conv.width is None else str(conv.width)
    prec = "" if conv.prec is None else f".{conv.prec}"
    pyconv = "d" if conv.conv in "diu" else conv.conv
    return f"%{conv.flags}{width}{prec}{pyconv}"


def struct_code(conv, fld) -> str:
    """D prints %d of an unsigned value unsigned, and %u/%x/%o always unsigned."""
    code = {1: "b", 2: "h", 4: "i", 8: "q"}[fld.size]
    signed = fld.signed and conv.conv in "di"
    return code if signed else code.upper()


class BulkPrintf:
    """Formats whole runs of one clause's records."""

    def __init__(self, epid: int, rec_size: int, fmt: str, layout: struct.Struct,
                 write: Callable[[str], None]) -> None:
        self.stride = (rec_size + RING_HDR + 7) & ~7
        self.hdr_word = _U32.pack(rec_size)
        self.epid_word = _U32.pack(epid)
        self.fmt = fmt
        self.layout = layout
        self.write = write

    def run(self, view: memoryview, start: int, end: int) -> int:
        n = (end - start) // self.stride
        if n < MIN_RUN:
            return start
        words = view[start:start + n * self.stride].cast("I")
        step = self.stride // 4
        k = uniform_prefix(words[0::step].tobytes(), self.hdr_word,
                           words[2::step].tobytes(), self.epid_word, n)
        if k < MIN_RUN:
            return start
        chunk = view[start:start + k * self.stride]
        self.write("".join(map(self.fmt.__mod__, self.layout.iter_unpack(chunk))))
        return start + k * self.stride


def uniform_prefix(lens: bytes, len_word: bytes, epids: bytes, epid_word: bytes,
                   n: int) -> int:
    """How many leading records have exactly this length (no busy/discard bit) and EPID."""
    want_len, want_epid = len_word * n, epid_word * n
    if lens == want_len and epids == want_epid:
        return n
    lo, hi = 0, n  # binary search on C-speed prefix comparisons
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if lens[:4 * mid] == want_len[:4 * mid] and epids[:4 * mid] == want_epid[:4 * mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def bulk_printer(info, write: Callable[[str], None]) -> BulkPrintf | None:
    """A bulk formatter for the clause, when its records allow one."""
    if len(info.actions) != 1 or not isinstance(info.actions[0], C.PrintfAct) \
            or info.actions[0].func != "printf":  # system()/freopen() act, not print
        return None
    act = info.actions[0]
    fmt, codes = [], []
    fields = iter(act.fields)
    for item in act.convs:
        if isinstance(item, str):
            fmt.append(item.replace("%", "%%"))
            continue
        if item.conv == "%":
            fmt.append("%%")
            continue
        spec = python_spec(item)
        fld = next(fields, None)
        if spec is None or fld is None or fld.kind != "int":
            return None
        fmt.append(spec)
        codes.append((fld, struct_code(item, fld)))
    if next(fields, None) is not None:
        return None
    layout = record_struct(codes, info.layout.padded_size)
    return BulkPrintf(info.epid, info.layout.padded_size, "".join(fmt), layout, write)


def record_struct(codes: list, rec_size: int) -> struct.Struct:
    """One struct for ring header + record: pads, then each field at its offset."""
    parts, pos = [f"{RING_HDR + RECORD_DATA}x"], RECORD_DATA
    for fld, code in codes:
        if fld.offset < pos:
            raise ValueError("fields out of order")
        if fld.offset > pos:
            parts.append(f"{fld.offset - pos}x")
        parts.append(code)
        pos = fld.offset + fld.size
    stride = (rec_size + RING_HDR + 7) & ~7
    tail = stride - RING_HDR - pos
    if tail:
        parts.append(f"{tail}x")
    return struct.Struct("<" + "".join(parts))
