# ruff: noqa: UP031  -- %-formats deliberately mirror dtrace's C printf formats
"""trace() records, default probe output, ``-l`` listing and drop messages.

Formats follow illumos ``dt_consume.c`` (dt_consume_cpu, dt_print_bytes,
dt_print_stack) and ``dt_handle.c`` (drop messages).
"""

from __future__ import annotations

from collections.abc import Sequence

STACK_INDENT = 14

# C-locale isprint() or isspace(), plus \b and \a (dt_print_bytes).
_PRINTABLE = frozenset(range(0x20, 0x7F)) | frozenset(b"\t\n\v\f\r\b\a")


def format_trace_int(value: int, size: int, quiet: bool) -> str:
    """trace() of an integer record of ``size`` bytes.

    8 B is signed ``%lld``, 4 B is the uint32 printed with ``%d`` (so signed),
    2 B and 1 B are printed unsigned; non-quiet pads to 16/8/5/3 after a space.
    """
    bits = 8 * size
    u = int(value) & ((1 << bits) - 1)
    v = u - (1 << bits) if size >= 4 and u >> (bits - 1) else u
    if quiet:
        return str(v)
    width = {8: 16, 4: 8, 2: 5, 1: 3}[size]
    return " %*d" % (width, v)


def is_printable_string(b: bytes) -> bool:
    """dt_print_bytes' test: printable up to a NUL (not first) then only NULs, or
    all printable without a NUL."""
    for i, c in enumerate(b):
        if c in _PRINTABLE:
            continue
        return c == 0 and i > 0 and not any(b[i + 1:])
    return len(b) > 0


def _decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def format_bytes(b: bytes, width: int, quiet: bool, rawbytes: bool = False) -> str:
    """dt_print_bytes: a string when printable, else a hex dump.

    ``width`` is negative for left-justification (-33 for trace, -50 for keys).
    A NUL-terminated string prints ``%s`` when quiet, else ``" " + " " +
    "%-33s"``; a string without NUL always prints ``"  %-*s"`` (even when
    quiet, as illumos does).
    """
    if not b:
        return ""
    if not rawbytes and is_printable_string(b):
        nul = b.find(b"\0")
        if nul < 0:
            return "  %-*s" % (abs(width), _decode(b))
        s = _decode(b[:nul])
        if quiet:
            return s
        pad = " " if width < 0 else ""
        return " " + pad + ("%-*s" % (-width, s) if width < 0 else "%*s" % (width, s))
    return hexdump(b)


def format_trace_string(s: bytes | str, quiet: bool) -> str:
    """trace() of a string: ``"  %-33s"`` or, quiet, ``"%s"``."""
    text = s if isinstance(s, str) else _decode(s.split(b"\0", 1)[0])
    return text if quiet else "  %-33s" % text


def format_trace_bytes(b: bytes, quiet: bool, rawbytes: bool = False) -> str:
    """trace() of a non-integer record (strings, structs, arrays)."""
    return format_bytes(b, -33, quiet, rawbytes)


def format_tracemem(b: bytes) -> str:
    """tracemem() output: always a hex dump."""
    return hexdump(b) if b else ""


def hexdump(b: bytes) -> str:
    """The raw-bytes dump: a header row of 0..f, then 16 bytes per row."""
    margin = " " * 5
    out = ["\n", margin, "      "]
    out.extend("  %c" % c for c in "0123456789abcdef")
    out.append("  0123456789abcdef\n")
    for i in range(0, len(b), 16):
        row = b[i:i + 16]
        out.append("%s%5x:" % (margin, i))
        out.extend(" %02x" % c for c in row)
        out.append("   " * (16 - len(row)))
        out.append("  ")
        out.append("".join(chr(c) if 0x20 <= c <= 0x7E else "." for c in row))
        out.append("\n")
    return "".join(out)


def format_stack(frames: Sequence[str], indent: int = STACK_INDENT) -> str:
    """stack()/ustack(): a newline then one indented line per symbolized frame."""
    pad = " " * indent
    return "\n" + "".join(f"{pad}{f}\n" for f in frames)


def format_symbol(text: str) -> str:
    """sym()/mod()/usym()/uaddr()/umod() records: ``"  %-50s"``."""
    return "  %-50s" % text


# --------------------------------------------------------------------------
# Default per-probe output
# --------------------------------------------------------------------------
# Oracle dtrace(1) with _DTRACE_TESTING set in its environment leaves the CPU and
# ID columns out of the header and of every probe line (reproducible test output).


def header_line(testing: bool = False) -> str:
    """The ``CPU     ID                    FUNCTION:NAME`` header."""
    if testing:
        return "%32s\n" % "FUNCTION:NAME"
    return "%3s %6s %32s\n" % ("CPU", "ID", "FUNCTION:NAME")


