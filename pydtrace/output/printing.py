"""Text of the ``print()`` action: a value printed by its type, as illumos
``dt_print.c`` does (``mdb ::print -tn`` style).

The type is walked like ``ctf_type_visit``: the value itself at depth 0, then
struct and union members one level deeper, recursively. Each line is
``<type> <name> = <value>``, indented 4 spaces per depth (plus the nesting of
enclosing arrays); integers and pointers are ``%#x`` (0 prints as ``0``), chars
``'a'``, enums their name, floats ``%+.7e``; arrays are ``[ a, b ]`` (char
arrays holding a string print as ``"text"``), bit-fields ``int a :4 = 0x1``.
Members that lie past the recorded bytes (``-x printsize``) are left out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pydtrace.types import model as T


def type_name(t: T.DType) -> str:
    """The name ``ctf_type_name`` gives (``int [5]``, ``char *``, ``struct s``)."""
    if isinstance(t, T.ArrayType):
        dims = ""
        while isinstance(t, T.ArrayType):
            dims += f"[{t.count}]"
            t = t.elem
        base = type_name(t)
        return f"{base}{dims}" if base.endswith("*") else f"{base} {dims}"
    if isinstance(t, T.PointerType):
        inner = type_name(t.target)
        return f"{inner}*" if inner.endswith("*") else f"{inner} *"
    if isinstance(t, T.StructType):
        return f"{t.kind} {t.name or ''}"
    if isinstance(t, T.EnumType):
        return f"enum {t.name or ''}"
    return str(t)


def is_char(r: T.DType) -> bool:
    return isinstance(r, T.IntType) and r.size == 1 and r.signed and "char" in r.name


def isprint(c: int) -> bool:
    return 0x20 <= c < 0x7F


@dataclass
class PrintArg:
    data: bytes
    out: list[str] = field(default_factory=list)
    depth: int = 0
    nest: int = 0

    def write(self, s: str) -> None:
        self.out.append(s)

    def indent(self) -> None:
        self.write(" " * ((self.depth + self.nest) * 4))

    def trailing_braces(self, depth: int) -> None:
        for d in range(self.depth, depth, -1):
            self.write(" " * ((d + self.nest - 1) * 4) + "}" + ("" if d == depth + 1 else "\n"))


def fits(pa: PrintArg, off_bits: int, size: int) -> bool:
    return off_bits // 8 + max(size, 1) <= len(pa.data)


def visit(pa: PrintArg, t: T.DType, name: str, off: int, depth: int, bits: int = 0) -> None:
    """ctf_type_visit with dt_print_member as the callback; ``off`` in bits."""
    r = t.resolve()
    whole = 0 if isinstance(r, T.StructType | T.ArrayType | T.StringType) else r.size
    if not fits(pa, off, (off % 8 + bits + 7) // 8 if bits else whole):
        return
    member(pa, t, name, off, depth, bits)
    if isinstance(r, T.StructType) and r.complete:
        for m in r.members:
            visit(pa, m.type, m.name, off + m.offset * 8 + m.bit_offset, depth + 1, m.bits)


def member(pa: PrintArg, t: T.DType, name: str, off: int, depth: int, bits: int) -> None:
    pa.trailing_braces(depth)
    if depth < pa.depth:
        pa.write("\n")
    pa.depth = depth
    r = t.resolve()
    structlike = isinstance(r, T.StructType) and r.complete
    arraymember = pa.nest != 0 and depth == 0
    brief = arraymember and not structlike
    if not brief:
        if arraymember:
            pa.write("\n")
        pa.indent()
        tname = type_name(t)
        pa.write(tname)
        if name:
            if not tname.endswith(("*", " ")):
                pa.write(" ")
            pa.write(name)
            if bits or (isinstance(r, T.IntType) and off % 8):
                pa.write(f" :{bits or r.size * 8}")
            pa.write(" =")
        pa.write(" ")
    value(pa, t, r, off, bits)
    if not brief:
        pa.write("\n")


def raw(pa: PrintArg, off: int, size: int) -> bytes:
    return pa.data[off // 8:off // 8 + size]


def value(pa: PrintArg, t: T.DType, r: T.DType, off: int, bits: int) -> None:
    if bits:
        chunk = pa.data[off // 8:off // 8 + 8].ljust(8, b"\0")
        v = (int.from_bytes(chunk, "little") >> (off % 8)) & ((1 << bits) - 1)
        pa.write(f"{v:#x}" if v else "0")
    elif isinstance(r, T.EnumType):
        size = r.size if r.size in (1, 2, 4) else 0
        if not size:
            pa.write(f"<invalid enum size {r.size}>")
            return
        v = int.from_bytes(raw(pa, off, size), "little", signed=size == 4)
        pa.write(next((k for k, x in r.values.items() if x == v), str(v)))
    elif isinstance(r, T.IntType):
        data = raw(pa, off, r.size)
        if is_char(r):
            c = int.from_bytes(data, "little", signed=True)
            pa.write(f"'{chr(c)}'" if isprint(c) else "'\\0'" if c == 0
                     else f"'\\{c & 0xFFFFFFFF:03o}'")
        else:
            pa.write(hex_int(data))
    elif isinstance(r, T.PointerType):
        pa.write(hex_int(raw(pa, off, 8)))
    elif isinstance(r, T.FloatType):
        pa.write(float_text(raw(pa, off, r.size), r.size))
    elif isinstance(r, T.ArrayType | T.StringType):
        array(pa, r, off)
    elif isinstance(r, T.StructType):
        pa.write("{" if r.complete else "<forward decl>")
    else:
        pa.write(f"<invalid type {t}>")


def hex_int(data: bytes) -> str:
    if len(data) not in (1, 2, 4, 8):
        return f"<invalid size {len(data)}>"
    v = int.from_bytes(data, "little")
    return f"{v:#x}" if v else "0"  # C's %#x: no 0x prefix on zero


def float_text(data: bytes, size: int) -> str:
    if size == 4 and len(data) == 4:
        return f"{struct.unpack('<f', data)[0]:+.7e}"
    if size == 8 and len(data) == 8:
        return f"{struct.unpack('<d', data)[0]:+.7e}"
    if size == 16 and len(data) >= 10:  # x87 80-bit extended precision
        mant = int.from_bytes(data[:8], "little")
        se = int.from_bytes(data[8:10], "little")
        sign, exp = -1.0 if se & 0x8000 else 1.0, se & 0x7FFF
        v = 0.0 if exp == 0 and mant == 0 else sign * mant * 2.0 ** (exp - 16383 - 63)
        return f"{v:+.16E}"
    return "<unknown encoding>"


def array(pa: PrintArg, r: T.DType, off: int) -> None:
    if isinstance(r, T.StringType):
        elem: T.DType = T.CHAR
        count = r.size
    else:
        assert isinstance(r, T.ArrayType)
        elem, count = r.elem, r.count
    er = elem.resolve()
    esize = max(1, er.size)
    count = min(count, max(0, (len(pa.data) - off // 8) // esize))
    base = off // 8
    isstring = False
    if is_char(er):
        i = 0
        c = 0
        while i < count:
            c = pa.data[base + i]
            if not isprint(c) or c == 0:
                break
            i += 1
        isstring = i != count and c == 0
    brackets = not isstring or pa.depth != 0
    if brackets:
        pa.write("[ ")
    structlike = isinstance(er, T.StructType) and er.complete
    if isstring:
        end = pa.data.index(b"\0", base)
        pa.write('"' + pa.data[base:end].decode("latin-1") + '"')
    else:
        for i in range(count):
            sub = PrintArg(pa.data, pa.out, 0, pa.nest + pa.depth + 1)
            visit(sub, elem, "", off + i * esize * 8, 0)
            sub.trailing_braces(0)
            if i != count - 1:
                pa.write(", ")
            elif structlike:
                pa.write("\n")
    if brackets:
        if structlike:
            pa.indent()
        else:
            pa.write(" ")
        pa.write("]")


def format_print(t: T.DType, data: bytes) -> str:
    """The whole text of one print() record (dtrace_print)."""
    pa = PrintArg(data)
    visit(pa, t, "", 0, 0)
    pa.trailing_braces(0)
    return "".join(pa.out)


def print_handler(act, printer):
    """The consumer's callback for one print() record (consume.actions.PrintAct)."""
    write = printer.session.write
    t = act.type
    lo, hi = act.field.offset, act.field.offset + act.field.size
    if act.scalar_size:
        size = act.scalar_size

        def print_scalar(mv: memoryview) -> None:
            write(format_print(t, bytes(mv[lo:lo + size])))
        return print_scalar

    def print_value(mv: memoryview) -> None:
        write(format_print(t, bytes(mv[lo:hi])))
    return print_value
