"""Kernel symbols from ``/proc/kallsyms``: addresses of `` `sym `` and symbolization
of kernel PCs as DTrace prints them (``module`function+0xoff``).

Read only when a script uses kernel symbols or prints kernel stacks; parsed once
per process.
"""

from __future__ import annotations

import re
from bisect import bisect_right

KALLSYMS = "/proc/kallsyms"
_TEXT = None  # bytes of /proc/kallsyms
_TABLE: tuple[list[int], list[str], list[str]] | None = None  # sorted addrs, names, modules


def _text() -> bytes:
    global _TEXT
    if _TEXT is None:
        with open(KALLSYMS, "rb") as f:
            _TEXT = f.read()
    return _TEXT


def lookup(name: str, module: str | None = None) -> int | None:
    """Address of a kernel symbol (None if unknown or hidden by kptr_restrict)."""
    mod = rb"\t\[" + re.escape(module.encode()) + rb"\]" if module and module != "vmlinux" \
        else rb"(?:\t\[[^\]]+\])?"
    pat = rb"(?m)^([0-9a-f]+) [A-Za-z] " + re.escape(name.encode()) + mod + rb"$"
    try:
        m = re.search(pat, _text())
    except OSError:
        return None
    if m is None:
        return None
    addr = int(m.group(1), 16)
    return addr or None


def table() -> tuple[list[int], list[str], list[str]]:
    global _TABLE
    if _TABLE is None:
        rows = []
        for line in _text().decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) < 3 or parts[1] in "aAuUwWvV":
                continue
            mod = parts[3].strip("[]") if len(parts) > 3 else "vmlinux"
            rows.append((int(parts[0], 16), parts[2], mod))
        rows.sort()
        _TABLE = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return _TABLE


def resolve(addr: int) -> tuple[str, str, int] | None:
    """(module, function, offset) of a kernel address, or None."""
    addrs, names, mods = table()
    i = bisect_right(addrs, addr) - 1
    if i < 0 or not addrs[i]:
        return None
    return mods[i], names[i], addr - addrs[i]


def frame(addr: int) -> str:
    """One stack frame: ``module`function+0xoff`` (``0xaddr`` if unknown)."""
    r = resolve(addr)
    if r is None:
        return f"0x{addr:x}"
    mod, func, off = r
    return f"{mod}`{func}+0x{off:x}" if off else f"{mod}`{func}"


def sym(addr: int) -> str:
    """sym()/func(): ``module`function`` without offset."""
    r = resolve(addr)
    return f"0x{addr:x}" if r is None else f"{r[0]}`{r[1]}"


def mod(addr: int) -> str:
    r = resolve(addr)
    return f"0x{addr:x}" if r is None else r[0]
