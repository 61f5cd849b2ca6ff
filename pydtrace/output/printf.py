"""The D printf engine: parse, type-check and format ``printf``/``printa`` formats.

Behaviour follows illumos libdtrace ``dt_printf.c``:

* a conversion is ``%[flags][width][.prec][size]conv``; the flags are
  ``# 0 - + ' space`` and ``@`` (aggregation value, printa only); ``?`` sets the
  width to 16 (LP64); ``*`` takes the width or precision from the argument list
  (order: width, precision, value);
* a width or precision of 0 counts as "not given" (so ``%.0f`` prints like ``%f``
  and a dynamic precision of 0 prints the whole string), as in dt_printf_format;
* the integer size is inferred from the argument: ``%d`` prints signed 4/8-byte
  values signed, unsigned ones unsigned, and 1/2-byte values zero-extended
  (illumos pfprint_uint); ``%i``/``%c`` always sign-extend; ``%u %o %x %X %p``
  print the unsigned value of the argument's size.

Formatting is done on bytes (like C: widths and precisions count bytes), and the
result is decoded as UTF-8 with ``surrogateescape``: write it back with
``s.encode("utf-8", "surrogateescape")`` to get DTrace's exact bytes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydtrace.errors import DCompileError

Width = int | None | Literal["*"]
SymFunc = Callable[[int], str]
ENC = "utf-8"
ERRS = "surrogateescape"


@dataclass(frozen=True)
class ArgType:
    """Compile-time description of one printf argument (or aggregation key).

    ``kind`` is one of 'int', 'ptr', 'string', 'chararray', 'float', 'struct',
    'array', 'void', 'stack', 'symaddr', 'usymaddr', 'uaddr'; ``name`` is the D
    type name used in error messages (``int``, ``char [16]``, ``string``).
    """

    kind: str
    size: int
    signed: bool
    name: str


@dataclass(frozen=True)
class Conv:
    """One conversion of a format string; ``text`` is the spec as written."""

    text: str
    flags: str
    width: Width
    prec: Width
    size: str
    conv: str
    agg: bool

    @property
    def name(self) -> str:
        """The dictionary name DTrace reports (``d``, ``lld``, ``hx`` ...)."""
        return self.size + self.conv


Item = str | Conv

# --------------------------------------------------------------------------
# Conversion dictionary: name -> (prototype text for messages, checker id)
# --------------------------------------------------------------------------
_XINT = "char, short, int, long, or long long"
_CSI = "char, short, or int"
_FP = "float, double, or long double"
_ADDR = "pointer or integer"
_UADDR = "pointer or integer (with -p/-c) or _usymaddr (without -p/-c)"
_CSTR = "char [] or string (or use stringof)"
_WSTR = "wchar_t []"

_DICT: dict[str, tuple[str, str]] = {
    "a": (_ADDR, "kaddr"), "A": (_UADDR, "uaddr"), "c": (_CSI, "csi"),
    "C": (_CSI, "csi"), "d": (_XINT, "xint"), "e": (_FP, "fp"), "E": (_FP, "fp"),
    "f": (_FP, "fp"), "g": (_FP, "fp"), "G": (_FP, "fp"),
    "hd": ("short", "type"), "hi": ("short", "type"),
    "ho": ("unsigned short", "type"), "hu": ("unsigned short", "type"),
    "hx": ("short", "xshort"), "hX": ("short", "xshort"),
    "i": (_XINT, "xint"), "I": (_CSTR, "str"), "k": ("stack", "stack"),
    "lc": ("int", "type"), "ld": ("long", "type"), "li": ("long", "type"),
    "lo": ("unsigned long", "type"), "lu": ("unsigned long", "type"),
    "ls": (_WSTR, "wstr"), "lx": ("long", "xlong"), "lX": ("long", "xlong"),
    "lld": ("long long", "type"), "lli": ("long long", "type"),
    "llo": ("unsigned long long", "type"), "llu": ("unsigned long long", "type"),
    "llx": ("long long", "xlong"), "llX": ("long long", "xlong"),
    "Le": ("long double", "type"), "LE": ("long double", "type"),
    "Lf": ("long double", "type"), "Lg": ("long double", "type"),
    "LG": ("long double", "type"), "o": (_XINT, "xint"), "p": (_ADDR, "addr"),
    "P": ("uint16_t", "type"), "s": (_CSTR, "str"), "S": (_CSTR, "str"),
    "T": ("int64_t", "time"), "u": (_XINT, "xint"), "wc": ("int", "type"),
    "ws": (_WSTR, "wstr"), "x": (_XINT, "xint"), "X": (_XINT, "xint"),
    "Y": ("int64_t", "time"), "%": ("void", "type"),
}

# pfcheck_type prototypes approximated as (kind, size, signed) triples.
_TYPE_PROTO: dict[str, tuple[str, int, bool | None]] = {
    "short": ("int", 2, True), "unsigned short": ("int", 2, False),
    "int": ("int", 4, True), "long": ("int", 8, True),
    "unsigned long": ("int", 8, False), "long long": ("int", 8, True),
    "unsigned long long": ("int", 8, False), "long double": ("float", 16, None),
    "uint16_t": ("int", 2, False),
}

_FLAG_ORDER = "#0-+' "


def _fmt_error(msg: str) -> DCompileError:
    return DCompileError("D_PRINTF_ARG_FMT", msg)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------
class _SpecState:
    """Mutable scratch state while scanning one conversion (dt_printf_create)."""

    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.width: Width = None
        self.prec: Width = None
        self.dot = False
        self.digits = 0
        self.size = ""
        self.agg = False


def _scan_spec(fmt: str, start: int, num: int) -> tuple[Conv, int]:
    """Scan the conversion whose ``%`` is at ``start``; return it and the end index."""
    st = _SpecState()
    p = start + 1
    while True:
        if p >= len(fmt):
            raise _fmt_error(f"format conversion #{num} name expected before "
                             "end of format string")
        c = fmt[p]
        if c.isdigit() and c in "0123456789":
            p = _scan_digits(fmt, p, st)
            continue
        if _scan_flag(c, st, num):
            p += 1
            continue
        if c == "%":
            if p != start + 1:
                raise _fmt_error(f"format conversion #{num} cannot be combined "
                                 "with other format flags: %%")
            return Conv("%%", "", None, None, "", "%", False), p + 1
        if c in "hlLw":
            if len(st.size) < 6:
                st.size += c
            p += 1
            continue
        return _finish_spec(fmt, start, p, st, num), p + 1


def _scan_digits(fmt: str, p: int, st: _SpecState) -> int:
    """Digits: a leading 0 is the zero-pad flag, else a width or precision."""
    if not st.dot and st.digits == 0 and fmt[p] == "0":
        st.flags.add("0")
        st.flags.discard("-")
        return p + 1
    q = p
    while q < len(fmt) and fmt[q] in "0123456789":
        q += 1
    n = int(fmt[p:q])
    if st.dot:
        st.prec = n
    else:
        st.width = n
    st.digits += 1
    return q


def _scan_flag(c: str, st: _SpecState, num: int) -> bool:
    """Apply one flag character; False if ``c`` is not a flag."""
    if c in "#+' ":
        st.flags.add(c)
    elif c == "-":
        st.flags.add("-")
        st.flags.discard("0")
    elif c == "*":
        _scan_star(st, num)
    elif c == ".":
        if st.dot:
            raise _fmt_error(f"format conversion #{num} has more than one '.' specified")
        st.dot = True
        st.digits = 0
    elif c == "?":
        st.width = 16
    elif c == "@":
        st.agg = True
    elif c == "$":
        raise _fmt_error(f"format conversion #{num} uses unsupported positional "
                         "format (%n$)")
    else:
        return False
    return True


def _scan_star(st: _SpecState, num: int) -> None:
    if st.dot:
        if st.prec == "*":
            raise _fmt_error(f"format conversion #{num} has more than one '*' "
                             "specified for the output precision")
        st.prec = "*"
    else:
        if st.width == "*":
            raise _fmt_error(f"format conversion #{num} has more than one '*' "
                             "specified for the output width")
        st.width = "*"


def _finish_spec(fmt: str, start: int, p: int, st: _SpecState, num: int) -> Conv:
    name = st.size + fmt[p]
    if name not in _DICT:
        raise _fmt_error(f"format conversion #{num} is undefined: %{name}")
    flags = "".join(f for f in _FLAG_ORDER if f in st.flags)
    width = None if st.width == 0 else st.width
    prec = None if st.prec == 0 else st.prec
    return Conv(fmt[start:p + 1], flags, width, prec, st.size, fmt[p], st.agg)


def parse_format(fmt: str) -> list[Item]:
    """Split ``fmt`` into literal text chunks and :class:`Conv` items.

    Raises DCompileError(D_PRINTF_ARG_FMT) with dtrace's wording for bad specs.
    """
    items: list[Item] = []
    pos = 0
    num = 0
    while True:
        pct = fmt.find("%", pos)
        if pct < 0:
            break
        num += 1
        if pct > pos:
            items.append(fmt[pos:pct])
        conv, pos = _scan_spec(fmt, pct, num)
        items.append(conv)
    if pos < len(fmt):
        items.append(fmt[pos:])
    return items


# --------------------------------------------------------------------------
# Compile-time checking (dt_printf_validate)
# --------------------------------------------------------------------------
def _is_int(a: ArgType) -> bool:
    return a.kind == "int"


def _check_type(proto: str, a: ArgType) -> bool:
    kind, size, signed = _TYPE_PROTO.get(proto, ("?", 0, None))
    if proto == "void":
        return a.kind == "void"
    return a.kind == kind and a.size == size and (signed is None or a.signed == signed)


def _arg_ok(conv: Conv, a: ArgType, have_target: bool) -> bool:
    """The pfcheck_* predicate for ``conv`` applied to argument type ``a``."""
    proto, check = _DICT[conv.name]
    checks: dict[str, Callable[[], bool]] = {
        "kaddr": lambda: a.kind in ("ptr", "int", "symaddr"),
        "uaddr": lambda: a.kind == "usymaddr" or (
            have_target and a.kind in ("ptr", "int")),
        "addr": lambda: a.kind in ("ptr", "int"),
        "csi": lambda: _is_int(a) and a.size <= 4,
        "xint": lambda: _is_int(a),
        "fp": lambda: a.kind == "float",
        "str": lambda: a.kind in ("string", "chararray"),
        "wstr": lambda: a.kind == "array" and "wchar" in a.name,
        "stack": lambda: a.kind == "stack",
        "time": lambda: _is_int(a) and a.size == 8,
        "xshort": lambda: _is_int(a) and a.size == 2,
        "xlong": lambda: _is_int(a) and a.size == 8,
        "type": lambda: _check_type(proto, a),
    }
    return checks[check]()


def _agg_value_type(agg_kind: str | None) -> ArgType:
    """%@ arguments are uint64_t for count() and int64_t otherwise."""
    if agg_kind == "count":
        return ArgType("int", 8, False, "uint64_t")
    return ArgType("int", 8, True, "int64_t")


def _check_dyn(func: str, conv: Conv, idx: int, args: Sequence[ArgType],
               j: int, argno: int) -> int:
    """Consume the ``*`` width/precision arguments of ``conv``; return new j."""
    for dyn in [d for d, v in (("*", conv.width), (".*", conv.prec)) if v == "*"]:
        if j >= len(args):
            raise DCompileError(
                "D_PRINTF_DYN_PROTO",
                f'{func}( ) prototype mismatch: conversion #{idx} (%{conv.name}) '
                f'is missing a corresponding "{dyn}" argument')
        if not _is_int(args[j]):
            raise DCompileError(
                "D_PRINTF_DYN_TYPE",
                f"{func}( ) argument #{j + argno} is incompatible with conversion "
                f"#{idx} prototype:\n\tconversion: % {dyn} {conv.name}\n"
                f"\t prototype: int\n\t  argument: {args[j].name}")
        j += 1
    return j


def check_printf(func: str, fmt: str | list[Item], args: Sequence[ArgType], *,
                 printa: bool = False, agg_kind: str | None = None,
                 have_target: bool = False, arg_offset: int = 1) -> list[Item]:
    """Parse and type-check a format against its arguments (dt_printf_validate).

    ``args`` are the value arguments after the format (for printa: the key
    types). ``arg_offset`` is the number of arguments before them (1 for
    printf's format string), used for ``argument #N`` in messages. Returns the
    parsed items. Raises DCompileError with DTrace's tag and message.
    """
    items = parse_format(fmt) if isinstance(fmt, str) else fmt
    if isinstance(fmt, str) and fmt == "":
        raise DCompileError("D_PRINTF_FMT_EMPTY", f"{func}( ) format string is empty")
    j = 0
    idx = 0
    for item in items:
        if isinstance(item, str):
            continue
        idx += 1
        if item.conv == "%":
            continue
        j = _check_dyn(func, item, idx, args, j, arg_offset + 1)
        j = _check_value(func, item, idx, args, j, printa, agg_kind, have_target,
                         arg_offset)
    if not printa and j < len(args):
        raise DCompileError(
            "D_PRINTF_ARG_EXTRA",
            f"{func}( ) prototype mismatch: only {j} arguments required by this "
            "format string")
    return items


def _check_value(func: str, conv: Conv, idx: int, args: Sequence[ArgType], j: int,
                 printa: bool, agg_kind: str | None, have_target: bool,
                 arg_offset: int) -> int:
    """Check the value argument of one conversion; return the new arg index."""
    if conv.agg:
        if not printa:
            raise DCompileError(
                "D_PRINTF_AGG_CONV",
                f"%@ conversion requires an aggregation and is not for use with {func}( )")
        vname, arg = "aggregating action", _agg_value_type(agg_kind)
    elif j >= len(args):
        raise DCompileError(
            "D_PRINTF_ARG_PROTO",
            f"{func}( ) prototype mismatch: conversion #{idx} (%{conv.name}) is "
            "missing a corresponding value argument")
    else:
        vname, arg = f"argument #{j + arg_offset + 1}", args[j]
        j += 1
    if not _arg_ok(conv, arg, have_target):
        proto = _DICT[conv.name][0]
        raise DCompileError(
            "D_PRINTF_ARG_TYPE",
            f"{func}( ) {vname} is incompatible with conversion #{idx} prototype:\n"
            f"\tconversion: %{conv.name}\n\t prototype: {proto}\n"
            f"\t  argument: {arg.name}")
    return j


# --------------------------------------------------------------------------
# Runtime value conversion helpers
# --------------------------------------------------------------------------
def to_unsigned(v: int, size: int) -> int:
    """The unsigned value of ``v`` truncated to ``size`` bytes."""
    return int(v) & ((1 << (8 * size)) - 1)


def to_signed(v: int, size: int) -> int:
    """The two's-complement signed value of ``v`` truncated to ``size`` bytes."""
    bits = 8 * size
    u = int(v) & ((1 << bits) - 1)
    return u - (1 << bits) if u >> (bits - 1) else u


def c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def as_bytes(v: object) -> bytes:
    """A string value as C sees it: bytes up to (not including) the first NUL."""
    b = v if isinstance(v, (bytes, bytearray)) else str(v).encode(ENC, ERRS)
    n = b.find(b"\0")
    return bytes(b if n < 0 else b[:n])


_ESC = {0: b"\\0", 7: b"\\a", 8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r",
        9: b"\\t", 11: b"\\v", 34: b'\\"', 92: b"\\\\", 32: b" "}


def escape_bytes(b: bytes) -> bytes:
    """strchr2esc: C escapes for specials, ``\\ooo`` for other non-graphic bytes."""
    out = bytearray()
    for c in b:
        e = _ESC.get(c)
        if e is not None:
            out += e
        elif 33 <= c <= 126:
            out.append(c)
        else:
            out += b"\\%03o" % c
    return bytes(out)


def format_ymd(ns: int) -> str:
    """%Y: ``2004 Jul 20 13:26:32`` in local time (ctime fields, day space-padded)."""
    t = time.localtime(c_div(to_signed(ns, 8), 1_000_000_000))
    return time.strftime("%Y %b %e %H:%M:%S", t)


def format_rfc822(ns: int) -> str:
    """%T: strftime ``%a, %d %b %G %T %Z`` of the local time."""
    t = time.localtime(c_div(to_signed(ns, 8), 1_000_000_000))
    return time.strftime("%a, %d %b %G %T %Z", t)


def format_port(v: int) -> str:
    """%P: service name of a network-order port, else the raw number."""
    import socket  # lazy: socket costs ~3 ms of start-up and only %P needs it

    raw = to_unsigned(v, 2)
    port = int.from_bytes(raw.to_bytes(2, "little"), "big")
    try:
        return socket.getservbyport(port)
    except OSError:
        return str(raw)


def format_addr_default(v: int) -> str:
    """Fallback for %a/%A without a symbol resolver: ``0x<hex>``."""
    return f"0x{to_unsigned(v, 8):x}"


def format_kaddr(v: int) -> str:
    """%a: a kernel address as ``module`symbol+0xoff`` (``0x<hex>`` if unknown)."""
    from pydtrace.sys import kallsyms

    try:
        return kallsyms.frame(to_unsigned(v, 8))
    except OSError:
        return format_addr_default(v)


# --------------------------------------------------------------------------
# Compiling a conversion to a Python %-spec plus a value converter
# --------------------------------------------------------------------------
@dataclass
class Options:
    """Consumer-side context for conversions that need more than the value."""

    sym: SymFunc | None = None          # %a: kernel address -> mod`sym+0xoff
    usym: SymFunc | None = None         # %A: user address -> lib`sym+0xoff
    resolve_host: Callable[[str], str] | None = None   # %I


def _int_conv(conv: Conv, arg: ArgType) -> tuple[str, Callable[[object], object]]:
    """Python conversion char and value transform for integer conversions."""
    c, size = conv.conv, arg.size if arg.size in (1, 2, 4, 8) else 8
    if c == "i" or c == "c" or (c == "d" and size >= 4 and arg.signed):
        pyc = {"i": "d", "c": "c", "d": "d"}[c]
        if c == "c":
            return "c", lambda v: to_signed(v, size) & 0xFF
        return pyc, lambda v: to_signed(v, size)
    pyc = {"d": "d", "u": "d", "o": "o", "x": "x", "X": "X", "p": "x"}[c]
    return pyc, lambda v: to_unsigned(v, size)


def _spec_text(flags: str, width: object, prec: object, pyc: str) -> str:
    w = "" if width in (None, 0) else str(width)
    p = "" if prec in (None, 0) else f".{prec}"
    if p and pyc in "doxX":
        flags = flags.replace("0", "")  # C ignores 0 when an int has a precision
    return f"%{flags.replace(chr(39), '')}{w}{p}{pyc}"


def _c_alt_int(spec: str, v: int, pyc: str) -> bytes:
    """C's ``#`` for o/x/X: ``0x`` only on non-zero values, octal gets one 0."""
    plain = spec.replace("#", "")
    if v == 0:
        return (plain % 0).encode()
    if pyc == "o":
        digits = "0" + format(v, "o")
        return (plain.replace("o", "s") % digits).encode()
    return (spec % v).encode()


class _Compiled:
    """A compiled conversion: how many values it takes and how to render them."""

    __slots__ = ("nvals", "fast_spec", "fast_conv", "render")

    def __init__(self, nvals: int, fast_spec: str | None,
                 fast_conv: Callable[[object], object] | None,
                 render: Callable[[Sequence[object]], bytes] | None) -> None:
        self.nvals = nvals
        self.fast_spec = fast_spec
        self.fast_conv = fast_conv
        self.render = render


def _value_conv(conv: Conv, arg: ArgType, opts: Options
                ) -> tuple[str, Callable[[object], object]]:
    """(python conversion char, converter) for the value of one conversion."""
    c = conv.conv
    if c in "diuoxXcp":
        return _int_conv(conv, arg)
    if c in "eEfgG":
        return c, lambda v: float(v)  # type: ignore[arg-type]
    return "s", _string_converter(c, opts)


def _string_converter(c: str, opts: Options) -> Callable[[object], object]:
    """Converters for conversions that print through ``%s``."""
    table: dict[str, Callable[[object], object]] = {
        "s": as_bytes,
        "S": lambda v: escape_bytes(as_bytes(v)),
        "C": lambda v: escape_bytes(bytes([to_signed(v, 4) & 0xFF])),  # type: ignore[arg-type]
        "a": lambda v: (opts.sym or format_kaddr)(v).encode(ENC, ERRS),  # type: ignore[arg-type]
        "A": lambda v: (opts.usym or format_addr_default)(v).encode(ENC, ERRS),  # type: ignore[arg-type]
        "Y": lambda v: format_ymd(v).encode(),  # type: ignore[arg-type]
        "T": lambda v: format_rfc822(v).encode(),  # type: ignore[arg-type]
        "P": lambda v: format_port(v).encode(),  # type: ignore[arg-type]
        "I": lambda v: (opts.resolve_host or str)(as_bytes(v).decode(ENC, ERRS)
                                                  ).encode(ENC, ERRS),
        "k": lambda v: v,
    }
    if c in ("l", "w"):
        return as_bytes
    return table.get(c, as_bytes)


def _render_stack(conv: Conv, width: object, frames: object) -> bytes:
    """%k: each frame on its own line; ``%-Nk`` indents by N, else no indent."""
    if isinstance(frames, (str, bytes)):
        return as_bytes(frames) if isinstance(frames, bytes) else frames.encode(ENC, ERRS)
    left = "-" in conv.flags or (isinstance(width, int) and width < 0)
    indent = abs(width) if (left and isinstance(width, int)) else 0
    spec = "%s" if left or width in (None, 0) else f"%{width}s"
    out = [b"\n"]
    for f in frames:  # type: ignore[attr-defined]
        out.append(b" " * indent + (spec % f).encode(ENC, ERRS) + b"\n")
    return b"".join(out)


def _compile_conv(conv: Conv, arg: ArgType, opts: Options) -> _Compiled:
    """Compile one conversion; the fast path is a static bytes %-spec."""
    if conv.conv == "%":
        return _Compiled(0, "%%", None, None)
    pyc, fn = _value_conv(conv, arg, opts)
    dyn = conv.width == "*" or conv.prec == "*"
    nvals = 1 + (conv.width == "*") + (conv.prec == "*")
    alt_int = "#" in conv.flags and pyc in "oxX" and conv.conv in "oxXp"
    if conv.conv == "k":
        return _Compiled(nvals, None, None, _stack_renderer(conv))
    if not dyn and not alt_int:
        return _Compiled(1, _spec_text(conv.flags, conv.width, conv.prec, pyc), fn, None)
    return _Compiled(nvals, None, None, _slow_renderer(conv, pyc, fn, alt_int))


def _take_dyn(conv: Conv, vals: Sequence[object]) -> tuple[object, object, object]:
    """Split (width, prec, value) for a conversion with ``*`` parts."""
    i = 0
    width, prec = conv.width, conv.prec
    if width == "*":
        width = to_signed(vals[i], 4)  # type: ignore[arg-type]
        i += 1
    if prec == "*":
        prec = to_signed(vals[i], 4)  # type: ignore[arg-type]
        i += 1
    return width, prec, vals[i]


def _slow_renderer(conv: Conv, pyc: str, fn: Callable[[object], object],
                   alt_int: bool) -> Callable[[Sequence[object]], bytes]:
    def render(vals: Sequence[object]) -> bytes:
        width, prec, value = _take_dyn(conv, vals)
        flags = conv.flags
        if isinstance(width, int) and width < 0:
            flags, width = (flags.replace("0", "") + "-"), -width
        if isinstance(prec, int) and prec < 0:
            prec = None
        spec = _spec_text(flags, width, prec, pyc)
        v = fn(value)
        if alt_int:
            return _c_alt_int(spec, v, pyc)  # type: ignore[arg-type]
        return spec.encode() % v
    return render


def _stack_renderer(conv: Conv) -> Callable[[Sequence[object]], bytes]:
    def render(vals: Sequence[object]) -> bytes:
        width, _prec, value = _take_dyn(conv, vals)
        return _render_stack(conv, width, value)
    return render


def _literal(text: str) -> bytes:
    return text.encode(ENC, ERRS).replace(b"%", b"%%")


def compile_printf(items: Sequence[Item], args: Sequence[ArgType],
                   opts: Options | None = None) -> Callable[[Sequence[object]], str]:
    """Compile parsed ``items`` for the given argument types into a formatter.

    The returned function takes the flat tuple of recorded values (for each
    conversion: width if ``*``, precision if ``.*``, then the value) and returns
    the text. When every conversion is static, formatting is one ``fmt % tuple``.
    """
    opts = opts or Options()
    parts: list[tuple[bytes, _Compiled | None]] = []
    it = iter(args)
    for item in items:
        if isinstance(item, str):
            parts.append((_literal(item), None))
            continue
        parts.append((b"", _compile_conv(item, _arg_for(item, it), opts)))
    return _assemble(parts)


_I64 = ArgType("int", 8, True, "int64_t")


def _arg_for(item: Conv, it: Iterator[ArgType]) -> ArgType:
    """Skip the ``*`` argument types and return the value's type."""
    if item.conv == "%":
        return _I64
    if item.width == "*":
        next(it)
    if item.prec == "*":
        next(it)
    return next(it)


def _assemble(parts: list[tuple[bytes, _Compiled | None]]
              ) -> Callable[[Sequence[object]], str]:
    if all(c is None or c.fast_spec is not None for _, c in parts):
        return _fast_formatter(parts)
    return _slow_formatter(parts)


def _fast_formatter(parts: list[tuple[bytes, _Compiled | None]]
                    ) -> Callable[[Sequence[object]], str]:
    fmt = b"".join(lit if c is None else c.fast_spec.encode() for lit, c in parts)  # type: ignore[union-attr]
    convs = [c.fast_conv for _, c in parts if c is not None and c.fast_conv is not None]
    if not convs:
        text = (fmt % ()).decode(ENC, ERRS)
        return lambda vals: text

    def run(vals: Sequence[object]) -> str:
        return (fmt % tuple(f(v) for f, v in zip(convs, vals, strict=False))).decode(ENC, ERRS)
    return run


def _slow_formatter(parts: list[tuple[bytes, _Compiled | None]]
                    ) -> Callable[[Sequence[object]], str]:
    def run(vals: Sequence[object]) -> str:
        out: list[bytes] = []
        i = 0
        for lit, c in parts:
            if c is None:
                out.append(lit.replace(b"%%", b"%"))
            elif c.fast_spec is not None:
                v = () if c.fast_conv is None else c.fast_conv(vals[i])
                out.append(c.fast_spec.encode() % v)
                i += c.nvals
            else:
                out.append(c.render(vals[i:i + c.nvals]))  # type: ignore[misc]
                i += c.nvals
        return b"".join(out).decode(ENC, ERRS)
    return run


def format_printf(items: Sequence[Item], args: Sequence[ArgType],
                  values: Sequence[object], opts: Options | None = None) -> str:
    """Format once (convenience wrapper around :func:`compile_printf`)."""
    return compile_printf(items, args, opts)(values)
