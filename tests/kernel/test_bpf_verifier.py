"""Programs from our assembler and register allocator, loaded and run by the kernel.

A deliberately tiny, local ctypes binding of bpf(2) (socket filters + BPF_PROG_TEST_RUN) keeps
this test independent of pydtrace.sys.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
from collections.abc import Iterator, Sequence

import pytest

from pydtrace.bpf.asm import assemble
from pydtrace.bpf.insn import (
    VREG_BASE,
    Insn,
    Label,
    alu64_imm,
    alu64_reg,
    call_helper,
    call_local,
    exit_insn,
    ja,
    jmp_imm,
    ld_imm64,
    ld_map_fd,
    ldx,
    ldx_sx,
    mov64,
    mov64_imm,
    movsx64,
    st_imm,
    stx,
)
from pydtrace.bpf.opcodes import (
    ADD,
    DIV,
    DW,
    JA,
    JEQ,
    JMP32,
    JNE,
    MOD,
    MUL,
    R0,
    R1,
    R2,
    R10,
    XOR,
    B,
    W,
)
from pydtrace.codegen.regalloc import allocate

pytestmark = pytest.mark.kernel

if os.geteuid() != 0:
    pytest.skip(f"kernel: loading BPF programs needs root (euid is {os.geteuid()})",
                allow_module_level=True)
if platform.machine() != "x86_64":
    pytest.skip("kernel: the local bpf(2) binding knows only x86_64's syscall number",
                allow_module_level=True)

_NR_BPF = 321
BPF_MAP_CREATE, BPF_MAP_UPDATE_ELEM, BPF_PROG_LOAD, BPF_PROG_TEST_RUN = 0, 2, 5, 10
BPF_PROG_TYPE_SOCKET_FILTER = 1
BPF_MAP_TYPE_ARRAY = 2
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _bpf(cmd: int, attr: bytes) -> int:
    buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    ret = _libc.syscall(_NR_BPF, cmd, buf, 128)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    _bpf.last = buf.raw  # type: ignore[attr-defined]
    return int(ret)


def _addr(buf: ctypes.Array) -> int:  # type: ignore[type-arg]
    return ctypes.addressof(buf)


def load(code: bytes) -> int:
    """Load a socket filter; on failure the verifier log is in the exception."""
    insns = ctypes.create_string_buffer(code, len(code))
    license_ = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(1 << 16)
    attr = struct.pack("<IIQQIIQ", BPF_PROG_TYPE_SOCKET_FILTER, len(code) // 8, _addr(insns),
                       _addr(license_), 1, len(log), _addr(log))
    try:
        return _bpf(BPF_PROG_LOAD, attr)
    except OSError as exc:
        raise AssertionError(f"verifier rejected program: {log.value.decode()}") from exc


def test_run(fd: int) -> int:
    """r0 of one run on a dummy 64-byte packet."""
    data = ctypes.create_string_buffer(64)
    out = ctypes.create_string_buffer(64)
    attr = struct.pack("<IIIIQQ", fd, 0, 64, 64, _addr(data), _addr(out))
    _bpf(BPF_PROG_TEST_RUN, attr)
    return int(struct.unpack_from("<I", _bpf.last, 4)[0])  # type: ignore[attr-defined]


test_run.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture
def array_map() -> Iterator[int]:
    fd = _bpf(BPF_MAP_CREATE, struct.pack("<IIIII", BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0))
    key, value = ctypes.c_uint32(0), ctypes.c_uint64(1234)
    _bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", fd, 0, ctypes.addressof(key),
                                          ctypes.addressof(value), 0))
    yield fd
    os.close(fd)


def run_program(items: Sequence[Insn | Label], map_fds: dict[str, int] | None = None) -> int:
    fd = load(assemble(items, map_fds))
    try:
        return test_run(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- tests


def test_return_constant() -> None:
    assert run_program([mov64_imm(R0, 42), exit_insn()]) == 42


def test_map_lookup_through_map_fd(array_map: int) -> None:
    items = [
        st_imm(W, R10, -4, 0),
        ld_map_fd(R1, "values"), mov64(R2, R10), alu64_imm(ADD, R2, -4),
        call_helper(1),
        jmp_imm(JEQ, R0, 0, "miss"),
        ldx(DW, R0, R0, 0), exit_insn(),
        Label("miss"), mov64_imm(R0, 0), exit_insn(),
    ]
    assert run_program(items, {"values": array_map}) == 1234


def test_cpu_v4_instructions() -> None:
    items = [
        mov64_imm(R1, -7), alu64_imm(DIV, R1, 2, 1),  # sdiv: -3
        stx(DW, R10, -8, R1), ldx_sx(B, R2, R10, -8),  # sign-extending load: -3
        movsx64(R0, R2, 8),  # sign-extending move: -3
        jmp_imm(JEQ, R2, 99, "zero"),  # never taken, but keeps "zero" reachable
        Insn(JMP32 | JA, imm=1),  # gotol over the next instruction
        Label("zero"), mov64_imm(R0, 0),
        alu64_imm(MOD, R1, 2, 1),  # smod: -3 s% 2 = -1
        alu64_reg(ADD, R0, R1),  # -4
        exit_insn(),
    ]
    assert run_program(items) == (-4) & 0xFFFFFFFF


def test_local_call_and_loop() -> None:
    items = [
        mov64_imm(R1, 6), call_local("triangle"), exit_insn(),
        # r0 = 1 + 2 + ... + r1, with a bounded backward loop
        Label("triangle"), mov64_imm(R0, 0),
        Label("again"), alu64_reg(ADD, R0, R1), alu64_imm(ADD, R1, -1),
        jmp_imm(JNE, R1, 0, "again"), exit_insn(),
    ]
    assert run_program(items) == 21


def test_allocated_code_with_spills_passes_the_verifier() -> None:
    v = [VREG_BASE + i for i in range(14)]
    items: list[Insn | Label] = [mov64_imm(x, i + 1) for i, x in enumerate(v[:13])]
    items += [call_helper(5)]  # ktime_get_ns: forces values across a call
    items += [mov64_imm(v[13], 0)]
    items += [alu64_reg(ADD, v[13], x) for x in v[:13]]
    items += [alu64_imm(MUL, x, 3) for x in v[:13]]
    items += [alu64_reg(XOR, v[13], x) for x in v[:13]]
    items += [ja("end"), Label("end"), ld_imm64(R1, 0), alu64_reg(ADD, v[13], R1)]
    items += [mov64(R0, v[13]), exit_insn()]
    code, frame = allocate(items, frame_size=0)
    assert frame > 0
    expected = sum(range(1, 14))
    for i in range(1, 14):
        expected ^= 3 * i
    assert run_program(code) == expected