def probe_prefix(cpu: int, probe_id: int, func: str, name: str, testing: bool = False) -> str:
    """Start of a non-quiet probe line: CPU, probe ID, ``func:name``, space."""
    if testing:
        return "%32s " % f"{func}:{name}"
    return "%3d %6d %32s " % (cpu, probe_id, f"{func}:{name}")


def flow_header(testing: bool = False) -> str:
    """Header printed with flowindent (-F)."""
    if testing:
        return "%-41s\n" % "FUNCTION"
    return "%3s %-41s\n" % ("CPU", "FUNCTION")


def flow_kind(provider: str, name: str) -> str:
    """'entry', 'return' or 'none': ``entry``/``*-entry``, ``return``/``*-return``."""
    for kind in ("entry", "return"):
        if name == kind or name.endswith("-" + kind):
            return kind
    return "none"


def flow_marker(provider: str, kind: str) -> str:
    """`` -> ``/`` <- `` (`` => ``/`` <= `` for syscall), else ``| ``."""
    sys_ = provider == "syscall"
    if kind == "entry":
        return " => " if sys_ else " -> "
    if kind == "return":
        return " <= " if sys_ else " <- "
    return "| "


def flow_prefix(cpu: int, indent: int, kind: str, func: str, name: str,
                provider: str = "", testing: bool = False) -> str:
    """A flowindent probe line start: ``"%3d %-41s "`` of indent+marker+func.

    ``kind`` is 'entry', 'return' or 'none'; non entry/return probes append
    ``:name``. The caller tracks ``indent`` (+2 after entry, -2 before return).
    """
    text = " " * indent + flow_marker(provider, kind) + func
    if kind == "none":
        text += ":" + name
    if testing:
        return "%-41s " % text
    return "%3d %-41s " % (cpu, text)


# --------------------------------------------------------------------------
# dtrace -l
# --------------------------------------------------------------------------
def listing_header() -> str:
    """``   ID   PROVIDER            MODULE                          FUNCTION NAME``."""
    return "%5s %10s %17s %33s %s\n" % ("ID", "PROVIDER", "MODULE", "FUNCTION", "NAME")


def listing_row(probe_id: int, prov: str, mod: str, func: str, name: str) -> str:
    """One ``dtrace -l`` row."""
    return "%5d %10s %17s %33s %s\n" % (probe_id, prov, mod, func, name)


# --------------------------------------------------------------------------
# Drops
# --------------------------------------------------------------------------
# kind -> (tag, noun, suffix); CPU-attributed kinds put "on CPU N" at the end.
_DROPS: dict[str, tuple[str, str, str]] = {
    "principal": ("DTRACEDROP_PRINCIPAL", "drop", ""),
    "aggregation": ("DTRACEDROP_AGGREGATION", "aggregation drop", ""),
    "dynamic": ("DTRACEDROP_DYNAMIC", "dynamic variable drop", ""),
    "dynrinse": ("DTRACEDROP_DYNRINSE", "dynamic variable drop",
                 " with non-empty rinsing list"),
    "dyndirty": ("DTRACEDROP_DYNDIRTY", "dynamic variable drop",
                 " with non-empty dirty list"),
    "spec": ("DTRACEDROP_SPEC", "speculative drop", ""),
    "specbusy": ("DTRACEDROP_SPECBUSY", "failed speculation",
                 " (available buffer(s) still busy)"),
    "specunavail": ("DTRACEDROP_SPECUNAVAIL", "failed speculation",
                    " (no speculative buffer available)"),
    "stkstroverflow": ("DTRACEDROP_STKSTROVERFLOW",
                       "jstack()/ustack() string table overflow", ""),
    "dblerror": ("DTRACEDROP_DBLERROR", "error", " in ERROR probe enabling"),
}

DROP_KINDS = tuple(_DROPS)


def drop_message(kind: str, count: int, cpu: int | None = None,
                 droptags: bool = False) -> str:
    """The drop text dtrace(1) prints after ``dtrace: `` (newline included).

    ``kind`` is one of :data:`DROP_KINDS`; ``cpu`` is used by 'principal' and
    'aggregation' (``N drops on CPU C``). Plural ``s`` when count > 1.
    """
    tag, noun, suffix = _DROPS[kind]
    prefix = f"[{tag}] " if droptags else ""
    plural = "s" if count > 1 else ""
    where = f" on CPU {cpu}" if kind in ("principal", "aggregation") else ""
    return f"{prefix}{count} {noun}{plural}{suffix}{where}\n"
