"""Disassembler: every instruction class and operation, in verifier-log spelling."""

from __future__ import annotations

import pytest

from pydtrace.bpf.asm import encode, resolve
from pydtrace.bpf.decode import decode
from pydtrace.bpf.disasm import disasm, disasm_insn
from pydtrace.bpf.insn import (
    Insn,
    Label,
    alu32_imm,
    alu32_reg,
    alu64_imm,
    alu64_reg,
    atomic,
    call_helper,
    call_local,
    exit_insn,
    ja,
    jmp32_imm,
    jmp32_reg,
    jmp_imm,
    jmp_reg,
    ld_imm64,
    ld_map_fd,
    ld_map_value,
    ldx,
    ldx_sx,
    mov32,
    mov64,
    mov64_imm,
    movsx64,
    neg64,
    st_imm,
    stx,
)
from pydtrace.bpf.opcodes import (
    ABS,
    ADD,
    ALU,
    ALU64,
    AND,
    ARSH,
    ATOMIC,
    CMPXCHG,
    DIV,
    DW,
    END,
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
    LSH,
    MOD,
    MUL,
    NEG,
    OR,
    RSH,
    STX,
    SUB,
    TO_BE,
    TO_LE,
    XCHG,
    XOR,
    B,
    H,
    W,
)

