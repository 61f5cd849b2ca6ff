"""One D clause -> one BPF subprogram: ``int clause(state *r1)``.

The subprogram checks the predicate, reserves its record in the ring buffer
(only if the clause records anything), runs the statements, and submits. It
returns 0, or 1 after a runtime fault.
"""

from __future__ import annotations

from dataclasses import replace

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.helpers import helper_id
from pydtrace.bpf.insn import Insn, Item
from pydtrace.codegen.actions import ACTIONS, RECORDING
from pydtrace.codegen.aggs import AggPlan, lower_agg
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.expr import compile_int, cond_jump
from pydtrace.codegen.layout import RECORD_PROBE_ID, STATE_DROPS, STATE_PROBE_ID
from pydtrace.consume.actions import CpuAct
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

BPF_RB_NO_WAKEUP = 1
BPF_RB_FORCE_WAKEUP = 2
BPF_RB_AVAIL_DATA = 0


def records_data(stmts: list[A.Stmt] | None, skip: frozenset = frozenset()) -> bool:
    for s in stmts or []:
        if isinstance(s, A.ExprStmt) and isinstance(s.expr, A.Call) \
                and s.expr.name in RECORDING and s.expr.name not in skip:
            return True
        if isinstance(s, A.If) and (records_data(s.then, skip)
                                    or records_data(s.otherwise, skip)):
            return True
    return False


NO_PROBE_LINE = frozenset({"commit", "discard"})  # record, but print nothing themselves


class ClauseCompiler:
    def __init__(self, g: ClauseGen, clause: A.Clause, plans: dict[str, AggPlan],
                 quiet: bool, source_lines: list[str]) -> None:
        self.g = g
        self.clause = clause
        self.plans = plans
        self.quiet = quiet
        self.lines = source_lines

    def compile(self) -> list[Item]:
        g, em = self.g, self.g.em
        ret = em.new_label("ret")
        em.label(g.em.prefix)
        em.emit(I.mov64(STATE_REG, O.R1))
        from pydtrace.codegen.subr import clause_start

        clause_start(g, self.clause)
        from pydtrace.codegen.kernel import spill_ctx, uses_ctx

        if uses_ctx(self.clause.predicate) or uses_ctx(self.clause.body):  # kernel stacks
            spill_ctx(g)
        if self.clause.predicate is not None:
            self.source_comment(self.clause.predicate)
            cond_jump(g, self.clause.predicate, ret)
        # only data-recording actions record; aggregations, assignments, commit( ) do
        # not, so such clauses print no probe line. An empty clause: the default action.
        body = self.clause.body
        self.probe_line = not self.quiet and (not body or records_data(body, NO_PROBE_LINE))
        needs_record = self.probe_line or records_data(body)
        size_at = self.reserve(ret) if needs_record else None
        g.action_index = 1
        for stmt in self.clause.body or []:
            self.statement(stmt)
        if size_at is not None:
            self.submit(size_at)
        em.label(ret)
        em.emit(I.mov64_imm(O.R0, 0))
        em.emit(I.exit_insn())
        if size_at is not None:
            self.emit_drop()
        from pydtrace.codegen.faults import emit_fault_stubs

        emit_fault_stubs(g)
        return em.items

    def source_comment(self, node: A.Node) -> None:
        if node.line and 0 < node.line <= len(self.lines):
            self.g.em.comment(f"{node.line}: {self.lines[node.line - 1].strip()}")

    def reserve(self, ret: str) -> int:
        g, em = self.g, self.g.em
        em.emit(I.ld_map_fd(O.R1, "rb"))
        size_at = len(em.items)
        em.emit(I.mov64_imm(O.R2, 0))  # patched with the record size
        em.emit(I.mov64_imm(O.R3, 0))
        em.emit(I.call_helper(H.RINGBUF_RESERVE))
        g.record = em.vreg()
        em.emit(I.mov64(g.record, O.R0))
        em.emit(I.jmp_imm(O.JEQ, g.record, 0, em.prefix + ".drop"))
        em.emit(I.st_imm(O.W, g.record, 0, g.info.epid))
        pid = em.vreg()
        em.emit(I.ldx(O.W, pid, STATE_REG, STATE_PROBE_ID))
        em.emit(I.stx(O.W, g.record, RECORD_PROBE_ID, pid))
        if self.probe_line:
            fld = g.info.layout.add(4, "int", False)
            cpu = em.call(H.GET_SMP_PROCESSOR_ID)
            em.emit(I.stx(O.W, g.record, fld.offset, cpu))
            g.info.actions.append(CpuAct(fld))
        return size_at

    def submit(self, size_at: int) -> None:
        g, em = self.g, self.g.em
        size = g.info.layout.padded_size
        patched = em.items[size_at]
        assert isinstance(patched, Insn)
        em.items[size_at] = replace(patched, imm=size)
        if g.info.wakeup:
            em.call_void(H.RINGBUF_SUBMIT, [g.record, ("imm", BPF_RB_FORCE_WAKEUP)])
            return
        em.call_void(H.RINGBUF_SUBMIT, [g.record, wakeup_flags(g)])


    def emit_drop(self) -> None:
        em = self.g.em
        em.label(em.prefix + ".drop")
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, STATE_REG, STATE_DROPS))
        em.emit(I.add64_imm(reg, 1))
        em.emit(I.stx(O.DW, STATE_REG, STATE_DROPS, reg))
        em.emit(I.mov64_imm(O.R0, 0))
        em.emit(I.exit_insn())

    def statement(self, stmt: A.Stmt) -> None:
        mark = self.g.em.frame_size
        self._statement(stmt)
        self.g.em.stack_release(mark)  # the statement's temporaries; stack_keep slots stay

    def _statement(self, stmt: A.Stmt) -> None:
        g = self.g
        self.source_comment(stmt)
        if isinstance(stmt, A.AggStmt):
            lower_agg(g, stmt, self.plans[stmt.name])
        elif isinstance(stmt, A.ExprStmt):
            expr = stmt.expr
            if isinstance(expr, A.Call) and expr.name in ACTIONS:
                ACTIONS[expr.name](g, expr)
            else:
                compile_effect(g, expr)
        elif isinstance(stmt, A.If):
            self.if_statement(stmt)
        g.action_index += 1
        from pydtrace.codegen.subr import statement_done

        statement_done(g, stmt)

    def if_statement(self, stmt: A.If) -> None:
        em = self.g.em
        other, done = em.new_label("ifelse"), em.new_label("ifdone")
        cond_jump(self.g, stmt.cond, other)
        for s in stmt.then:
            self.statement(s)
        em.emit(I.ja(done))
        em.label(other)
        for s in stmt.otherwise or []:
            self.statement(s)
        em.label(done)


