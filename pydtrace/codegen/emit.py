"""The instruction emitter: virtual registers, labels, stack slots, source comments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pydtrace.bpf import insn as I
from pydtrace.bpf.insn import VREG_BASE, Insn, Item, Label
from pydtrace.bpf.opcodes import ADD, DW, R0, R1, R10

MAX_STACK = 512
LDX_CLASS = 0x01
MEM_CLASSES = (LDX_CLASS, 0x02, 0x03)  # LDX, ST, STX (atomics included): 16-bit offsets


class Emitter:
    """Collects one subprogram's code on virtual registers."""

    def __init__(self, prefix: str) -> None:
        self.items: list[Item] = []
        self.prefix = prefix
        self._next_vreg = VREG_BASE
        self._next_label = 0
        self._pending_comment: str | None = None
        self.frame_size = 0
        self.frame_peak = 0  # the deepest frame_size reached (stack_release lowers frame_size)
        self.frame_kept = 0  # stack_keep: nothing below this is released

    # -- registers, labels, stack

    def vreg(self) -> int:
        reg = self._next_vreg
        self._next_vreg += 1
        return reg

    def new_label(self, hint: str = "L") -> str:
        self._next_label += 1
        return f"{self.prefix}.{hint}{self._next_label}"

    def stack_alloc(self, size: int) -> int:
        """Reserves ``size`` bytes (8-aligned) of stack; returns the offset from R10."""
        self.frame_size += (size + 7) & ~7
        self.frame_peak = max(self.frame_peak, self.frame_size)
        return -self.frame_size

    def stack_keep(self, size: int) -> int:
        """Like stack_alloc, for a slot that lives to the end of the clause (a cached
        slot, an address the fault stubs read): stack_release never frees it."""
        off = self.stack_alloc(size)
        self.frame_kept = self.frame_size
        return off

    def stack_release(self, mark: int) -> None:
        """Frees the stack reserved since ``frame_size`` was ``mark`` (a statement's
        temporaries), so later statements reuse it; kept slots and anything below
        them stay. frame_peak keeps the maximum."""
        self.frame_size = max(mark, self.frame_kept)

    # -- emission

    def comment(self, text: str) -> None:
        """Attaches ``text`` to the next instruction emitted (``dtrace -S``)."""
        self._pending_comment = text

    def emit(self, ins: Insn) -> None:
        if self._pending_comment is not None:
            ins = ins.with_comment(self._pending_comment)
            self._pending_comment = None
        if not -0x8000 <= ins.off < 0x8000 and ins.code & 0x07 in MEM_CLASSES:
            ins = self._far_access(ins)
        self.items.append(ins)

    def _far_access(self, ins: Insn) -> Insn:
        """A load/store whose constant offset exceeds the 16-bit field (an element
        deep in a big global array): add the offset to a copy of the base first."""
        load = ins.code & 0x07 == LDX_CLASS
        base = self.vreg()
        self.items.append(I.mov64(base, ins.src if load else ins.dst))
        if -(1 << 31) <= ins.off < 1 << 31:
            self.items.append(I.add64_imm(base, ins.off))
        else:
            self.items.append(I.alu64_reg(ADD, base, self.mov_imm(ins.off)))
        return replace(ins, src=base, off=0) if load else replace(ins, dst=base, off=0)

    def label(self, name: str) -> None:
        self.items.append(Label(name))

    def mov_imm(self, value: int) -> int:
        """A new vreg holding the 64-bit constant ``value``."""
        reg = self.vreg()
        self.load_imm(reg, value)
        return reg

    def load_imm(self, reg: int, value: int) -> None:
        value &= 0xFFFFFFFFFFFFFFFF
        signed = value - (1 << 64) if value >> 63 else value
        if -(1 << 31) <= signed < (1 << 31):
            self.emit(I.mov64_imm(reg, signed))
        else:
            self.emit(I.ld_imm64(reg, value))

    def copy(self, src: int) -> int:
        reg = self.vreg()
        self.emit(I.mov64(reg, src))
        return reg

    def call(self, helper: int, args: Sequence[int | tuple[str, int] | None] = ()) -> int:
        """Calls a helper; each arg is a vreg, ``("imm", n)``, ``("map", name)``,
        ``("fp", off)`` (an address on the stack) or ``("state", off)``.
        Returns a vreg holding R0."""
        self._load_args(args)
        self.emit(I.call_helper(helper))
        result = self.vreg()
        self.emit(I.mov64(result, R0))
        return result

    def call_void(self, helper: int, args: Sequence[int | tuple[str, int] | None] = ()) -> None:
        self._load_args(args)
        self.emit(I.call_helper(helper))

    def _load_args(self, args: Sequence[int | tuple | None]) -> None:
        for i, arg in enumerate(args):
            reg = R1 + i
            if arg is None:
                continue
            if isinstance(arg, int):
                self.emit(I.mov64(reg, arg))
            elif arg[0] == "imm":
                self.load_imm(reg, arg[1])
            elif arg[0] == "map":
                self.emit(I.ld_map_fd(reg, arg[1]))
            elif arg[0] == "mapval":
                self.emit(I.ld_map_value(reg, arg[1], arg[2]))
            elif arg[0] == "fp":
                self.emit(I.mov64(reg, R10))
                self.emit(I.add64_imm(reg, arg[1]))
            elif arg[0] == "reg+":
                self.emit(I.mov64(reg, arg[1]))
                if arg[2]:
                    self.emit(I.add64_imm(reg, arg[2]))
            else:
                raise ValueError(f"bad helper argument {arg!r}")

    def zero_stack(self, off: int, size: int) -> None:
        for pos in range(0, size, 8):
            self.emit(I.st_imm(DW, R10, off + pos, 0))