CASES = [
    # ALU64, register and immediate, every operation
    (alu64_reg(ADD, 1, 2), "r1 += r2"), (alu64_imm(ADD, 1, -8), "r1 += -8"),
    (alu64_reg(SUB, 1, 2), "r1 -= r2"), (alu64_imm(SUB, 1, 3), "r1 -= 3"),
    (alu64_reg(MUL, 1, 2), "r1 *= r2"), (alu64_imm(MUL, 1, 3), "r1 *= 3"),
    (alu64_reg(DIV, 1, 2), "r1 /= r2"), (alu64_imm(DIV, 1, 3), "r1 /= 3"),
    (alu64_reg(DIV, 1, 2, 1), "r1 s/= r2"), (alu64_imm(DIV, 1, 3, 1), "r1 s/= 3"),
    (alu64_reg(MOD, 1, 2), "r1 %= r2"), (alu64_reg(MOD, 1, 2, 1), "r1 s%= r2"),
    (alu64_reg(OR, 1, 2), "r1 |= r2"), (alu64_imm(AND, 1, 255), "r1 &= 255"),
    (alu64_reg(LSH, 1, 2), "r1 <<= r2"), (alu64_imm(RSH, 1, 32), "r1 >>= 32"),
    (alu64_reg(XOR, 1, 2), "r1 ^= r2"), (alu64_imm(ARSH, 1, 7), "r1 s>>= 7"),
    (mov64(1, 10), "r1 = r10"), (mov64_imm(0, -1), "r0 = -1"),
    (neg64(3), "r3 = -r3"),
    (movsx64(1, 2, 8), "r1 = (s8)r2"), (movsx64(1, 2, 16), "r1 = (s16)r2"),
    (movsx64(1, 2, 32), "r1 = (s32)r2"),
    (Insn(ALU64 | END, 1, imm=16), "r1 = bswap16 r1"),
    # ALU (32-bit)
    (mov32(1, 2), "w1 = w2"), (alu32_imm(ADD, 1, 5), "w1 += 5"),
    (alu32_reg(MUL, 4, 5), "w4 *= w5"), (alu32_reg(DIV, 1, 2, 1), "w1 s/= w2"),
    (alu32_reg(MOD, 1, 2, 1), "w1 s%= w2"), (alu32_imm(ARSH, 1, 3), "w1 s>>= 3"),
    (alu32_reg(0xB0, 1, 2, 8), "w1 = (s8)w2"), (Insn(ALU | NEG, 2), "w2 = -w2"),
    (Insn(ALU | END | TO_BE, 1, imm=16), "r1 = be16 r1"),
    (Insn(ALU | END | TO_LE, 1, imm=64), "r1 = le64 r1"),
    # loads and stores
    (ldx(W, 0, 1, 4), "r0 = *(u32 *)(r1 +4)"), (ldx(B, 0, 1, -1), "r0 = *(u8 *)(r1 -1)"),
    (ldx(H, 0, 1, 0), "r0 = *(u16 *)(r1 +0)"), (ldx(DW, 0, 10, -8), "r0 = *(u64 *)(r10 -8)"),
    (ldx_sx(W, 1, 2, 0), "r1 = *(s32 *)(r2 +0)"), (ldx_sx(B, 1, 2, 1), "r1 = *(s8 *)(r2 +1)"),
    (ldx_sx(H, 1, 2, 2), "r1 = *(s16 *)(r2 +2)"),
    (stx(DW, 10, -16, 2), "*(u64 *)(r10 -16) = r2"), (stx(B, 1, 3, 2), "*(u8 *)(r1 +3) = r2"),
    (st_imm(W, 10, -4, 0), "*(u32 *)(r10 -4) = 0"), (st_imm(H, 1, 0, -2), "*(u16 *)(r1 +0) = -2"),
    # atomics
    (atomic(DW, ADD, 1, 0, 2), "lock *(u64 *)(r1 +0) += r2"),
    (atomic(W, OR, 1, 8, 2), "lock *(u32 *)(r1 +8) |= r2"),
    (atomic(DW, AND, 1, 0, 2), "lock *(u64 *)(r1 +0) &= r2"),
    (atomic(DW, XOR, 1, 0, 2), "lock *(u64 *)(r1 +0) ^= r2"),
    (atomic(DW, ADD, 1, 0, 0, fetch=True), "r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)"),
    (atomic(W, AND, 1, 4, 3, fetch=True), "r3 = atomic_fetch_and((u32 *)(r1 +4), r3)"),
    (atomic(DW, OR, 1, 0, 3, fetch=True), "r3 = atomic64_fetch_or((u64 *)(r1 +0), r3)"),
    (atomic(DW, XOR, 1, 0, 3, fetch=True), "r3 = atomic64_fetch_xor((u64 *)(r1 +0), r3)"),
    (atomic(DW, XCHG, 1, 0, 2), "r2 = atomic64_xchg((u64 *)(r1 +0), r2)"),
    (atomic(DW, CMPXCHG, 1, 0, 2), "r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)"),
    (atomic(W, CMPXCHG, 1, 0, 2), "r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)"),
    (Insn(STX | ATOMIC | DW, 1, 2, 8, 0x100), "r1 = load_acquire((u64 *)(r2 +8))"),
    (Insn(STX | ATOMIC | W, 1, 2, 0, 0x110), "store_release((u32 *)(r1 +0), r2)"),
    # 64-bit immediates and map loads
    (ld_imm64(2, 0x1234), "r2 = 0x1234 ll"), (ld_imm64(2, -1), "r2 = 0xffffffffffffffff ll"),
    (ld_map_fd(1, "ringbuf"), "r1 = map[ringbuf] ll"),
    (ld_map_value(1, "state", 8), "r1 = map[state][0]+8 ll"),
    (Insn(LD | ABS | B, imm=12), "r0 = *(u8 *)skb[12]"),
    (Insn(LD | IND | W, src=3, imm=2), "r0 = *(u32 *)skb[r3 + 2]"),
    # jumps: every condition, 64 and 32 bits, register and immediate
    (Insn(JMP | JEQ, 1, 0, 3, 5), "if r1 == 0x5 goto pc+3"),
    (Insn(JMP | JGT | 0x08, 1, 2, -4), "if r1 > r2 goto pc-4"),
    (Insn(JMP | JGE, 1, 0, 0, 1), "if r1 >= 0x1 goto pc+0"),
    (Insn(JMP | JSET, 1, 0, 1, 8), "if r1 & 0x8 goto pc+1"),
    (Insn(JMP | JNE, 1, 0, 1, -1), "if r1 != 0xffffffff goto pc+1"),
    (Insn(JMP | JSGT, 1, 0, 3, 5), "if r1 s> 0x5 goto pc+3"),
    (Insn(JMP | JSGE | 0x08, 1, 2, 1), "if r1 s>= r2 goto pc+1"),
    (Insn(JMP | JLT, 1, 0, 1, 9), "if r1 < 0x9 goto pc+1"),
    (Insn(JMP | JLE, 1, 0, 1, 9), "if r1 <= 0x9 goto pc+1"),
    (Insn(JMP | JSLT, 1, 0, 1, 9), "if r1 s< 0x9 goto pc+1"),
    (Insn(JMP | JSLE, 1, 0, 1, 9), "if r1 s<= 0x9 goto pc+1"),
    (Insn(JMP32 | JEQ | 0x08, 1, 2, 2), "if w1 == w2 goto pc+2"),
    (Insn(JMP32 | JSLT, 1, 0, 2, 3), "if w1 s< 0x3 goto pc+2"),
    (Insn(JMP | JA, off=3), "goto pc+3"), (Insn(JMP | JA, off=-1), "goto pc-1"),
    (Insn(JMP32 | JA, imm=70000), "gotol pc+70000"),
    (call_helper(131), "call bpf_ringbuf_reserve#131"),
    (call_helper(1), "call bpf_map_lookup_elem#1"),
    (Insn(JMP | 0x80, src=1, imm=12), "call pc+12"),
    (Insn(JMP | 0x80, src=2, imm=77), "call kernel-function#77"),
    (exit_insn(), "exit"),
    # unresolved code names its labels
    (ja("out"), "goto out"), (jmp_imm(JEQ, 1, 0, "out"), "if r1 == 0x0 goto out"),
    (jmp_reg(JGT, 1, 2, "l"), "if r1 > r2 goto l"),
    (jmp32_imm(JNE, 1, 7, "l"), "if w1 != 0x7 goto l"),
    (jmp32_reg(JLE, 1, 2, "l"), "if w1 <= w2 goto l"), (call_local("sub"), "call sub"),
    # bad encodings do not crash
    (Insn(LD | 0x60 | W), "unknown opcode 0x60"),
    (Insn(STX | 0x20 | W), "unknown opcode 0x23"),
]


