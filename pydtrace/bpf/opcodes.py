"""eBPF opcode fields, spelled as the kernel spells them (include/uapi/linux/bpf.h)."""

from __future__ import annotations

# instruction classes (low 3 bits)
LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = range(8)

# size field (load/store)
W, H, B, DW = 0x00, 0x08, 0x10, 0x18
SIZE_BYTES = {B: 1, H: 2, W: 4, DW: 8}
SIZE_OF_BYTES = {1: B, 2: H, 4: W, 8: DW}

# mode field (load/store)
IMM, ABS, IND, MEM, MEMSX, ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xC0

# ALU operations
ADD, SUB, MUL, DIV, OR, AND, LSH, RSH = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
NEG, MOD, XOR, MOV, ARSH, END = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0

# jump operations
JA, JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE = 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70
CALL, EXIT, JLT, JLE, JSLT, JSLE = 0x80, 0x90, 0xA0, 0xB0, 0xC0, 0xD0

# source operand
K, X = 0x00, 0x08
TO_LE, TO_BE = 0x00, 0x08

# atomic operations (imm field of STX|ATOMIC)
FETCH = 0x01
XCHG = 0xE0 | FETCH
CMPXCHG = 0xF0 | FETCH

# pseudo sources
PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
PSEUDO_CALL = 1
PSEUDO_FUNC = 4  # ld_imm64: address of a BPF subprogram (bpf_loop callbacks)

# registers
R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = range(11)
FP = R10
