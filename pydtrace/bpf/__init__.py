"""The eBPF instruction set: opcodes, instructions and builders, assembler, disassembler.

The package names are resolved lazily: importing ``pydtrace.bpf.insn`` (every
run) must not pull in the decoder and disassembler (only ``-S`` needs them).
"""

from __future__ import annotations

import importlib
from typing import Any

# decode()/disasm() share their modules' names: import them from
# pydtrace.bpf.decode / pydtrace.bpf.disasm.
_EXPORTS = {"VREG_BASE": "insn", "Insn": "insn", "Label": "insn", "assemble": "asm",
            "encode": "asm", "resolve": "asm"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pydtrace.bpf' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pydtrace.bpf.{module}"), name)
