"""Assembler, decoder and helper table: builders checked against raw bytes."""

from __future__ import annotations

import os
import sys

import pytest

from pydtrace.bpf import helpers
from pydtrace.bpf.asm import assemble, encode, resolve
from pydtrace.bpf.decode import decode
from pydtrace.bpf.insn import (
    VREG_BASE,
    Insn,
    Label,
    add64_imm,
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
    ADD,
    ALU,
    ALU64,
    AND,
    ARSH,
    CMPXCHG,
    DIV,
    DW,
    END,
    JA,
    JEQ,
    JMP,
    JMP32,
    JNE,
    JSGT,
    JSLT,
    MOD,
    OR,
    PSEUDO_CALL,
    R0,
    R1,
    R2,
    R3,
    R10,
    TO_BE,
    TO_LE,
    XCHG,
    XOR,
    B,
    H,
    W,
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import gen_helpers  # noqa: E402

HEADER = "/usr/include/linux/bpf.h"

# ---------------------------------------------------------------- helpers


@pytest.mark.skipif(not os.path.exists(HEADER), reason="no linux/bpf.h UAPI header")
def test_helper_table_matches_header() -> None:
    with open(HEADER, encoding="utf-8") as header:
        parsed = gen_helpers.parse_helpers(header.read())
    assert len(parsed) > 150
    for num, name in parsed.items():
        assert helpers.HELPER_NAMES[num] == name


def test_gen_helpers_reads_both_header_spellings() -> None:
    old = ("#define __BPF_FUNC_MAPPER(FN)\t\\\n\tFN(unspec),\t\\\n"
           "\tFN(map_lookup_elem),\t\\\n\t/* */")
    new = ("#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\\n\tFN(unspec, 0, ##ctx)\t\\\n"
           "\tFN(map_lookup_elem, 1, ##ctx)\t\\\n\tFN(ringbuf_reserve, 131, ##ctx)\t\\\n\t/* */")
    assert gen_helpers.parse_helpers(old) == {0: "unspec", 1: "map_lookup_elem"}
    assert gen_helpers.parse_helpers(new)[131] == "ringbuf_reserve"


@pytest.mark.parametrize(("const", "num"), [
    ("MAP_LOOKUP_ELEM", 1), ("MAP_UPDATE_ELEM", 2), ("MAP_DELETE_ELEM", 3), ("KTIME_GET_NS", 5),
    ("TRACE_PRINTK", 6), ("GET_PRANDOM_U32", 7), ("GET_SMP_PROCESSOR_ID", 8),
    ("GET_CURRENT_PID_TGID", 14), ("GET_CURRENT_UID_GID", 15), ("GET_CURRENT_COMM", 16),
    ("PERF_EVENT_OUTPUT", 25), ("GET_STACKID", 27), ("GET_CURRENT_TASK", 35),
    ("PROBE_WRITE_USER", 36), ("GET_STACK", 67), ("SEND_SIGNAL", 109), ("PROBE_READ_USER", 112),
    ("PROBE_READ_KERNEL", 113), ("PROBE_READ_USER_STR", 114), ("PROBE_READ_KERNEL_STR", 115),
    ("SEND_SIGNAL_THREAD", 117), ("JIFFIES64", 118), ("GET_NS_CURRENT_PID_TGID", 120),
    ("KTIME_GET_BOOT_NS", 125), ("RINGBUF_OUTPUT", 130), ("RINGBUF_RESERVE", 131),
    ("RINGBUF_SUBMIT", 132), ("RINGBUF_DISCARD", 133), ("GET_CURRENT_TASK_BTF", 158),
    ("SNPRINTF", 165), ("GET_FUNC_IP", 173), ("GET_ATTACH_COOKIE", 174), ("LOOP", 181),
    ("STRNCMP", 182),
])
def test_helper_constants(const: str, num: int) -> None:
    assert getattr(helpers, const) == num


def test_helper_name() -> None:
    assert helpers.helper_name(131) == "ringbuf_reserve"
    assert helpers.helper_name(1) == "map_lookup_elem"
    assert helpers.helper_name(99999) == "helper#99999"
    assert helpers.helper_id("bpf_ktime_get_ns") == 5
    with pytest.raises(KeyError):
        helpers.helper_id("no_such_helper")


# ---------------------------------------------------------------- encoding against raw bytes

RAW = [
    (mov64(R1, R10), "bfa1000000000000"),
    (add64_imm(R1, -8), "07010000f8ffffff"),
    (mov64_imm(R0, 1), "b700000001000000"),
    (mov32(R1, R2), "bc21000000000000"),
    (movsx64(R1, R2, 8), "bf21080000000000"),
    (alu64_reg(DIV, R1, R2, 1), "3f21010000000000"),
    (neg64(R3), "8703000000000000"),
    (ldx(W, R0, R1, 4), "6110040000000000"),
    (ldx_sx(W, R1, R2, 0), "8121000000000000"),
    (stx(DW, R10, -16, R2), "7b2af0ff00000000"),
    (st_imm(W, R10, -4, 0), "620afcff00000000"),
    (atomic(DW, ADD, R1, 0, R2), "db21000000000000"),
    (atomic(DW, ADD, R1, 0, R2, fetch=True), "db21000001000000"),
    (atomic(W, CMPXCHG, R1, 8, R2), "c3210800f1000000"),
    (call_helper(131), "8500000083000000"),
    (exit_insn(), "9500000000000000"),
    (ld_imm64(R2, 0x1122334455667788), "1802000088776655" "0000000044332211"),
    (ld_imm64(R2, -1), "18020000ffffffff" "00000000ffffffff"),
    (Insn(ALU | END | TO_BE, R1, imm=16), "dc01000010000000"),
]


@pytest.mark.parametrize(("insn", "hexbytes"), RAW)
def test_encode_raw(insn: Insn, hexbytes: str) -> None:
    assert encode([insn]).hex() == hexbytes


def test_encode_map_loads() -> None:
    code = [ld_map_fd(R1, "events"), ld_map_value(R2, "state", 16)]
    data = encode(code, {"events": 7, "state": 9})
    assert data.hex() == ("1811000007000000" "0000000000000000"
                          "1822000009000000" "0000000010000000")


@pytest.mark.parametrize(("insn", "fds", "message"), [
    (Insn(JMP | JA, target="L"), None, "unresolved label 'L'"),
    (mov64(VREG_BASE, R1), None, "bad dst register"),
    (mov64(R1, VREG_BASE + 3), None, "bad src register"),
    (ld_map_fd(R1, "m"), None, "no file descriptor for map 'm'"),
    (ld_map_fd(R1, "m"), {"other": 3}, "no file descriptor for map 'm'"),
    (mov64_imm(R1, 1 << 33), None, "does not fit in 32 bits"),
    (ldx(DW, R1, R2, 40000), None, "does not fit in 16 bits"),
])
def test_encode_rejects(insn: Insn, fds: dict[str, int] | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode([insn], fds)


# ---------------------------------------------------------------- label resolution


def test_resolve_counts_wide_slots_and_keeps_comments() -> None:
    items = [
        jmp_imm(JEQ, R1, 0, "out").with_comment("if (x)"),  # slot 0
        ld_imm64(R2, 5),  # slots 1-2
        Label("loop"),
        alu64_imm(ADD, R2, -1),  # slot 3
        jmp_imm(JNE, R2, 0, "loop"),  # slot 4
        Label("out"),
        Label("also_out"),
        ja("also_out"),  # slot 5: two labels name the same slot
        exit_insn(),  # slot 6
    ]
    out = resolve(items)
    assert [i.off for i in out] == [4, 0, 0, -2, -1, 0]
    assert out[0].comment == "if (x)"
    assert all(isinstance(i, Insn) and i.target is None for i in out)
    assert len(out) == 6


def test_resolve_local_call_uses_imm() -> None:
    items = [call_local("sub"), exit_insn(), Label("sub"), mov64_imm(R0, 3), exit_insn()]
    out = resolve(items)
    assert out[0].imm == 1 and out[0].off == 0 and out[0].src == PSEUDO_CALL
    assert encode(out)[:8].hex() == "8510000001000000"


def test_resolve_jmp32() -> None:
    out = resolve([jmp32_imm(JSLT, R1, -3, "x"), mov64_imm(R0, 0), Label("x"), exit_insn()])
    assert out[0].off == 1 and out[0].code == JMP32 | JSLT


def test_resolve_errors() -> None:
    with pytest.raises(ValueError, match="unknown label 'nowhere'"):
        resolve([ja("nowhere")])
    with pytest.raises(ValueError, match="defined twice"):
        resolve([Label("a"), Label("a"), exit_insn()])
    far = [jmp_imm(JEQ, R1, 0, "far"), *[mov64_imm(R0, 0)] * 40000, Label("far"), exit_insn()]
    with pytest.raises(ValueError, match="out of range"):
        resolve(far)


def test_resolve_long_ja_becomes_gotol() -> None:
    items = [ja("far"), *[mov64_imm(R0, 0)] * 40000, Label("far"), exit_insn()]
    out = resolve(items)
    assert out[0].code == JMP32 | JA and out[0].imm == 40000 and out[0].off == 0


def test_assemble_is_encode_of_resolve() -> None:
    items = [Label("top"), jmp_reg(JSGT, R1, R2, "top"), ld_map_fd(R1, "m"), exit_insn()]
    assert assemble(items, {"m": 4}) == encode(resolve(items), {"m": 4})
    assert assemble(items, {"m": 4})[:8].hex() == "6d21ffff00000000"


# ---------------------------------------------------------------- decoding

ROUND_TRIP = [
    mov64(R1, R10), add64_imm(R1, -8), alu64_imm(ARSH, R3, 7), alu64_reg(MOD, R1, R2, 1),
    alu32_reg(XOR, R1, R2), alu32_imm(OR, R1, -1), movsx64(R1, R2, 32), neg64(R1),
    Insn(ALU64 | END | TO_LE, R1, imm=64), Insn(ALU | END | TO_BE, R1, imm=32),
    ldx(B, R0, R1, -1), ldx(H, R0, R1, 2), ldx_sx(B, R0, R1, 3), stx(W, R10, -8, R1),
    st_imm(DW, R10, -16, -5), atomic(DW, XCHG, R1, 0, R2), atomic(W, AND, R1, 4, R2),
    atomic(DW, XOR, R1, 0, R2, fetch=True), atomic(DW, CMPXCHG, R1, 0, R2),
    ld_imm64(R3, 0xDEADBEEFCAFEF00D), ld_imm64(R0, 0), Insn(JMP | JSGT | 0, R1, 0, -3, -5),
    Insn(JMP32 | JNE | 0x08, R1, R2, 7), Insn(JMP32 | JA, imm=-70000), Insn(JMP | JA, off=2),
    call_helper(6), Insn(JMP | 0x80, src=PSEUDO_CALL, imm=-4), exit_insn(),
]


def test_decode_round_trip() -> None:
    data = encode(ROUND_TRIP)
    decoded = decode(data)
    assert encode(decoded) == data
    assert decoded == ROUND_TRIP


def test_decode_map_loads_and_signed_fields() -> None:
    data = encode([ld_map_value(R1, "m", 24), Insn(JMP | JA, off=-2), alu64_imm(ADD, R1, -1)],
                  {"m": 5})
    first, jump, add = decode(data)
    assert first.imm == 5 | (24 << 32) and first.src == 2 and first.dst == R1
    assert jump.off == -2 and add.imm == -1
    assert encode(decode(data)) == data


def test_decode_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        decode(b"\x00" * 12)
    with pytest.raises(ValueError, match="second slot"):
        decode(encode([ld_imm64(R1, 1)])[:8])
    with pytest.raises(ValueError, match="malformed"):
        decode(encode([ld_imm64(R1, 1)])[:8] + encode([exit_insn()]))


def test_decode_all_alu_ops() -> None:
    ops = [ADD, DIV, OR, AND, XOR, MOD, ARSH]
    code = [alu64_reg(op, R1, R2) for op in ops] + [alu32_imm(op, R1, 3) for op in ops]
    assert decode(encode(code)) == code


def test_decode_jumps_keep_code() -> None:
    code = [Insn(JMP32 | JEQ, R1, 0, 5, 1), Insn(JMP | JA, off=0)]
    assert [i.code for i in decode(encode(code))] == [JMP32 | JEQ, JMP | JA]
    assert decode(encode([stx(DW, R10, -8, R0)]))[0].dst == R10
