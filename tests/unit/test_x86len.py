"""elf.x86len: instruction lengths and return sites of compiler output."""

from __future__ import annotations

import pytest

from pydtrace.elf.x86len import insn_length, instruction_offsets, return_sites


@pytest.mark.parametrize("hexcode,length", [
    ("c3", 1), ("f3c3", 2), ("c20800", 3), ("55", 1), ("4889e5", 3), ("4154", 2),
    ("4883ec18", 4), ("64488b042528000000", 9), ("488b05b82f0000", 7),
    ("48b8efcdab8967452301", 10), ("b801000000", 5), ("66b80100", 4), ("e8fbffffff", 5),
    ("0f1f440000", 5), ("660f1f840000000000", 9), ("0f8491000000", 6), ("7e05", 2),
    ("f6c101", 3), ("f7c100010000", 6), ("66f7c10001", 5), ("c5f9efc0", 4),
    ("c4e27d78c0", 5), ("c4e37d39c101", 6), ("62f1fe487f07", 6), ("660f3a0fc108", 6),
    ("0f38f0c0", 4), ("a1efcdab8967452301", 9), ("c6450001", 4), ("c7450001000000", 7),
    ("0fbae001", 4), ("c8100000", 4), ("9b", 1), ("d97c2406", 4), ("488d0c24", 4),
    ("8b0c25e8030000", 7), ("8b442408", 4), ("8b8424e8030000", 7),
])
def test_lengths(hexcode: str, length: int) -> None:
    assert insn_length(bytes.fromhex(hexcode)) == length


def test_unknown_and_truncated() -> None:
    assert insn_length(bytes.fromhex("06")) is None  # push es: invalid in 64-bit mode
    assert insn_length(bytes.fromhex("0f0b")) == 2
    assert insn_length(bytes.fromhex("0fff")) is None
    assert insn_length(bytes.fromhex("e8ff")) is None  # truncated rel32


# fib() from gcc -O1: ret at 0x17, an internal jmp back at 0x31 (not a tail call)
FIB = bytes.fromhex("554889e541545348 89fb4883ff017f08 4889d85b415c5dc3 488d7fffe8dfffff"
                    "ff4989c4488d7bfe e8d3ffffff498d1c 04ebdd".replace(" ", ""))


def test_fib_sites() -> None:
    offs = instruction_offsets(FIB)
    assert offs == [0x0, 0x1, 0x4, 0x6, 0x7, 0xa, 0xe, 0x10, 0x13, 0x14, 0x16, 0x17, 0x18,
                    0x1c, 0x21, 0x24, 0x28, 0x2d, 0x31]
    assert return_sites(FIB) == [0x17]


def test_tail_call_and_rep_ret() -> None:
    code = bytes.fromhex("4885ff7403f3c3" "e900000000")  # test; je; rep ret; jmp <next func>
    assert return_sites(code) == [5, 7]
    assert return_sites(bytes.fromhex("06c3")) is None
