"""Speculative tracing in the kernel.

The ``specs`` array map (one value) holds ``nspec + 1`` words: word 0 counts
failed ``speculation()`` calls (no free buffer), word ``i`` is the state of
speculation ``i`` (0 free, 1 active). ``speculation()`` claims a free word with
an atomic compare-and-exchange. A speculative clause writes its record into the
ring buffer like any other, with the speculation id in a field; the consumer
keeps such records per id until a ``commit()`` record (print them, in order)
or a ``discard()`` record (drop them) arrives. ``commit``/``discard`` free the
id at once: ring order guarantees the consumer sees the commit before the
records of the id's next use.
"""

from __future__ import annotations

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.codegen.expr import compile_int
from pydtrace.lang import ast as A

SPECS_MAP = "specs"


def nspec(g: ClauseGen) -> int:
    return max(1, min(int(g.options["nspec"]), 256))


def specs_map(options):
    from pydtrace.codegen.program import MapSpec
    from pydtrace.sys import syscall as sc

    n = max(1, min(int(options["nspec"]), 256))
    return MapSpec(SPECS_MAP, sc.BPF_MAP_TYPE_ARRAY, 4, 8 * (n + 1), 1)


def lower_speculation(g: ClauseGen, n: A.Call) -> int:
    em = g.em
    g.uses_specs = True  # type: ignore[attr-defined]
    out = em.mov_imm(0)
    done, fail = em.new_label("specok"), em.new_label("specfail")
    base = em.vreg()
    em.emit(I.ld_map_value(base, SPECS_MAP, 0))
    for i in range(1, nspec(g) + 1):
        one = em.mov_imm(1)
        em.emit(I.mov64_imm(O.R0, 0))
        em.emit(I.atomic(O.DW, O.CMPXCHG, base, 8 * i, one))
        old = em.copy(O.R0)
        nxt = em.new_label("specnext")
        em.emit(I.jmp_imm(O.JNE, old, 0, nxt))
        em.emit(I.mov64_imm(out, i))
        em.emit(I.ja(done))
        em.label(nxt)
    em.label(fail)
    inc = em.mov_imm(1)
    em.emit(I.atomic(O.DW, O.ADD, base, 0, inc))
    em.label(done)
    return out


def spec_field(g: ClauseGen, n: A.Call):
    fld = g.info.layout.add(8, "int", False)
    assert g.record is not None
    g.em.emit(I.stx(O.DW, g.record, fld.offset, compile_int(g, n.args[0])))
    return fld


def act_speculate(g: ClauseGen, n: A.Call) -> None:
    g.info.spec_field = spec_field(g, n)  # type: ignore[attr-defined]


def act_commit(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.consume.speculation import SpecEndAct

    fld = spec_field(g, n)
    g.info.actions.append(SpecEndAct(fld, n.name == "commit"))
    release(g, compile_int(g, n.args[0]))


def release(g: ClauseGen, sid: int) -> None:
    """Marks speculation ``sid`` free again (ids out of range are ignored)."""
    em = g.em
    g.uses_specs = True  # type: ignore[attr-defined]
    skip = em.new_label("specrel")
    idx = em.copy(sid)
    em.emit(I.add64_imm(idx, -1))
    em.emit(I.jmp_imm(O.JGE, idx, nspec(g), skip))
    em.emit(I.add64_imm(idx, 1))
    em.emit(I.alu64_imm(O.LSH, idx, 3))
    base = em.vreg()
    em.emit(I.ld_map_value(base, SPECS_MAP, 0))
    em.emit(I.alu64_reg(O.ADD, base, idx))
    em.emit(I.st_imm(O.DW, base, 0, 0))
    em.label(skip)
