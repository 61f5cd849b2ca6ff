"""The streaming fast path: runs of identical printf records decoded in bulk."""

from __future__ import annotations

import struct

from pydtrace.codegen.context import ClauseInfo
from pydtrace.codegen.layout import RecordLayout
from pydtrace.consume import actions as C
from pydtrace.consume.bulk import bulk_printer, uniform_prefix
from pydtrace.output.printf import ArgType, parse_format


def make_info(fmt: str, sizes: list[tuple[int, bool]]) -> ClauseInfo:
    layout = RecordLayout()
    fields = [layout.add(size, "int", signed) for size, signed in sizes]
    types = [ArgType("int", size, signed, "int") for size, signed in sizes]
    info = ClauseInfo(7, 1, layout)
    info.actions.append(C.PrintfAct("printf", parse_format(fmt), types, fields))
    return info


def ring_records(info: ClauseInfo, rows: list[tuple], epid: int = 7) -> bytearray:
    size = info.layout.padded_size
    stride = (size + 8 + 7) & ~7
    out = bytearray()
    for row in rows:
        rec = bytearray(stride)
        struct.pack_into("<II", rec, 0, size, 0)
        struct.pack_into("<II", rec, 8, epid, 99)
        for fld, value in zip(info.actions[0].fields, row, strict=True):
            code = {4: "i", 8: "q"}[fld.size]
            struct.pack_into("<" + (code if fld.signed else code.upper()), rec, 8 + fld.offset,
                             value)
        out += rec
    return out


def test_bulk_formats_a_run_like_printf() -> None:
    info = make_info("%d|%5u|%x\n", [(8, True), (4, True), (8, True)])
    written: list[str] = []
    bulk = bulk_printer(info, written.append)
    assert bulk is not None
    data = ring_records(info, [(i, -1, 255 + i) for i in range(6)])
    end = bulk.run(memoryview(data), 0, len(data))
    assert end == len(data)
    assert "".join(written).splitlines()[0] == "0|4294967295|ff"
    assert len("".join(written).splitlines()) == 6


def test_bulk_stops_at_a_busy_or_foreign_record() -> None:
    info = make_info("%d\n", [(8, True)])
    bulk = bulk_printer(info, [].append)
    assert bulk is not None
    data = ring_records(info, [(i,) for i in range(8)])
    stride = len(data) // 8
    struct.pack_into("<I", data, 5 * stride, (1 << 31) | info.layout.padded_size)  # busy
    assert bulk.run(memoryview(data), 0, len(data)) == 5 * stride


def test_strings_and_star_widths_take_the_slow_path() -> None:
    layout = RecordLayout()
    fld = layout.add(16, "string", align=1)
    info = ClauseInfo(1, 1, layout)
    info.actions.append(C.PrintfAct("printf", parse_format("%s\n"),
                                    [ArgType("string", 16, False, "string")], [fld]))
    assert bulk_printer(info, print) is None
    assert bulk_printer(make_info("%*d\n", [(4, True), (8, True)]), print) is None


def test_uniform_prefix_binary_search() -> None:
    word, ep = struct.pack("<I", 16), struct.pack("<I", 3)
    lens = word * 5 + struct.pack("<I", 17) + word * 2
    assert uniform_prefix(lens, word, ep * 8, ep, 8) == 5
    assert uniform_prefix(word * 4, word, ep * 4, ep, 4) == 4

