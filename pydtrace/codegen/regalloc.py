"""Register allocation: virtual registers (``>= VREG_BASE``) onto R0-R9.

Code generation emits real BPF instructions on virtual registers, plus explicit uses of the
machine's registers where the ABI fixes them: R1-R5 for call arguments, R0 for results and
``exit``, R10 as the frame pointer. This pass

1. builds the control-flow graph over instructions (labels, jumps, ``exit``);
2. computes liveness (backward dataflow, loops included);
3. builds an interference graph whose nodes are virtual registers and whose precoloured
   nodes are R0-R9: whatever an instruction writes interferes with everything live after it
   (except the source of a register move, so moves can coalesce);
4. colours it Chaitin-Briggs style (simplify, optimistic select), preferring the register a
   move partner got, so that many ``rX = rX`` moves disappear;
5. spills what could not be coloured and starts again.

Calls: a helper or BPF-to-BPF call writes R0-R5 (the kernel's caller-saved registers), so a
value live across a call interferes with them and can only get R6-R9. A call reads the
argument registers among R1-R5 that may have been written explicitly since the last call on
some path to it (a forward dataflow); codegen must therefore set every argument register
explicitly before a call, even one that still holds the program's context from entry.

Spilling: a spilled virtual register lives in its own 8-byte slot at
``R10 - (align8(frame_size) + 8 * k)``, k = 1, 2, ...  No register is set aside for reloads:
each instruction that touches a spilled value gets a fresh, unspillable temporary register,
loaded (``ldx DW``) just before it and stored (``stx DW``) just after it, and the next round
allocates those short-lived temporaries like any other virtual register.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pydtrace.bpf.asm import label_slots
from pydtrace.bpf.insn import VREG_BASE, Insn, Label, ldx, stx
from pydtrace.bpf.opcodes import (
    ABS,
    ALU,
    ALU64,
    ATOMIC,
    CALL,
    CMPXCHG,
    DW,
    END,
    EXIT,
    FETCH,
    FP,
    IMM,
    IND,
    JA,
    JMP,
    JMP32,
    LD,
    LDX,
    MOV,
    NEG,
    R0,
    R1,
    R5,
    R6,
    ST,
    STX,
    X,
)

Item = Insn | Label
ALLOCATABLE = tuple(range(R0, FP))  # R0-R9; R10 is the read-only frame pointer
CALLER_SAVED = frozenset(range(R0, R5 + 1))
ARG_REGS = frozenset(range(R1, R5 + 1))
MAX_STACK = 512  # MAX_BPF_STACK, per function frame
LOAD_ACQ, STORE_REL = 0x100, 0x110
_MAX_ROUNDS = 32


class RegistersExhausted(ValueError):
    """No allocation fits: the values live at some point need more registers and
    spill slots than R0-R9 and the 512-byte frame hold (dtrace's D_NOREG)."""


# ---------------------------------------------------------------- what an instruction touches


def _alu_regs(insn: Insn) -> tuple[set[int], set[int]]:
    op = insn.code & 0xF0
    # END reuses the X bit as TO_BE, NEG has no source.
    src = {insn.src} if insn.code & X and op not in (NEG, END) else set()
    if op == MOV:
        return src, {insn.dst}
    return src | {insn.dst}, {insn.dst}


def _atomic_regs(insn: Insn) -> tuple[set[int], set[int]]:
    if insn.imm == CMPXCHG:
        return {insn.dst, insn.src, R0}, {R0}
    if insn.imm == LOAD_ACQ:
        return {insn.src}, {insn.dst}
    if insn.imm != STORE_REL and insn.imm & FETCH:
        return {insn.dst, insn.src}, {insn.src}
    return {insn.dst, insn.src}, set()


def _ld_regs(insn: Insn) -> tuple[set[int], set[int]]:
    mode = insn.code & 0xE0
    if mode == IMM:
        return set(), {insn.dst}
    # legacy packet loads read the skb from R6 and clobber R1-R5 like a call
    uses = {R6, insn.src} if mode == IND else {R6}
    return uses, set(CALLER_SAVED) if mode in (ABS, IND) else set()


def _jmp_regs(insn: Insn) -> tuple[set[int], set[int]]:
    op = insn.code & 0xF0
    if insn.code == JMP | CALL:
        return set(), set(CALLER_SAVED)
    if insn.code == JMP | EXIT:
        return {R0}, set()
    if op == JA:
        return set(), set()
    return ({insn.dst, insn.src} if insn.code & X else {insn.dst}), set()


def static_regs(insn: Insn) -> tuple[set[int], set[int]]:
    """(registers read, registers written) by ``insn``, R10 left out.

    A call's argument reads depend on the code before it and are not included here.
    """
    cls = insn.code & 0x07
    if cls in (ALU, ALU64):
        uses, defs = _alu_regs(insn)
    elif cls == LDX:
        uses, defs = {insn.src}, {insn.dst}
    elif cls == ST:
        uses, defs = {insn.dst}, set()
    elif cls == STX:
        uses, defs = _atomic_regs(insn) if insn.code & 0xE0 == ATOMIC else (
            {insn.dst, insn.src}, set())
    elif cls == LD:
        uses, defs = _ld_regs(insn)
    else:
        uses, defs = _jmp_regs(insn)
    return uses - {FP}, defs - {FP}


def _is_call(insn: Insn) -> bool:
    return insn.code == JMP | CALL or (insn.code & 0x07 == LD and insn.code & 0xE0 in (ABS, IND))


def _is_move(insn: Insn) -> bool:
    return insn.code in (ALU64 | MOV | X, ALU | MOV | X)


# ---------------------------------------------------------------- control flow


@dataclass
class Flow:
    """Instructions of a list with their registers and successors (indices into ``insns``)."""

    insns: list[Insn]
    uses: list[set[int]]
    defs: list[set[int]]
    succs: list[tuple[int, ...]]


def _target_index(insn: Insn, i: int, labels: Mapping[str, int], slots: list[int]) -> int:
    if insn.target is not None:
        if insn.target not in labels:
            raise ValueError(f"unknown label {insn.target!r}")
        return labels[insn.target]
    delta = insn.imm if insn.code == JMP32 | JA else insn.off
    return slots.index(slots[i] + 1 + delta)


def _successors(insn: Insn, i: int, labels: Mapping[str, int], slots: list[int]) -> tuple:
    cls, op = insn.code & 0x07, insn.code & 0xF0
    if cls not in (JMP, JMP32) or insn.code == JMP | CALL:
        return (i + 1,)
    if insn.code == JMP | EXIT:
        return ()
    target = _target_index(insn, i, labels, slots)
    return (target,) if op == JA else (i + 1, target)


def _index_labels(items: Sequence[Item]) -> tuple[list[Insn], dict[str, int]]:
    insns: list[Insn] = []
    labels: dict[str, int] = {}
    for item in items:
        if isinstance(item, Label):
            labels[item.name] = len(insns)
        else:
            insns.append(item)
    return insns, labels


def _slot_table(insns: Sequence[Insn]) -> list[int]:
    slots, slot = [], 0
    for insn in insns:
        slots.append(slot)
        slot += insn.slots
    return slots + [slot]


def build_flow(items: Sequence[Item]) -> Flow:
    """The CFG of ``items`` with per-instruction register reads and writes (calls included)."""
    label_slots(items)  # rejects duplicate labels
    insns, labels = _index_labels(items)
    slots = _slot_table(insns)
    count = len(insns)
    succs = [tuple(s for s in _successors(insn, i, labels, slots) if s < count)
             for i, insn in enumerate(insns)]
    pairs = [static_regs(insn) for insn in insns]
    flow = Flow(insns, [u for u, _ in pairs], [d for _, d in pairs], succs)
    _add_call_args(flow)
    return flow


def _predecessors(succs: Sequence[tuple[int, ...]]) -> list[list[int]]:
    preds: list[list[int]] = [[] for _ in succs]
    for i, targets in enumerate(succs):
        for t in targets:
            preds[t].append(i)
    return preds


def _add_call_args(flow: Flow) -> None:
    """Make each call read the argument registers that may have been set up for it."""
    preds = _predecessors(flow.succs)
    calls = [_is_call(insn) for insn in flow.insns]
    written: list[frozenset[int]] = [frozenset()] * len(flow.insns)  # may-written after i
    work = list(range(len(flow.insns)))
    while work:
        i = work.pop()
        before = frozenset().union(*(written[p] for p in preds[i]))
        after = frozenset() if calls[i] else before | (flow.defs[i] & ARG_REGS)
        if calls[i]:
            flow.uses[i] |= before
        if after != written[i]:
            written[i] = after
            work.extend(flow.succs[i])


def live_out(flow: Flow) -> list[set[int]]:
    """Registers live after each instruction."""
    preds = _predecessors(flow.succs)
    live_in: list[set[int]] = [set() for _ in flow.insns]
    out: list[set[int]] = [set() for _ in flow.insns]
    work = list(range(len(flow.insns)))
    while work:
        i = work.pop()
        out[i] = set().union(*(live_in[s] for s in flow.succs[i]))
        new_in = flow.uses[i] | (out[i] - flow.defs[i])
        if new_in != live_in[i]:
            live_in[i] = new_in
            work.extend(preds[i])
    return out


# ---------------------------------------------------------------- interference and colouring


def interference(flow: Flow, out: Sequence[set[int]]) -> dict[int, set[int]]:
    """Adjacency sets over all registers that appear (physical ones precoloured)."""
    graph: dict[int, set[int]] = {}
    for i, insn in enumerate(flow.insns):
        for reg in flow.uses[i] | flow.defs[i]:
            graph.setdefault(reg, set())
        exempt = {insn.src} if _is_move(insn) else set()
        for d in flow.defs[i]:
            for reg in out[i] - exempt - {d}:
                graph[d].add(reg)
                graph.setdefault(reg, set()).add(d)
    return graph


def _loop_weights(flow: Flow) -> list[int]:
    """10 per enclosing loop (found as backward edges), so spills leave loops alone."""
    weights = [1] * len(flow.insns)
    for j, targets in enumerate(flow.succs):
        for t in targets:
            if t <= j:
                for i in range(t, j + 1):
                    weights[i] = min(weights[i] * 10, 1000)
    return weights


def spill_costs(flow: Flow, temps: Iterable[int]) -> dict[int, float]:
    costs: dict[int, float] = {}
    for i, weight in enumerate(_loop_weights(flow)):
        for reg in flow.uses[i] | flow.defs[i]:
            if reg >= VREG_BASE:
                costs[reg] = costs.get(reg, 0.0) + weight
    for temp in temps:
        if temp in costs:
            costs[temp] = float("inf")
    return costs


def _move_partners(flow: Flow) -> dict[int, list[int]]:
    partners: dict[int, list[int]] = {}
    for insn in flow.insns:
        if _is_move(insn) and insn.off == 0:
            partners.setdefault(insn.dst, []).append(insn.src)
            partners.setdefault(insn.src, []).append(insn.dst)
    return partners


def _simplify_order(graph: Mapping[int, set[int]], costs: Mapping[int, float],
                    k: int) -> list[int]:
    """Colouring order (last removed first): Chaitin-Briggs simplify with optimistic spills."""
    remaining = dict.fromkeys(sorted(costs))
    degree = {v: len(graph[v]) for v in remaining}
    stack: list[int] = []
    while remaining:
        pick = next((v for v in remaining if degree[v] < k), None)
        if pick is None:
            pick = min(remaining, key=lambda v: costs[v] / (degree[v] + 1))
        del remaining[pick]
        stack.append(pick)
        for n in graph[pick]:
            if n in remaining:
                degree[n] -= 1
    return stack[::-1]


def _choose(free: list[int], partners: Sequence[int], assignment: Mapping[int, int]) -> int:
    for partner in partners:
        reg = partner if partner < VREG_BASE else assignment.get(partner)
        if reg in free:
            return reg
    return free[0]


def color(flow: Flow, graph: Mapping[int, set[int]], costs: Mapping[int, float],
          candidates: Sequence[int]) -> tuple[dict[int, int], list[int]]:
    """(virtual -> physical assignment, virtual registers that must be spilled)."""
    partners = _move_partners(flow)
    assignment: dict[int, int] = {}
    failed: list[int] = []
    for v in _simplify_order(graph, costs, len(candidates)):
        taken = {n if n < VREG_BASE else assignment.get(n) for n in graph[v]}
        free = [r for r in candidates if r not in taken]
        if free:
            assignment[v] = _choose(free, partners.get(v, ()), assignment)
        else:
            failed.append(v)
    return assignment, failed


# ---------------------------------------------------------------- spilling


@dataclass
class _SpillState:
    """Spill slots handed out while rewriting spilled registers."""

    base: int  # frame size rounded up to 8
    slots: dict[int, int] = field(default_factory=dict)  # vreg -> offset from R10
    temps: set[int] = field(default_factory=set)
    next_vreg: int = VREG_BASE

    def slot(self, vreg: int) -> int:
        if vreg not in self.slots:
            self.slots[vreg] = -(self.base + 8 * (len(self.slots) + 1))
        return self.slots[vreg]

    def new_temp(self) -> int:
        temp = self.next_vreg
        self.next_vreg += 1
        self.temps.add(temp)
        return temp

    @property
    def frame_size(self) -> int:
        return self.base + 8 * len(self.slots)


def _rename(insn: Insn, mapping: Mapping[int, int]) -> Insn:
    return replace(insn, dst=mapping.get(insn.dst, insn.dst), src=mapping.get(insn.src, insn.src))


def _spill_insn(insn: Insn, spilled: set[int], state: _SpillState) -> list[Insn]:
    uses, defs = static_regs(insn)
    touched = sorted((uses | defs) & spilled)
    if not touched:
        return [insn]
    temps = {v: state.new_temp() for v in touched}
    loads = [ldx(DW, temps[v], FP, state.slot(v)) for v in touched if v in uses]
    stores = [stx(DW, FP, state.slot(v), temps[v]) for v in touched if v in defs]
    body = [*loads, _rename(insn, temps).with_comment(None), *stores]
    return [body[0].with_comment(insn.comment), *body[1:]]


def _spill(items: Sequence[Item], spilled: set[int], state: _SpillState) -> list[Item]:
    out: list[Item] = []
    for item in items:
        out.extend([item] if isinstance(item, Label) else _spill_insn(item, spilled, state))
    return out


# ---------------------------------------------------------------- rewriting


def _rewrite(items: Sequence[Item], assignment: Mapping[int, int]) -> list[Item]:
    """Physical registers everywhere; drop 64-bit moves of a register onto itself."""
    out: list[Item] = []
    carried: str | None = None  # comment of a dropped move, kept for the next instruction
    for item in items:
        if isinstance(item, Label):
            out.append(item)
            continue
        insn = _rename(item, assignment)
        if insn.code == ALU64 | MOV | X and insn.dst == insn.src and insn.off == 0:
            carried = carried or insn.comment
            continue
        if carried is not None and insn.comment is None:
            insn = insn.with_comment(carried)
        carried = None
        out.append(insn)
    return out


@dataclass
class Allocation:
    """The result of allocation, with the details tests and ``-S`` may want."""

    items: list[Item]
    frame_size: int
    assignment: dict[int, int]  # every virtual register that got a register (temps included)
    spill_slots: dict[int, int]  # spilled virtual register -> stack offset from R10


def _vreg_limit(items: Sequence[Item]) -> int:
    regs = [r for it in items if isinstance(it, Insn) for r in (it.dst, it.src)]
    return max([VREG_BASE - 1, *regs]) + 1


def _round(code: list[Item], state: _SpillState,
           candidates: Sequence[int]) -> tuple[dict[int, int], list[int]]:
    flow = build_flow(code)
    graph = interference(flow, live_out(flow))
    return color(flow, graph, spill_costs(flow, state.temps), candidates)


def assign(items: Sequence[Item], *, frame_size: int,
           callee_saved_reserved: Sequence[int] = ()) -> Allocation:
    """Allocate registers and return the rewritten code with its assignment and spills."""
    candidates = [r for r in ALLOCATABLE if r not in set(callee_saved_reserved)]
    state = _SpillState(base=(frame_size + 7) // 8 * 8, next_vreg=_vreg_limit(items))
    code = list(items)
    for _ in range(_MAX_ROUNDS):
        assignment, failed = _round(code, state, candidates)
        if not failed:
            break
        if any(v in state.temps for v in failed):
            raise RegistersExhausted("register pressure too high: no register for a spill reload")
        code = _spill(code, set(failed), state)
    else:
        raise RegistersExhausted("register allocation did not converge")
    if state.frame_size > MAX_STACK:
        raise RegistersExhausted(f"stack frame of {state.frame_size} bytes exceeds {MAX_STACK}")
    return Allocation(_rewrite(code, assignment), state.frame_size, assignment,
                      dict(state.slots))


def allocate(items: Sequence[Item], *, frame_size: int,
             callee_saved_reserved: Sequence[int] = ()) -> tuple[list[Item], int]:
    """Replace virtual registers by R0-R9, spilling below ``frame_size`` bytes of R10's frame.

    ``callee_saved_reserved`` lists registers (normally among R6-R9) that codegen keeps for
    itself, e.g. the machine-state pointer; no virtual register gets them. Returns the new
    items (labels kept) and the frame size including spill slots.
    """
    result = assign(items, frame_size=frame_size, callee_saved_reserved=callee_saved_reserved)
    return result.items, result.frame_size
