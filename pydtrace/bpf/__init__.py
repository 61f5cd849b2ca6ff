"""The eBPF instruction set: opcodes, instructions and builders, assembler, disassembler."""

from __future__ import annotations

from pydtrace.bpf.asm import assemble, encode, resolve
from pydtrace.bpf.decode import decode
from pydtrace.bpf.disasm import disasm
from pydtrace.bpf.insn import VREG_BASE, Insn, Label

__all__ = ["VREG_BASE", "Insn", "Label", "assemble", "decode", "disasm", "encode", "resolve"]
