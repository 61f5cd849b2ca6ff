"""Speculative tracing in the kernel.

The ``specs`` array map (one value, mmap-able) holds ``2 * nspec + 2`` words:
word 0 counts failed ``speculation()`` calls with no buffer available, word
``i`` is the state of speculation ``i`` (0 free, 1 active, 2 committed and
busy), word ``nspec + 1`` counts failed calls while a buffer was still busy,
and word ``nspec + 1 + i`` is the CPU that speculated on ``i`` (cpu + 1; -1
for several CPUs; 0 none yet).
``speculation()`` claims a free word with an atomic compare-and-exchange. A
speculative clause writes its record into the ring buffer like any other, with
the speculation id in a field; the consumer keeps such records per id until a
``commit()`` record (print them, in order) or a ``discard()`` record (drop
them) arrives. ``discard`` frees the id at once (ring order guarantees the
consumer sees it before the records of the id's next use); ``commit`` does too
when only the committing CPU speculated (DTrace's ACTIVEONE case); otherwise it
leaves it busy until the consumer has printed the commit and stores 0 into the
word through its mapping of the map (``consume.speculation``).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
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
    return MapSpec(SPECS_MAP, sc.BPF_MAP_TYPE_ARRAY, 4, 8 * (2 * n + 2), 1,
                   flags=sc.BPF_F_MMAPABLE)


def lower_speculation(g: ClauseGen, n: A.Call) -> int:
    em = g.em
    g.uses_specs = True
    out = em.mov_imm(0)
    busy = em.mov_imm(0)
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
        em.emit(I.st_imm(O.DW, base, 8 * (nspec(g) + 1 + i), 0))  # no owner CPU yet
        em.emit(I.mov64_imm(out, i))
        em.emit(I.ja(done))
        em.label(nxt)
        free = em.new_label("specfree")
        em.emit(I.jmp_imm(O.JNE, old, 2, free))
        em.emit(I.mov64_imm(busy, 1))  # committed, not yet printed
        em.label(free)
    em.label(fail)
    inc = em.mov_imm(1)
    unavail = em.new_label("specunav")
    em.emit(I.jmp_imm(O.JEQ, busy, 0, unavail))
    em.emit(I.atomic(O.DW, O.ADD, base, 8 * (nspec(g) + 1), inc))
    em.emit(I.ja(done))
    em.label(unavail)
    em.emit(I.atomic(O.DW, O.ADD, base, 0, inc))
    em.label(done)
    return out


def spec_field(g: ClauseGen, n: A.Call):
    fld = g.info.layout.add(8, "int", False)
    assert g.record is not None
    g.em.emit(I.stx(O.DW, g.record, fld.offset, compile_int(g, n.args[0])))
    return fld


def check_id(g: ClauseGen, sid: int) -> None:
    """Id 0 is ignored; an id beyond ``nspec`` is an illegal operation."""
    from pydtrace.codegen.faults import fault_label

    em = g.em
    ok = em.new_label("specid")
    em.emit(I.jmp_imm(O.JEQ, sid, 0, ok))
    em.emit(I.jmp_imm(O.JLE, sid, nspec(g), ok))
    em.emit(I.ja(fault_label(g, 3)))  # DTRACEFLT_ILLOP
    em.label(ok)


def act_speculate(g: ClauseGen, n: A.Call) -> None:
    g.info.spec_field = spec_field(g, n)  # type: ignore[attr-defined]
    em = g.em
    sid = compile_int(g, n.args[0])
    check_id(g, sid)
    owner = word_ptr(g, sid, nspec(g) + 2)
    if owner is None:
        return
    ptr, skip = owner
    # the owner word: the one CPU that speculated (cpu + 1), or -1 for several
    cpu = em.call(H.GET_SMP_PROCESSOR_ID)
    em.emit(I.add64_imm(cpu, 1))
    em.emit(I.mov64_imm(O.R0, 0))
    em.emit(I.atomic(O.DW, O.CMPXCHG, ptr, 0, cpu))
    old = em.copy(O.R0)
    em.emit(I.jmp_imm(O.JEQ, old, 0, skip))
    em.emit(I.jmp_reg(O.JEQ, old, cpu, skip))
    em.emit(I.st_imm(O.DW, ptr, 0, -1))
    em.label(skip)


def word_ptr(g: ClauseGen, sid: int, first: int):
    """(pointer to word ``first + sid - 1`` of the specs value, label to jump to
    when ``sid`` is not a valid id)."""
    em = g.em
    g.uses_specs = True
    skip = em.new_label("specw")
    idx = em.copy(sid)
    em.emit(I.add64_imm(idx, -1))
    em.emit(I.jmp_imm(O.JGE, idx, nspec(g), skip))
    em.emit(I.add64_imm(idx, first))
    em.emit(I.alu64_imm(O.LSH, idx, 3))
    base = em.vreg()
    em.emit(I.ld_map_value(base, SPECS_MAP, 0))
    em.emit(I.alu64_reg(O.ADD, base, idx))
    return base, skip


def act_commit(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.consume.speculation import SpecEndAct

    em = g.em
    fld = g.info.layout.add(8, "int", False)
    g.info.actions.append(SpecEndAct(fld, n.name == "commit"))
    sid = em.copy(compile_int(g, n.args[0]))
    check_id(g, sid)
    ok = release(g, sid, n.name == "commit")
    # the record names the id only if it was active (ok: 1, or (1 << 32) + 1 for a
    # commit that leaves the buffer busy until the consumer has printed it)
    em.emit(I.alu64_reg(O.MUL, sid, ok))
    assert g.record is not None
    em.emit(I.stx(O.DW, g.record, fld.offset, sid))


def release(g: ClauseGen, sid: int, commit: bool) -> int:
    """Ends active speculation ``sid``. A discard, or a commit on the one CPU
    that speculated (or with nothing speculated), frees it at once: the ring
    orders the commit before the id's next use. A commit of data speculated
    on other CPUs leaves it busy (2) until the consumer has printed it.
    Returns 0 if it was not active, else 1 (or (1 << 32) + 1 when left busy)."""
    em = g.em
    ok = em.mov_imm(0)
    new = em.mov_imm(0)
    if commit:
        owner = word_ptr(g, sid, nspec(g) + 2)
        optr, oskip = owner
        cur = em.vreg()
        em.emit(I.ldx(O.DW, cur, optr, 0))
        em.emit(I.jmp_imm(O.JEQ, cur, 0, oskip))
        cpu = em.call(H.GET_SMP_PROCESSOR_ID)
        em.emit(I.add64_imm(cpu, 1))
        em.emit(I.jmp_reg(O.JEQ, cur, cpu, oskip))
        em.emit(I.mov64_imm(new, 2))
        em.label(oskip)
    base, skip = word_ptr(g, sid, 1)
    em.emit(I.mov64_imm(O.R0, 1))
    em.emit(I.atomic(O.DW, O.CMPXCHG, base, 0, new))
    old = em.copy(O.R0)
    em.emit(I.jmp_imm(O.JNE, old, 1, skip))
    em.emit(I.mov64_imm(ok, 1))
    if commit:
        free = em.new_label("specfreed")
        em.emit(I.jmp_imm(O.JEQ, new, 0, free))
        em.load_imm(ok, (1 << 32) + 1)
        em.label(free)
    em.label(skip)
    return ok
