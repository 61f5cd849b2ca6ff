"""Removes instructions no path reaches: the verifier refuses unreachable code,
and constant folding (``/1 > 2/``, ``1 ? a : b``) leaves some behind."""

from __future__ import annotations

from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Insn, Item, Label


def _is_jump(ins: Insn) -> bool:
    cls = ins.code & 0x07
    op = ins.code & 0xF0
    return cls in (O.JMP, O.JMP32) and op not in (O.CALL, O.EXIT)


def _falls_through(ins: Insn) -> bool:
    cls, op = ins.code & 0x07, ins.code & 0xF0
    if cls in (O.JMP, O.JMP32) and op == O.EXIT:
        return False
    return not (cls in (O.JMP, O.JMP32) and op == O.JA)


def remove_unreachable(items: list[Item]) -> list[Item]:
    """Keeps items reachable from the first one (labels always kept if reached)."""
    index = {it.name: i for i, it in enumerate(items) if isinstance(it, Label)}
    reached = [False] * len(items)
    work = [0] if items else []
    while work:
        i = work.pop()
        while i < len(items) and not reached[i]:
            reached[i] = True
            it = items[i]
            if isinstance(it, Insn):
                if _is_jump(it) and it.target is not None:
                    work.append(index[it.target])
                if not _falls_through(it):
                    break
            i += 1
    return [it for it, r in zip(items, reached, strict=True) if r]
