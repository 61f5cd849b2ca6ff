"""Disassemble eBPF instructions in the style of the kernel verifier log (kernel/bpf/disasm.c).

One line per instruction, prefixed by its slot index: ``   5: if r1 s> 0x5 goto pc+3``. An
instruction's ``comment`` (the D source line, for ``dtrace -S``) is printed first as
``; <comment>``. Labels, if present (unresolved code), print as ``<name>:`` lines and jumps
that still name a label print the label instead of ``pc+N``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydtrace.bpf.helpers import helper_name
from pydtrace.bpf.insn import Insn, Label
from pydtrace.bpf.opcodes import (
    ABS,
    ADD,
    ALU,
    ALU64,
    AND,
    ARSH,
    ATOMIC,
    CALL,
    CMPXCHG,
    DIV,
    DW,
    END,
    EXIT,
    FETCH,
    IMM,
    IND,
    JA,
    JEQ,
    JGE,
    JGT,
    JLE,
    JLT,
    JMP,
    JMP32,
    JNE,
    JSET,
    JSGE,
    JSGT,
    JSLE,
    JSLT,
    LD,
    LDX,
    LSH,
    MEM,
    MEMSX,
    MOD,
    MOV,
    MUL,
    NEG,
    OR,
    PSEUDO_CALL,
    PSEUDO_MAP_FD,
    PSEUDO_MAP_VALUE,
    RSH,
    ST,
    STX,
    SUB,
    TO_BE,
    XCHG,
    XOR,
    B,
    H,
    W,
    X,
)

PSEUDO_KFUNC_CALL = 2
LOAD_ACQ, STORE_REL = 0x100, 0x110  # atomic load-acquire / store-release (Linux 6.15)

_ALU_OPS = {
    ADD: "+=", SUB: "-=", MUL: "*=", DIV: "/=", OR: "|=", AND: "&=", LSH: "<<=", RSH: ">>=",
    MOD: "%=", XOR: "^=", MOV: "=", ARSH: "s>>=",
}
_SIGNED_ALU_OPS = {DIV: "s/=", MOD: "s%="}
_JMP_OPS = {
    JEQ: "==", JGT: ">", JGE: ">=", JSET: "&", JNE: "!=", JSGT: "s>", JSGE: "s>=",
    JLT: "<", JLE: "<=", JSLT: "s<", JSLE: "s<=",
}
_ATOMIC_OPS = {ADD: ("+=", "add"), AND: ("&=", "and"), OR: ("|=", "or"), XOR: ("^=", "xor")}
_SIZE_NAMES = {B: "u8", H: "u16", W: "u32", DW: "u64"}
_SIZE_BITS = {B: 8, H: 16, W: 32, DW: 64}

MapNames = Mapping[int, str]


def _reg(insn_class: int, reg: int) -> str:
    return f"{'r' if insn_class in (ALU64, JMP) else 'w'}{reg}"


def _mem(size: int, reg: int, off: int, signed: bool = False) -> str:
    kind = _SIZE_NAMES[size].replace("u", "s") if signed else _SIZE_NAMES[size]
    return f"*({kind} *)(r{reg} {off:+d})"


def _pc(insn: Insn, delta: int) -> str:
    return insn.target if insn.target is not None else f"pc{delta:+d}"


# ---------------------------------------------------------------- ALU


def _alu_special(insn: Insn, cls: int, op: int) -> str | None:
    dst, src = _reg(cls, insn.dst), _reg(cls, insn.src)
    if op == NEG:
        return f"{dst} = -{dst}"
    if op == END:
        # the kernel prints byte swaps on the whole register even in the ALU class
        kind = "bswap" if cls == ALU64 else ("be" if insn.code & TO_BE else "le")
        return f"r{insn.dst} = {kind}{insn.imm} r{insn.dst}"
    if op == MOV and insn.code & X and insn.off in (8, 16, 32):
        return f"{dst} = (s{insn.off}){src}"
    return None


def _disasm_alu(insn: Insn, _maps: MapNames) -> str:
    cls, op = insn.code & 0x07, insn.code & 0xF0
    special = _alu_special(insn, cls, op)
    if special is not None:
        return special
    sign = _SIGNED_ALU_OPS.get(op) if insn.off == 1 else None
    text = sign or _ALU_OPS.get(op)
    if text is None:
        return _unknown(insn)
    rhs = _reg(cls, insn.src) if insn.code & X else str(insn.imm)
    return f"{_reg(cls, insn.dst)} {text} {rhs}"


# ---------------------------------------------------------------- memory


def _disasm_ldx(insn: Insn, _maps: MapNames) -> str:
    mode, size = insn.code & 0xE0, insn.code & 0x18
    if mode not in (MEM, MEMSX):
        return _unknown(insn)
    return f"r{insn.dst} = {_mem(size, insn.src, insn.off, mode == MEMSX)}"


def _disasm_st(insn: Insn, _maps: MapNames) -> str:
    if insn.code & 0xE0 != MEM:
        return _unknown(insn)
    return f"{_mem(insn.code & 0x18, insn.dst, insn.off)} = {insn.imm}"


def _disasm_atomic(insn: Insn) -> str:
    size, op = insn.code & 0x18, insn.imm
    ptr = f"({_SIZE_NAMES[size]} *)(r{insn.dst} {insn.off:+d})"
    bits = "64" if size == DW else ""
    if op & ~FETCH in _ATOMIC_OPS:
        assign, name = _ATOMIC_OPS[op & ~FETCH]
        if not op & FETCH:
            return f"lock {_mem(size, insn.dst, insn.off)} {assign} r{insn.src}"
        return f"r{insn.src} = atomic{bits}_fetch_{name}({ptr}, r{insn.src})"
    if op == XCHG:
        return f"r{insn.src} = atomic{bits}_xchg({ptr}, r{insn.src})"
    if op == CMPXCHG:
        return f"r0 = atomic{bits}_cmpxchg({ptr}, r0, r{insn.src})"
    if op == LOAD_ACQ:
        return f"r{insn.dst} = load_acquire(({_SIZE_NAMES[size]} *)(r{insn.src} {insn.off:+d}))"
    if op == STORE_REL:
        return f"store_release({ptr}, r{insn.src})"
    return _unknown(insn)


def _disasm_stx(insn: Insn, _maps: MapNames) -> str:
    mode = insn.code & 0xE0
    if mode == ATOMIC:
        return _disasm_atomic(insn)
    if mode != MEM:
        return _unknown(insn)
    return f"{_mem(insn.code & 0x18, insn.dst, insn.off)} = r{insn.src}"


def _map_text(insn: Insn, maps: MapNames) -> str:
    fd = insn.imm & 0xFFFFFFFF
    name = insn.map_ref or maps.get(fd) or f"fd:{fd}"
    if insn.src == PSEUDO_MAP_FD:
        return f"map[{name}]"
    offset = insn.imm if insn.map_ref is not None else insn.imm >> 32
    return f"map[{name}][0]+{offset}"


def _disasm_ld(insn: Insn, maps: MapNames) -> str:
    mode, size = insn.code & 0xE0, insn.code & 0x18
    if mode == IMM and size == DW:
        if insn.src in (PSEUDO_MAP_FD, PSEUDO_MAP_VALUE):
            return f"r{insn.dst} = {_map_text(insn, maps)} ll"
        return f"r{insn.dst} = {insn.imm & 0xFFFFFFFFFFFFFFFF:#x} ll"
    if mode == ABS:  # legacy packet access (socket filters)
        return f"r0 = *({_SIZE_NAMES[size]} *)skb[{insn.imm}]"
    if mode == IND:
        return f"r0 = *({_SIZE_NAMES[size]} *)skb[r{insn.src} + {insn.imm}]"
    return _unknown(insn)


# ---------------------------------------------------------------- jumps


def _disasm_call(insn: Insn) -> str:
    if insn.src == PSEUDO_CALL:
        return f"call {_pc(insn, insn.imm)}"
    if insn.src == PSEUDO_KFUNC_CALL:
        return f"call kernel-function#{insn.imm}"
    return f"call bpf_{helper_name(insn.imm)}#{insn.imm}"


def _disasm_jmp(insn: Insn, _maps: MapNames) -> str:
    cls, op = insn.code & 0x07, insn.code & 0xF0
    if op == CALL and cls == JMP:
        return _disasm_call(insn)
    if op == EXIT and cls == JMP:
        return "exit"
    if op == JA:
        return f"goto {_pc(insn, insn.off)}" if cls == JMP else f"gotol {_pc(insn, insn.imm)}"
    if op not in _JMP_OPS:
        return _unknown(insn)
    rhs = _reg(cls, insn.src) if insn.code & X else f"{insn.imm & 0xFFFFFFFF:#x}"
    return f"if {_reg(cls, insn.dst)} {_JMP_OPS[op]} {rhs} goto {_pc(insn, insn.off)}"


def _unknown(insn: Insn) -> str:
    return f"unknown opcode {insn.code:#04x}"


_BY_CLASS: dict[int, Callable[[Insn, MapNames], str]] = {
    LD: _disasm_ld, LDX: _disasm_ldx, ST: _disasm_st, STX: _disasm_stx,
    ALU: _disasm_alu, ALU64: _disasm_alu, JMP: _disasm_jmp, JMP32: _disasm_jmp,
}


def disasm_insn(insn: Insn, map_names: MapNames | None = None) -> str:
    """Text of one instruction, without slot index or comment."""
    return _BY_CLASS[insn.code & 0x07](insn, map_names or {})


def disasm(insns: Sequence[Insn | Label], *, map_names: MapNames | None = None) -> list[str]:
    """Verifier-log style listing; ``map_names`` maps map fds to names for decoded code."""
    lines: list[str] = []
    slot = 0
    for item in insns:
        if isinstance(item, Label):
            lines.append(f"{item.name}:")
            continue
        if item.comment is not None:
            lines.append(f"; {item.comment}")
        lines.append(f"{slot:4d}: {disasm_insn(item, map_names)}")
        slot += item.slots
    return lines
