"""User stacks and symbols in DTrace's formats: ``ustack()`` records and keys,
``usym()``/``ufunc()``/``uaddr()``/``umod()`` keys and ``trace()`` records.

A frame prints as ``module`function+0xoff`` (module = the object's basename),
``module`function`` at offset 0, ``module`0xaddr`` inside a known object without
a symbol, else ``0xaddr``. Address spaces come from /proc/PID/maps, read the
first time a pid is seen (and for -c/-p targets when they start running, see
``remember``), so stacks of processes that exited since still symbolize.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from pydtrace.codegen.layout import Field

_MAPS: dict[str, object] = {}  # the running session's ustacks / upids maps
_SPACES: dict[int, tuple[list[int], list[tuple]]] = {}
_DEMANGLED: dict[str, str] = {}


def set_maps(maps: dict[str, object]) -> None:
    for name in ("ustacks", "upids"):
        if name in maps:
            _MAPS[name] = maps[name]


def remember(pid: int) -> None:
    """Reads (again) pid's address space: -c/-p targets once their libraries are mapped."""
    _SPACES.pop(pid, None)
    _space(pid)


def _space(pid: int) -> tuple[list[int], list[tuple]]:
    space = _SPACES.get(pid)
    if space is None:
        from pydtrace.proc import read_maps

        maps = sorted((m.start, m.end, m.offset, m.path) for m in read_maps(pid)
                      if m.inode and m.path.startswith("/"))
        space = _SPACES[pid] = ([m[0] for m in maps], maps)
    return space


def _demangle(name: str) -> str:
    if not name.startswith("_Z"):
        return name
    if name not in _DEMANGLED:
        from pydtrace.elf import demangle

        _DEMANGLED[name] = demangle([name]).get(name, name)
    return _DEMANGLED[name]


def resolve(pid: int, pc: int) -> tuple[str, str | None, int]:
    """(module basename or "", function or None, offset from it / link-time address)."""
    starts, maps = _space(pid)
    i = bisect.bisect_right(starts, pc) - 1
    if i < 0 or pc >= maps[i][1]:
        return "", None, pc
    start, _end, offset, path = maps[i]
    path = path[:-len(" (deleted)")] if path.endswith(" (deleted)") else path
    base = os.path.basename(path)
    try:
        from pydtrace.elf import open_elf

        elf = open_elf(path)
        vaddr = elf.offset_to_vaddr(pc - start + offset)
        sym = elf.symbolize(vaddr) if vaddr is not None else None
    except (OSError, ValueError, Exception):  # noqa: BLE001 - unreadable objects print raw
        return base, None, pc
    if sym is None:
        return base, None, vaddr if vaddr is not None else pc
    return base, _demangle(sym.name), vaddr - sym.value


def frame(pid: int, pc: int) -> str:
    mod, func, off = resolve(pid, pc)
    if func is not None:
        return f"{mod}`{func}+0x{off:x}" if off else f"{mod}`{func}"
    return f"{mod}`0x{off:x}" if mod else f"0x{pc:x}"


def text(kind: str, pid: int, addr: int) -> str:
    mod, func, off = resolve(pid, addr)
    if kind == "umod":
        return mod or f"0x{addr:x}"
    if kind == "uaddr":
        return frame(pid, addr)
    if func is not None:
        return f"{mod}`{func}"  # usym and ufunc name the function
    return f"{mod}`0x{off:x}" if mod else f"0x{addr:x}"


def ustack_key(value: int):
    """The StackKey of a ``pid << 32 | stack id`` key."""
    from pydtrace.output.aggfmt import StackKey

    pid, sid = value >> 32, value & 0xFFFFFFFF
    nframes = (sid >> 24) & 0x7F  # codegen.ustacks.lower_call
    raw = None
    if "ustacks" in _MAPS and sid < 0x80000000:
        raw = _MAPS["ustacks"].lookup(struct.pack("<I", sid & 0xFFFFFF))
    if raw is None:
        return StackKey((), ())
    pcs = tuple(p for p in struct.unpack(f"<{len(raw) // 8}Q", raw) if p)
    if nframes:
        pcs = pcs[:nframes]
    return StackKey(pcs, tuple(frame(pid, pc) for pc in pcs))


def usym_key(addr: int, kind: str):
    from pydtrace.output.aggfmt import SymKey

    pid = 0
    if "upids" in _MAPS:
        raw = _MAPS["upids"].lookup(struct.pack("<Q", addr))
        if raw is not None:
            pid = int.from_bytes(raw[:8], "little")
    return SymKey(addr, text(kind, pid, addr), pid)


@dataclass
class UStackAct:
    pid_field: Field
    field: Field
    nframes: int

    def handler(self, printer) -> Callable[[memoryview], None]:
        unpack = struct.Struct(f"<{self.nframes}Q").unpack_from
        off, poff = self.field.offset, self.pid_field.offset
        write = printer.session.write
        options = printer.session.options

        def show(mv: memoryview) -> None:
            (pid,) = struct.unpack_from("<Q", mv, poff)
            indent = " " * int(options["stackindent"])
            write("\n" + "".join(indent + frame(pid, pc) + "\n"
                                 for pc in unpack(mv, off) if pc))
        return show


@dataclass
class USymAct:
    pid_field: Field
    field: Field
    func: str  # usym, ufunc, uaddr, umod

    def handler(self, printer) -> Callable[[memoryview], None]:
        from pydtrace.output.records import format_trace_string

        off, poff = self.field.offset, self.pid_field.offset
        write = printer.session.write
        quiet = printer.quiet
        kind = self.func

        def show(mv: memoryview) -> None:
            pid, addr = struct.unpack_from("<Q", mv, poff)[0], struct.unpack_from("<Q", mv, off)[0]
            write(format_trace_string(text(kind, pid, addr), quiet))
        return show