@pytest.mark.parametrize(("insn", "text"), CASES, ids=[t for _, t in CASES])
def test_disasm_insn(insn: Insn, text: str) -> None:
    assert disasm_insn(insn) == text


def test_every_opcode_class_and_operation_is_covered() -> None:
    classes = {insn.code & 0x07 for insn, _ in CASES}
    assert classes == set(range(8))
    alu_ops = {insn.code & 0xF0 for insn, _ in CASES if insn.code & 0x07 in (ALU, ALU64)}
    assert alu_ops == {ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR, 0xB0, ARSH, END}
    jmp_ops = {insn.code & 0xF0 for insn, _ in CASES if insn.code & 0x07 in (JMP, JMP32)}
    assert jmp_ops == {JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, 0x80, 0x90, JLT, JLE, JSLT, JSLE}


def test_listing_has_slots_comments_and_map_names() -> None:
    items = [
        mov64(1, 10).with_comment("self->x = 1;"),
        ld_map_fd(2, "aggs"),
        Label("done"),
        exit_insn(),
    ]
    assert disasm(resolve(items)) == [
        "; self->x = 1;",
        "   0: r1 = r10",
        "   1: r2 = map[aggs] ll",
        "   3: exit",
    ]
    assert disasm(items)[3] == "done:"


def test_decoded_map_loads_use_map_names() -> None:
    data = encode([ld_map_fd(1, "a"), ld_map_value(2, "b", 4), ld_map_fd(3, "c")],
                  {"a": 10, "b": 11, "c": 12})
    assert disasm(decode(data), map_names={10: "events", 11: "state"}) == [
        "   0: r1 = map[events] ll",
        "   2: r2 = map[state][0]+4 ll",
        "   4: r3 = map[fd:12] ll",
    ]
