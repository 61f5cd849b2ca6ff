"""Kernel stacks and symbols in DTrace's formats: ``stack()`` records, stack and
``sym()``/``mod()`` aggregation keys, ``trace(sym(x))``.

A frame prints as ``module`function+0xoff`` (``stackindent`` spaces first);
symbolization uses ``/proc/kallsyms`` (read on first use).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from pydtrace.codegen.layout import Field

_STACK_MAPS: list = []  # the running session's "stacks" map (stack ids of agg keys)


def set_stack_map(bpf_map) -> None:
    _STACK_MAPS[:] = [bpf_map]


def frames(pcs) -> tuple[str, ...]:
    from pydtrace.sys.kallsyms import frame

    return tuple(frame(pc) for pc in pcs if pc)


def format_stack(pcs, indent: int = 14) -> str:
    return "\n" + "".join(" " * indent + f + "\n" for f in frames(pcs))


def stack_key(value: int):
    """The StackKey of a ``nframes << 32 | stack id`` key (codegen.kernel.lower_call)."""
    from pydtrace.output.aggfmt import StackKey

    value &= 0xFFFFFFFFFFFFFFFF
    stack_id, nframes = value & 0xFFFFFFFF, value >> 32
    raw = None
    if _STACK_MAPS and stack_id < 0x80000000:  # a negative id: bpf_get_stackid failed
        raw = _STACK_MAPS[0].lookup(struct.pack("<I", stack_id))
    if raw is None:
        return StackKey((), ())
    pcs = tuple(p for p in struct.unpack(f"<{len(raw) // 8}Q", raw) if p)
    if nframes:
        pcs = pcs[:nframes]
    return StackKey(pcs, frames(pcs))


def sym_key(addr: int, kind: str):
    from pydtrace.output.aggfmt import SymKey
    from pydtrace.sys import kallsyms

    return SymKey(addr, kallsyms.mod(addr) if kind == "modaddr" else kallsyms.sym(addr))


@dataclass
class StackAct:
    field: Field
    nframes: int

    def handler(self, printer) -> Callable[[memoryview], None]:
        unpack = struct.Struct(f"<{self.nframes}Q").unpack_from
        off = self.field.offset
        write = printer.session.write
        options = printer.session.options

        def show(mv: memoryview) -> None:
            indent = int(options["stackindent"])
            write(format_stack(unpack(mv, off), indent))
        return show


@dataclass
class SymAct:
    field: Field
    func: str  # sym, func, mod

    def handler(self, printer) -> Callable[[memoryview], None]:
        from pydtrace.output.records import format_trace_string
        from pydtrace.sys import kallsyms

        off = self.field.offset
        write = printer.session.write
        name = kallsyms.mod if self.func == "mod" else kallsyms.sym
        quiet = printer.quiet

        def show(mv: memoryview) -> None:
            (addr,) = struct.unpack_from("<Q", mv, off)
            write(format_trace_string(name(addr), quiet))
        return show
