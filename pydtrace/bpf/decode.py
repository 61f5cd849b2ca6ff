"""Decode eBPF bytecode back into ``Insn`` values (the inverse of ``asm.encode``).

``off`` and ``imm`` come back signed. A two-slot ``ld_imm64`` becomes one ``Insn`` whose ``imm``
is the unsigned 64-bit constant (first imm | second imm << 32), as ``insn.ld_imm64`` builds it;
map loads keep their pseudo ``src`` and the fd in ``imm`` but, having no names, no ``map_ref``.
"""

from __future__ import annotations

from pydtrace.bpf.asm import SLOT
from pydtrace.bpf.insn import Insn
from pydtrace.bpf.opcodes import DW, IMM, LD


def _slot(data: bytes, index: int) -> tuple[int, int, int, int, int]:
    code, regs, off, imm = SLOT.unpack_from(data, index * SLOT.size)
    return code, regs & 0x0F, regs >> 4, off, imm


def _wide(data: bytes, index: int, first: tuple[int, int, int, int, int]) -> Insn:
    if (index + 1) * SLOT.size >= len(data):
        raise ValueError(f"ld_imm64 at slot {index} lacks its second slot")
    code, dst, src, off, low = first
    second = _slot(data, index + 1)
    if second[:4] != (0, 0, 0, 0):
        raise ValueError(f"malformed second slot of ld_imm64 at slot {index}")
    return Insn(code, dst, src, off, (low & 0xFFFFFFFF) | ((second[4] & 0xFFFFFFFF) << 32))


def decode(data: bytes) -> list[Insn]:
    """Instructions encoded in ``data`` (a multiple of 8 bytes)."""
    if len(data) % SLOT.size:
        raise ValueError(f"bytecode length {len(data)} is not a multiple of {SLOT.size}")
    out: list[Insn] = []
    index = 0
    while index * SLOT.size < len(data):
        fields = _slot(data, index)
        if fields[0] == (LD | IMM | DW):
            out.append(_wide(data, index, fields))
            index += 2
        else:
            out.append(Insn(*fields))
            index += 1
    return out
