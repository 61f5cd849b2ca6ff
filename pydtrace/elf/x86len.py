"""A minimal x86-64 instruction length decoder, enough for compiler output.

``insn_length(code, i)`` returns the length of the instruction at ``code[i]``
(legacy prefixes, REX, VEX/EVEX, opcode maps 0F / 0F38 / 0F3A, ModRM, SIB,
displacement and immediate sizes), or None for an opcode it does not know
(invalid in 64-bit mode, or rare enough not to be worth a table entry): the
callers then give up on the function rather than guess.

``return_sites(code, size)`` is what the pid provider needs (DTrace's
dt_pid_create_return_probe): the offsets of the instructions that leave the
function: ``ret``/``ret imm16`` (with any prefixes: ``rep ret``, ``bnd ret``)
and ``jmp rel8/rel32`` whose target lies outside the function (tail calls).
``instruction_offsets`` lists every instruction start (offset probe globs).
"""

from __future__ import annotations

_PREFIXES = frozenset((0xF0, 0xF2, 0xF3, 0x2E, 0x36, 0x3E, 0x26, 0x64, 0x65, 0x66, 0x67))
# One-byte opcodes invalid in 64-bit mode (C4/C5/62 are VEX/EVEX, handled apart).
_INVALID1 = frozenset((0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37, 0x3F,
                       0x60, 0x61, 0x82, 0x9A, 0xD4, 0xD5, 0xD6, 0xEA))
_IMM8_1 = frozenset((0x04, 0x0C, 0x14, 0x1C, 0x24, 0x2C, 0x34, 0x3C, 0x6A, 0x6B, 0x80, 0x83,
                     0xA8, 0xC0, 0xC1, 0xC6, 0xCD, 0xE4, 0xE5, 0xE6, 0xE7, 0xEB,
                     *range(0x70, 0x80), *range(0xB0, 0xB8), *range(0xE0, 0xE4)))
_IMMZ_1 = frozenset((0x05, 0x0D, 0x15, 0x1D, 0x25, 0x2D, 0x35, 0x3D, 0x68, 0x69, 0x81, 0xA9,
                     0xC7))


def _modrm1(op: int) -> bool:
    if op < 0x40:
        return (op & 7) < 4
    return (op in (0x63, 0x69, 0x6B, 0xC0, 0xC1, 0xC6, 0xC7, 0xD0, 0xD1, 0xD2, 0xD3, 0xF6,
                   0xF7, 0xFE, 0xFF) or 0x80 <= op <= 0x8F or 0xD8 <= op <= 0xDF)


# Two-byte (0F xx) opcodes without ModRM, and with an imm8.
_NOMODRM2 = frozenset((0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0E, 0x30, 0x31, 0x32, 0x33, 0x34,
                       0x35, 0x37, 0x77, 0xA0, 0xA1, 0xA2, 0xA8, 0xA9, 0xAA,
                       *range(0x80, 0x90), *range(0xC8, 0xD0)))
_INVALID2 = frozenset((0x04, 0x0A, 0x0C, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3B, 0x3C, 0x3D,
                       0x3E, 0x3F, 0xA6, 0xA7, 0xFF))
_IMM8_2 = frozenset((0x0F, 0x70, 0x71, 0x72, 0x73, 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6))


def _modrm_len(code: bytes, i: int, addr32: bool = False) -> int | None:
    """Bytes of ModRM + SIB + displacement at code[i]."""
    if i >= len(code):
        return None
    m = code[i]
    mod, rm = m >> 6, m & 7
    n = 1
    if mod == 3:
        return n
    if rm == 4:
        if i + 1 >= len(code):
            return None
        n += 1
        if mod == 0 and (code[i + 1] & 7) == 5:
            n += 4
    elif mod == 0 and rm == 5:
        n += 4  # RIP-relative (or disp32 with 0x67)
    if mod == 1:
        n += 1
    elif mod == 2:
        n += 4
    return n


