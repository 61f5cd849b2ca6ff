"""Label resolution and binary encoding of eBPF instructions.

Each slot is one little-endian ``struct bpf_insn`` (include/uapi/linux/bpf.h)::

    byte  0        1          2..3        4..7
        +------+-----------+---------+-------------+
        | code | src | dst |   off   |     imm     |
        |  u8  | hi  | lo  |   s16   |     s32     |
        +------+-----------+---------+-------------+

``ld_imm64`` (``LD|IMM|DW``) takes two slots: the second has ``code = 0`` and holds the upper
32 bits of the constant in its ``imm``. For map loads the first ``imm`` holds the map fd and,
for ``PSEUDO_MAP_VALUE``, the second ``imm`` holds the offset into the map value.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pydtrace.bpf.insn import Insn, Label
from pydtrace.bpf.opcodes import (
    CALL,
    JA,
    JMP,
    JMP32,
    PSEUDO_CALL,
    PSEUDO_FUNC,
    PSEUDO_MAP_FD,
    PSEUDO_MAP_VALUE,
)

SLOT = struct.Struct("<BBhi")
MAX_REG = 10
_S16 = (-(1 << 15), (1 << 15) - 1)


def _is_local_call(insn: Insn) -> bool:
    return insn.code == (JMP | CALL) and insn.src == PSEUDO_CALL


def _is_ja(insn: Insn) -> bool:
    return insn.code == (JMP | JA)


def label_slots(items: Sequence[Insn | Label]) -> dict[str, int]:
    """Slot index each label stands for (the slot of the next instruction)."""
    slots: dict[str, int] = {}
    slot = 0
    for item in items:
        if isinstance(item, Label):
            if item.name in slots:
                raise ValueError(f"label {item.name!r} defined twice")
            slots[item.name] = slot
        else:
            slot += item.slots
    return slots


def _resolve_one(insn: Insn, slot: int, labels: Mapping[str, int]) -> Insn:
    assert insn.target is not None
    if insn.target not in labels:
        raise ValueError(f"unknown label {insn.target!r}")
    delta = labels[insn.target] - (slot + 1)
    if _is_local_call(insn) or (insn.is_wide and insn.src == PSEUDO_FUNC):
        return replace(insn, imm=delta, target=None)
    if _S16[0] <= delta <= _S16[1]:
        return replace(insn, off=delta, target=None)
    if _is_ja(insn):
        # ``gotol``: JMP32|JA takes its 32-bit offset in imm (cpu v4, Linux 6.6).
        return replace(insn, code=JMP32 | JA, off=0, imm=delta, target=None)
    raise ValueError(f"jump to {insn.target!r} is out of range ({delta} slots)")


def resolve(items: Sequence[Insn | Label]) -> list[Insn]:
    """Replace label targets by relative offsets and drop the labels.

    Jumps get ``off = target_slot - (slot + 1)``; local calls get the same in ``imm``. An
    unconditional jump too far for 16 bits becomes the ``gotol`` form; a conditional one
    raises ValueError, as does an unknown label.
    """
    labels = label_slots(items)
    out: list[Insn] = []
    slot = 0
    for item in items:
        if isinstance(item, Label):
            continue
        out.append(item if item.target is None else _resolve_one(item, slot, labels))
        slot += item.slots
    return out


def _src_is_pseudo(insn: Insn) -> bool:
    """The src nibble of map loads and calls is a pseudo kind, not a register."""
    return insn.is_wide or insn.code == (JMP | CALL)


def _check_regs(insn: Insn) -> None:
    if not 0 <= insn.dst <= MAX_REG:
        raise ValueError(f"bad dst register {insn.dst} in {insn}")
    limit = 15 if _src_is_pseudo(insn) else MAX_REG
    if not 0 <= insn.src <= limit:
        raise ValueError(f"bad src register {insn.src} in {insn}")


def _check_fields(insn: Insn) -> None:
    if insn.target is not None:
        raise ValueError(f"unresolved label {insn.target!r}; call resolve() first")
    _check_regs(insn)
    if not _S16[0] <= insn.off <= _S16[1]:
        raise ValueError(f"offset {insn.off} does not fit in 16 bits")
    if not insn.is_wide and not -(1 << 31) <= insn.imm < (1 << 32):
        raise ValueError(f"immediate {insn.imm} does not fit in 32 bits")


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _pack(code: int, dst: int, src: int, off: int, imm: int) -> bytes:
    return SLOT.pack(code, (src << 4) | dst, off, _s32(imm))


def _wide_halves(insn: Insn, map_fds: Mapping[str, int] | None) -> tuple[int, int]:
    """(first imm, second imm) of a two-slot load."""
    if insn.map_ref is None:
        if insn.src == PSEUDO_FUNC:
            return insn.imm & 0xFFFFFFFF, 0
        if not -(1 << 63) <= insn.imm < (1 << 64):
            raise ValueError(f"immediate {insn.imm} does not fit in 64 bits")
        return insn.imm & 0xFFFFFFFF, (insn.imm >> 32) & 0xFFFFFFFF
    if map_fds is None or insn.map_ref not in map_fds:
        raise ValueError(f"no file descriptor for map {insn.map_ref!r}")
    fd = map_fds[insn.map_ref]
    if insn.src == PSEUDO_MAP_FD:
        return fd, 0
    if insn.src == PSEUDO_MAP_VALUE:
        return fd, insn.imm
    raise ValueError(f"map reference on a load with pseudo source {insn.src}")


def encode_insn(insn: Insn, map_fds: Mapping[str, int] | None = None) -> bytes:
    """Bytes of one instruction (16 for ``ld_imm64``, else 8)."""
    _check_fields(insn)
    if not insn.is_wide:
        return _pack(insn.code, insn.dst, insn.src, insn.off, insn.imm)
    low, high = _wide_halves(insn, map_fds)
    return _pack(insn.code, insn.dst, insn.src, insn.off, low) + _pack(0, 0, 0, 0, high)


def encode(insns: Sequence[Insn], map_fds: Mapping[str, int] | None = None) -> bytes:
    """Encode resolved instructions; ``map_fds`` maps ``map_ref`` names to fds."""
    return b"".join(encode_insn(insn, map_fds) for insn in insns)


def assemble(items: Sequence[Insn | Label], map_fds: Mapping[str, int] | None = None) -> bytes:
    """``encode(resolve(items), map_fds)``."""
    return encode(resolve(items), map_fds)