def compile_effect(g: ClauseGen, expr: A.Expr) -> None:
    """An expression evaluated for its side effects."""
    t = g.an.type_of(expr).resolve()
    if t.is_string and isinstance(expr, A.Assign):
        from pydtrace.codegen.assign import lower_assign

        lower_assign(g, expr)
        return
    if type(t).__name__ == "StructType" and isinstance(expr, A.Assign):  # D structs
        if expr in g.an.rewrites:  # s = xlate<...>(x): per member (sema.xlateassign)
            todo = [g.an.rewrites[expr]]
            while todo:
                e = todo.pop()
                if isinstance(e, A.Comma):
                    todo += [e.right, e.left]
                else:
                    compile_effect(g, e)
            return
        from pydtrace.codegen.dstructs import assign_struct

        assign_struct(g, expr)
        return
    if not (t.is_scalar or t.is_string):
        raise DCompileError("D_CG_EXPR", "expression statement not supported",
                            expr.line or None)
    if t.is_scalar:
        compile_int(g, expr)


def wakeup_flags(g: ClauseGen) -> int:
    """Wake the consumer only once the ring is filling up.

    Waking it on every record (the kernel's default) costs each event an
    irq_work and the reader a context switch; never waking it leaves it asleep
    until its poll timeout while the ring overflows. Past a fill threshold
    every submit forces a wake-up (cheap while one is already pending).
    """
    em = g.em
    avail = em.call(helper_id("ringbuf_query"), [("map", "rb"), ("imm", BPF_RB_AVAIL_DATA)])
    flags = em.mov_imm(BPF_RB_NO_WAKEUP)
    quiet = em.new_label("nowake")
    em.emit(I.jmp_imm(O.JLT, avail, wake_threshold(g.options), quiet))
    em.emit(I.mov64_imm(flags, BPF_RB_FORCE_WAKEUP))
    em.label(quiet)
    return flags


def wake_threshold(options) -> int:
    from pydtrace.codegen.program import ring_size

    return ring_size(options["bufsize"]) // 16