def insn_length(code: bytes, i: int = 0) -> int | None:
    """The length of the instruction starting at code[i], or None if unknown."""
    start, end = i, len(code)
    opsize16 = addr32 = False
    while i < end and code[i] in _PREFIXES:
        opsize16 |= code[i] == 0x66
        addr32 |= code[i] == 0x67
        i += 1
        if i - start > 14:
            return None
    rex_w = False
    if i < end and 0x40 <= code[i] <= 0x4F:
        rex_w = bool(code[i] & 8)
        i += 1
    if i >= end:
        return None
    op = code[i]
    i += 1
    if op in (0xC4, 0xC5, 0x62):  # VEX3 / VEX2 / EVEX: payload, opcode, ModRM, imm8 (map 3)
        if op == 0xC5:
            mmap, i = 1, i + 1
        elif op == 0xC4:
            if i >= end:
                return None
            mmap, i = code[i] & 0x1F, i + 2
        else:
            if i >= end:
                return None
            mmap, i = code[i] & 0x7, i + 3
        if mmap not in (1, 2, 3, 5, 6):
            return None
        i += 1  # opcode
        n = _modrm_len(code, i, addr32)
        if n is None:
            return None
        i += n + (1 if mmap == 3 else 0)
        return i - start if i <= end else None
    if op == 0x0F:
        if i >= end:
            return None
        op2 = code[i]
        i += 1
        if op2 in (0x38, 0x3A):
            i += 1  # the third opcode byte
            n = _modrm_len(code, i, addr32)
            if n is None:
                return None
            i += n + (1 if op2 == 0x3A else 0)
            return i - start if i <= end else None
        if op2 in _INVALID2:
            return None
        if 0x80 <= op2 <= 0x8F:
            i += 4  # jcc rel32
        elif op2 not in _NOMODRM2:
            n = _modrm_len(code, i, addr32)
            if n is None:
                return None
            i += n + (1 if op2 in _IMM8_2 else 0)
        return i - start if i <= end else None
    if op in _INVALID1:
        return None
    if _modrm1(op):
        n = _modrm_len(code, i, addr32)
        if n is None:
            return None
        reg = (code[i] >> 3) & 7
        i += n
        if op == 0xF6 and reg in (0, 1):
            i += 1
        elif op == 0xF7 and reg in (0, 1):
            i += 2 if opsize16 and not rex_w else 4
    if op in _IMM8_1:
        i += 1
    elif op in _IMMZ_1:
        i += 2 if opsize16 and not rex_w else 4
    elif 0xB8 <= op <= 0xBF:
        i += 8 if rex_w else (2 if opsize16 else 4)
    elif 0xA0 <= op <= 0xA3:
        i += 4 if addr32 else 8  # moffs
    elif op in (0xC2, 0xCA):
        i += 2
    elif op == 0xC8:
        i += 3
    elif op in (0xE8, 0xE9):
        i += 4
    return i - start if i <= end else None


def _opcode_at(code: bytes, i: int) -> tuple[int, int]:
    """(opcode byte, its index) of the instruction at i, skipping prefixes and REX."""
    while code[i] in _PREFIXES:
        i += 1
    if 0x40 <= code[i] <= 0x4F:
        i += 1
    return code[i], i


def instruction_offsets(code: bytes) -> list[int] | None:
    """Every instruction start in code (one function), or None if it cannot be decoded."""
    out, i = [], 0
    while i < len(code):
        n = insn_length(code, i)
        if n is None:
            return None
        out.append(i)
        i += n
    return out


def return_sites(code: bytes) -> list[int] | None:
    """Offsets of ret instructions and of tail-call jmps out of the function."""
    offsets = instruction_offsets(code)
    if offsets is None:
        return None
    size = len(code)
    out = []
    for k, off in enumerate(offsets):
        op, at = _opcode_at(code, off)
        if op in (0xC3, 0xC2):
            out.append(off)
        elif op in (0xE9, 0xEB):
            nxt = offsets[k + 1] if k + 1 < len(offsets) else size
            rel = int.from_bytes(code[at + 1:nxt], "little", signed=True)
            if not 0 <= nxt + rel < size:
                out.append(off)
    return out
