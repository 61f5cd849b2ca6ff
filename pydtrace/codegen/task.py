"""Values read from the current task: ``ppid`` through ``task->real_parent->tgid``.

Offsets come from the kernel's BTF, found lazily and only when a script uses them.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError


def load_ppid(g: ClauseGen) -> int:
    from pydtrace.bpf import insn as I
    from pydtrace.bpf import opcodes as O

    try:
        from pydtrace.btf.offsets import member_offset

        parent_off = member_offset("task_struct", "real_parent")
        tgid_off = member_offset("task_struct", "tgid")
    except (ImportError, LookupError, OSError) as exc:
        raise DCompileError("D_CG_EXPR", f"ppid needs kernel BTF: {exc}") from exc
    em = g.em
    from pydtrace.codegen import subject as S  # sched:::on-cpu: the incoming thread

    task = S.task(g) if S.uses_subject(g) else em.call(H.GET_CURRENT_TASK)
    slot = em.stack_alloc(8)
    em.call_void(H.PROBE_READ_KERNEL, [("fp", slot), ("imm", 8), ("reg+", task, parent_off)])
    parent = em.vreg()
    em.emit(I.ldx(O.DW, parent, 10, slot))
    em.call_void(H.PROBE_READ_KERNEL, [("fp", slot), ("imm", 4), ("reg+", parent, tgid_off)])
    out = em.vreg()
    em.emit(I.ldx(O.W, out, 10, slot))
    em.emit(I.movsx64(out, out, 32))
    return out
