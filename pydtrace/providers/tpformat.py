"""Parse tracefs ``events/GROUP/NAME/format`` files into typed fields.

A format file lists the record's fields, one a line::

    field:int __syscall_nr;	offset:8;	size:4;	signed:1;

The ``common_*`` fields (present in every record) come first; the event's own
fields follow, and those are what a probe exposes as arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELD_RE = re.compile(r"^\s*field:(?P<decl>[^;]*);\s*offset:(?P<off>\d+);\s*"
                      r"size:(?P<size>\d+);\s*signed:(?P<signed>\d+);")
ARRAY_RE = re.compile(r"\[[^\]]*\]\s*$")


@dataclass(frozen=True)
class TpField:
    """One record field: C type, name, byte offset and size, signedness."""

    ctype: str
    name: str
    offset: int
    size: int
    signed: bool

    @property
    def is_common(self) -> bool:
        return self.name.startswith("common_")


def split_decl(decl: str) -> tuple[str, str]:
    """``const char * filename`` -> (``const char *``, ``filename``); arrays keep
    their brackets on the name (``char comm[16]`` -> ``char``, ``comm[16]``)."""
    decl = decl.strip()
    suffix = ""
    m = ARRAY_RE.search(decl)
    if m:
        suffix, decl = m.group(0).strip(), decl[:m.start()].rstrip()
    m = re.search(r"[A-Za-z_]\w*$", decl)
    if not m:
        return decl, suffix
    return decl[:m.start()].strip(), m.group(0) + suffix


def parse_format(text: str) -> list[TpField]:
    """All fields of a format file, in file order (common fields included)."""
    fields = []
    for line in text.splitlines():
        m = FIELD_RE.match(line)
        if not m:
            continue
        ctype, name = split_decl(m.group("decl"))
        fields.append(TpField(ctype, name, int(m.group("off")), int(m.group("size")),
                              m.group("signed") == "1"))
    return fields


def event_fields(text: str) -> list[TpField]:
    """The event's own fields: everything after the ``common_*`` ones."""
    return [f for f in parse_format(text) if not f.is_common]


# How an argument is read from the record (the last item of an arg_layout entry).
VALUE, ADDRESS, DATA_LOC = 0, 1, 2


def arg_mode(f: TpField) -> int:
    if f.ctype.startswith("__data_loc"):
        return DATA_LOC
    return ADDRESS if "[" in f.name else VALUE


def arg_layout(fields: list[TpField], limit: int = 10) -> tuple[tuple[int, int, bool, int], ...]:
    """(offset, size, signed, mode) of each argument. Scalars are loaded with their
    size and sign; an inline array gives the address of its first element, a
    ``__data_loc`` field the address of the data it locates."""
    out = []
    for f in fields[:limit]:
        mode = arg_mode(f)
        size = f.size if mode == VALUE and f.size in (1, 2, 4, 8) else 8
        if mode == DATA_LOC:
            size = 4
        out.append((f.offset, size, f.signed, mode))
    return tuple(out)


def arg_type(f: TpField) -> str:
    """The D type of a field's argument (arrays decay to a pointer type)."""
    if f.ctype.startswith("__data_loc"):
        return f.ctype.removeprefix("__data_loc").strip().rstrip("[]").strip() + " *"
    if "[" in f.name:
        return f.ctype + " *"
    return f.ctype
