"""Immutable eBPF instructions and assembly-like builders.

An instruction list is a sequence of ``Insn`` and ``Label`` items. Jumps and
BPF-to-BPF calls name a label (``target``); map loads name a map (``map_ref``)
whose file descriptor is filled in at load time. Register numbers 0..10 are
the machine's; numbers from ``VREG_BASE`` up are virtual registers that the
register allocator replaces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydtrace.bpf.opcodes import (
    ADD,
    ALU,
    ALU64,
    ATOMIC,
    CALL,
    DW,
    EXIT,
    FETCH,
    IMM,
    JA,
    JMP,
    JMP32,
    LD,
    LDX,
    MEM,
    MEMSX,
    MOV,
    NEG,
    PSEUDO_CALL,
    PSEUDO_MAP_FD,
    PSEUDO_MAP_VALUE,
    ST,
    STX,
    K,
    X,
)

VREG_BASE = 16


@dataclass(frozen=True, slots=True)
class Insn:
    """One eBPF instruction (a wide ``ld_imm64`` counts as one)."""

    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0
    target: str | None = None  # label of a jump or local call
    map_ref: str | None = None  # map name of a pseudo map load
    comment: str | None = None

    @property
    def is_wide(self) -> bool:
        """``ld_imm64`` takes two instruction slots."""
        return self.code == (LD | IMM | DW)

    @property
    def slots(self) -> int:
        return 2 if self.is_wide else 1

    def with_comment(self, comment: str | None) -> Insn:
        return replace(self, comment=comment)


@dataclass(frozen=True, slots=True)
class Label:
    """A jump or call target in an instruction list."""

    name: str


Item = Insn | Label


def _op(cls: int, op: int, src_is_reg: bool) -> int:
    return cls | op | (X if src_is_reg else K)


# ---------------------------------------------------------------- ALU


def alu64_reg(op: int, dst: int, src: int, off: int = 0) -> Insn:
    """``off=1`` selects the signed form of DIV/MOD (sdiv/smod, cpu v4)."""
    return Insn(_op(ALU64, op, True), dst, src, off)


def alu64_imm(op: int, dst: int, imm: int, off: int = 0) -> Insn:
    return Insn(_op(ALU64, op, False), dst, 0, off, imm)


def alu32_reg(op: int, dst: int, src: int, off: int = 0) -> Insn:
    return Insn(_op(ALU, op, True), dst, src, off)


def alu32_imm(op: int, dst: int, imm: int, off: int = 0) -> Insn:
    return Insn(_op(ALU, op, False), dst, 0, off, imm)


def mov64(dst: int, src: int) -> Insn:
    return alu64_reg(MOV, dst, src)


def mov64_imm(dst: int, imm: int) -> Insn:
    return alu64_imm(MOV, dst, imm)


def mov32(dst: int, src: int) -> Insn:
    """32-bit move: zero-extends the low half of ``src`` into ``dst``."""
    return alu32_reg(MOV, dst, src)


def movsx64(dst: int, src: int, bits: int) -> Insn:
    """Sign-extending move of the low ``bits`` (8/16/32) of ``src`` (cpu v4)."""
    return alu64_reg(MOV, dst, src, bits)


def neg64(dst: int) -> Insn:
    return Insn(ALU64 | NEG | K, dst)


def add64_imm(dst: int, imm: int) -> Insn:
    return alu64_imm(ADD, dst, imm)


# ---------------------------------------------------------------- memory


def ldx(size: int, dst: int, src: int, off: int = 0) -> Insn:
    return Insn(LDX | MEM | size, dst, src, off)


def ldx_sx(size: int, dst: int, src: int, off: int = 0) -> Insn:
    """Sign-extending load (cpu v4)."""
    return Insn(LDX | MEMSX | size, dst, src, off)


def stx(size: int, dst: int, off: int, src: int) -> Insn:
    """``*(size *)(dst + off) = src``."""
    return Insn(STX | MEM | size, dst, src, off)


def st_imm(size: int, dst: int, off: int, imm: int) -> Insn:
    return Insn(ST | MEM | size, dst, 0, off, imm)


def atomic(size: int, op: int, dst: int, off: int, src: int, fetch: bool = False) -> Insn:
    """``op`` is ADD/OR/AND/XOR, or XCHG/CMPXCHG (which always fetch)."""
    return Insn(STX | ATOMIC | size, dst, src, off, op | (FETCH if fetch else 0))


def ld_imm64(dst: int, imm: int) -> Insn:
    return Insn(LD | IMM | DW, dst, 0, 0, imm & 0xFFFFFFFFFFFFFFFF)


def ld_func(dst: int, target: str) -> Insn:
    """``dst = &subprogram`` (``BPF_PSEUDO_FUNC``), e.g. a bpf_loop callback."""
    return Insn(LD | IMM | DW, dst, 4, 0, 0, target=target)


def ld_map_fd(dst: int, map_name: str) -> Insn:
    return Insn(LD | IMM | DW, dst, PSEUDO_MAP_FD, 0, 0, map_ref=map_name)


def ld_map_value(dst: int, map_name: str, offset: int = 0) -> Insn:
    """Address of a single-entry array map's value plus ``offset``."""
    return Insn(LD | IMM | DW, dst, PSEUDO_MAP_VALUE, 0, offset, map_ref=map_name)


# ---------------------------------------------------------------- jumps and calls


def jmp_reg(op: int, dst: int, src: int, target: str) -> Insn:
    return Insn(_op(JMP, op, True), dst, src, target=target)


def jmp_imm(op: int, dst: int, imm: int, target: str) -> Insn:
    return Insn(_op(JMP, op, False), dst, 0, 0, imm, target=target)


def jmp32_reg(op: int, dst: int, src: int, target: str) -> Insn:
    return Insn(_op(JMP32, op, True), dst, src, target=target)


def jmp32_imm(op: int, dst: int, imm: int, target: str) -> Insn:
    return Insn(_op(JMP32, op, False), dst, 0, 0, imm, target=target)


def ja(target: str) -> Insn:
    return Insn(JMP | JA, target=target)


def call_helper(helper_id: int) -> Insn:
    return Insn(JMP | CALL, imm=helper_id)


def call_local(target: str) -> Insn:
    """BPF-to-BPF call of the subprogram starting at label ``target``."""
    return Insn(JMP | CALL, src=PSEUDO_CALL, target=target)


def exit_insn() -> Insn:
    return Insn(JMP | EXIT)
