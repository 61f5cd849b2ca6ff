"""Register allocation: structural checks plus running both versions in a tiny interpreter.

The interpreter below knows just enough BPF to run the test programs on virtual registers
(unbounded register file) and, after allocation, on R0-R10. Helper calls are stubbed: the
result depends on R1-R5 and R1-R5 are clobbered afterwards, so a value wrongly kept in a
caller-saved register, or an argument register overwritten too early, changes the answer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from pydtrace.bpf.asm import assemble
from pydtrace.bpf.insn import (
    VREG_BASE,
    Insn,
    Label,
    alu32_imm,
    alu64_imm,
    alu64_reg,
    call_helper,
    exit_insn,
    ja,
    jmp_imm,
    jmp_reg,
    ld_imm64,
    ldx,
    mov32,
    mov64,
    mov64_imm,
    st_imm,
    stx,
)
from pydtrace.bpf.opcodes import (
    ADD,
    ALU,
    ALU64,
    AND,
    DW,
    EXIT,
    JA,
    JEQ,
    JGT,
    JMP,
    JNE,
    JSGT,
    LD,
    LDX,
    LSH,
    MOV,
    MUL,
    OR,
    R0,
    R1,
    R2,
    R3,
    R4,
    R5,
    R6,
    R10,
    RSH,
    ST,
    STX,
    SUB,
    XOR,
    X,
)
from pydtrace.codegen.regalloc import Item, allocate, assign, build_flow, live_out

V = [VREG_BASE + i for i in range(64)]
MASK = (1 << 64) - 1
STACK_TOP = 1 << 20
CTX = 4242

# ---------------------------------------------------------------- the interpreter

_ALU = {
    ADD: lambda a, b: a + b, SUB: lambda a, b: a - b, MUL: lambda a, b: a * b,
    OR: lambda a, b: a | b, AND: lambda a, b: a & b, XOR: lambda a, b: a ^ b,
    LSH: lambda a, b: a << (b & 63), RSH: lambda a, b: a >> (b & 63), MOV: lambda a, b: b,
}


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def _cond(op: int, a: int, b: int) -> bool:
    return {JEQ: a == b, JNE: a != b, JGT: a > b, JSGT: _signed(a) > _signed(b)}[op]


# How many of R1-R5 each stub helper reads (default 2); unread ones may hold anything.
HELPER_ARGS = {5: 0, 14: 0, 7: 1, 1: 5}


def _helper(regs: dict[int, int], helper: int) -> None:
    args = [regs[r] for r in (R1, R2, R3, R4, R5)[: HELPER_ARGS.get(helper, 2)]]
    regs[R0] = (helper * 1000003 + sum((i + 7) * a for i, a in enumerate(args))) & MASK
    for r in (R1, R2, R3, R4, R5):
        regs[r] = 0xDEAD0000 + r  # caller-saved registers do not survive a call


def _alu(insn: Insn, regs: dict[int, int]) -> None:
    rhs = regs[insn.src] if insn.code & X else insn.imm & MASK
    value = _ALU[insn.code & 0xF0](regs.get(insn.dst, 0), rhs) & MASK
    regs[insn.dst] = value & 0xFFFFFFFF if insn.code & 0x07 == ALU else value


def _mem(insn: Insn, regs: dict[int, int], memory: dict[int, int]) -> None:
    cls = insn.code & 0x07
    assert insn.code & 0x18 == DW, "only 8-byte memory access is modelled"
    if cls == LDX:
        regs[insn.dst] = memory[regs[insn.src] + insn.off]
    elif cls == STX:
        memory[regs[insn.dst] + insn.off] = regs[insn.src]
    else:
        memory[regs[insn.dst] + insn.off] = insn.imm & MASK


def _jump(insn: Insn, regs: dict[int, int]) -> bool:
    if insn.code == JMP | JA:
        return True
    rhs = regs[insn.src] if insn.code & X else insn.imm & MASK
    return _cond(insn.code & 0xF0, regs[insn.dst], rhs)


def run(items: Sequence[Item], garbage: bool = False) -> int:
    """Run ``items``; ``garbage`` fills the unset machine registers as a real CPU would."""
    insns = [it for it in items if isinstance(it, Insn)]
    where = {}
    for it in items:
        if isinstance(it, Label):
            where[it.name] = len([x for x in items[: items.index(it)] if isinstance(x, Insn)])
    regs = {r: 0x5EED + r for r in range(10)} if garbage else {}
    regs.update({R1: CTX, R10: STACK_TOP})
    memory: dict[int, int] = {}
    pc, steps = 0, 0
    while True:
        steps += 1
        assert steps < 100000, "runaway program"
        insn = insns[pc]
        pc += 1
        cls = insn.code & 0x07
        if cls in (ALU, ALU64):
            _alu(insn, regs)
        elif cls in (LDX, STX, ST):
            _mem(insn, regs, memory)
        elif cls == LD:
            regs[insn.dst] = insn.imm & MASK
        elif insn.code == JMP | 0x80:
            _helper(regs, insn.imm)
        elif insn.code == JMP | EXIT:
            return regs[R0]
        elif _jump(insn, regs):
            pc = where[insn.target]


def vregs_in(items: Sequence[Item]) -> set[int]:
    return {r for it in items if isinstance(it, Insn) for r in (it.dst, it.src)
            if r >= VREG_BASE}


def _placed(reg: int, assignment: dict[int, int]) -> int | None:
    return assignment.get(reg) if reg >= VREG_BASE else reg


def check_no_conflicts(original: Sequence[Item], assignment: dict[int, int]) -> None:
    """No two simultaneously live virtual registers, nor a virtual register and a machine
    register written while it is live, share a register. Liveness is that of the input
    program; spilled virtual registers (absent from ``assignment``) are skipped."""
    flow = build_flow(original)
    out = live_out(flow)
    for i, insn in enumerate(flow.insns):
        exempt = {insn.src} if insn.code in (ALU64 | MOV | X, ALU | MOV | X) else set()
        for d in flow.defs[i]:
            for other in out[i] - {d} - exempt:
                rd, ro = _placed(d, assignment), _placed(other, assignment)
                if rd is None or ro is None or max(d, other) < VREG_BASE:
                    continue
                assert rd != ro, f"insn {i}: {d} and {other} both in r{rd}"


def allocate_checked(items: list[Item], frame_size: int = 0, **kw: object) -> list[Item]:
    result = assign(items, frame_size=frame_size, **kw)  # type: ignore[arg-type]
    assert not vregs_in(result.items)
    assert all(0 <= r <= R10 for r in result.assignment.values())
    check_no_conflicts(items, {v: r for v, r in result.assignment.items() if v in
                               vregs_in(items)})
    assemble(result.items)  # encodable: registers 0..10, labels resolvable
    assert run(result.items, garbage=True) == run(items)
    return result.items


# ---------------------------------------------------------------- programs


def test_straight_line() -> None:
    items: list[Item] = [
        mov64_imm(V[0], 7), mov64_imm(V[1], 5), alu64_reg(MUL, V[0], V[1]),
        mov64(V[2], V[0]), alu64_imm(ADD, V[2], 3), mov64(R0, V[2]), exit_insn(),
    ]
    out = allocate_checked(items)
    assert run(out) == 38
    assert len(out) <= len(items)


def test_values_live_across_calls_take_callee_saved() -> None:
    items: list[Item] = [
        mov64(V[0], R1), mov64_imm(V[1], 11), mov64_imm(V[2], 22),
        call_helper(5),
        mov64(V[3], R0),
        mov64(R1, V[0]), mov64(R2, V[1]), call_helper(14),
        alu64_reg(ADD, V[3], R0), alu64_reg(ADD, V[3], V[2]),
        mov64(R0, V[3]), exit_insn(),
    ]
    result = assign(items, frame_size=0)
    assert {result.assignment[v] for v in (V[0], V[1], V[2], V[3])} <= {6, 7, 8, 9}
    allocate_checked(items)


def test_explicit_argument_registers_are_not_clobbered() -> None:
    items: list[Item] = [
        mov64_imm(V[0], 1), mov64_imm(V[1], 2), mov64_imm(V[2], 3),
        mov64(R1, V[0]),
        mov64(R2, V[1]),
        # computed after R1/R2 are set: must not land in R1 or R2
        mov64(V[3], V[2]), alu64_imm(MUL, V[3], 100), mov64(V[4], V[3]), alu64_imm(ADD, V[4], 1),
        mov64(R3, V[4]),
        mov64(R4, V[3]), mov64_imm(R5, 9),
        call_helper(1),
        exit_insn(),
    ]
    result = assign(items, frame_size=0)
    assert result.assignment[V[3]] not in (R1, R2, R3)
    assert result.assignment[V[4]] not in (R1, R2)
    allocate_checked(items)


def test_argument_register_stays_live_until_the_call() -> None:
    items: list[Item] = [
        mov64_imm(R1, 77),
        # three values computed while R1 waits for the call: none may take R1
        mov64_imm(V[1], 1), mov64_imm(V[2], 2), mov64_imm(V[3], 3),
        mov64_imm(R2, 0), alu64_reg(ADD, R2, V[1]), alu64_reg(ADD, R2, V[2]),
        alu64_reg(ADD, R2, V[3]),
        call_helper(2), exit_insn(),
    ]
    result = assign(items, frame_size=0)
    assert R1 not in {result.assignment[v] for v in V[1:4]}
    allocate_checked(items)


def test_value_live_only_on_the_taken_branch() -> None:
    items: list[Item] = [
        mov64_imm(V[1], 2), mov64_imm(V[3], 7),
        jmp_imm(JGT, V[3], 0, "out"),
        mov64(V[1], V[3]),
        Label("out"), mov64(R0, V[1]), exit_insn(),
    ]
    out = allocate_checked(items)
    assert run(out) == 2


def test_arguments_set_before_a_branch_still_reach_the_call() -> None:
    items: list[Item] = [
        mov64_imm(R1, 10), mov64_imm(V[0], 5),
        jmp_imm(JEQ, V[0], 0, "skip"), mov64(V[1], V[0]), alu64_imm(ADD, V[1], 1),
        mov64(R2, V[1]), ja("call"),
        Label("skip"), mov64_imm(R2, 0),
        Label("call"), call_helper(2), exit_insn(),
    ]
    result = assign(items, frame_size=0)
    assert result.assignment[V[1]] != R1
    allocate_checked(items)


def test_diamond_and_loop() -> None:
    items: list[Item] = [
        mov64_imm(V[0], 0), mov64_imm(V[1], 0), mov64_imm(V[2], 3),
        Label("loop"),
        jmp_imm(JGT, V[1], 20, "done"),
        jmp_reg(JSGT, V[1], V[2], "big"),
        alu64_imm(ADD, V[0], 1), ja("next"),
        Label("big"), mov64(V[3], V[1]), alu64_imm(MUL, V[3], 2), alu64_reg(ADD, V[0], V[3]),
        Label("next"), alu64_imm(ADD, V[1], 1), ja("loop"),
        Label("done"), mov64(R0, V[0]), exit_insn(),
    ]
    out = allocate_checked(items)
    assert run(out) == 4 + sum(2 * i for i in range(4, 21))
    assert [it for it in out if isinstance(it, Label)] == [
        Label("loop"), Label("big"), Label("next"), Label("done")]


def test_loop_with_calls_keeps_counter_in_callee_saved() -> None:
    items: list[Item] = [
        mov64_imm(V[0], 0), mov64_imm(V[1], 0),
        Label("top"),
        mov64(R1, V[1]), call_helper(7), alu64_reg(XOR, V[0], R0),
        alu64_imm(ADD, V[1], 1), jmp_imm(JNE, V[1], 5, "top"),
        mov64(R0, V[0]), exit_insn(),
    ]
    result = assign(items, frame_size=0)
    assert result.assignment[V[0]] >= R6 and result.assignment[V[1]] >= R6
    allocate_checked(items)


def _pressure(count: int, with_call: bool = False) -> list[Item]:
    items: list[Item] = [mov64_imm(V[i], i * 3 + 1) for i in range(count)]
    if with_call:
        items += [mov64_imm(R1, 1), call_helper(5), mov64(V[count], R0)]
    else:
        items += [mov64_imm(V[count], 0)]
    items += [alu64_reg(ADD, V[count], V[i]) for i in range(count)]
    items += [alu64_imm(MUL, V[i], 3) for i in range(count)]  # keep all alive a second time
    items += [alu64_reg(XOR, V[count], V[i]) for i in range(count)]
    return items + [mov64(R0, V[count]), exit_insn()]


def test_spilling_under_pressure() -> None:
    items = _pressure(12)
    result = assign(items, frame_size=20)
    assert result.spill_slots, "13 values live at once must spill"
    assert result.frame_size == 24 + 8 * len(result.spill_slots)
    assert sorted(-off for off in result.spill_slots.values()) == [
        24 + 8 * k for k in range(1, len(result.spill_slots) + 1)]
    reloads = [it for it in result.items if isinstance(it, Insn) and it.src == R10]
    assert reloads and all(it.code == LDX | DW | 0x60 for it in reloads)
    allocate_checked(items, frame_size=20)


def test_spilling_across_calls() -> None:
    items = _pressure(8, with_call=True)
    result = assign(items, frame_size=0)
    assert result.spill_slots
    allocate_checked(items)


def test_allocate_returns_code_and_frame_size() -> None:
    code, frame = allocate(_pressure(12), frame_size=0)
    assert frame >= 8 and frame % 8 == 0
    assert not vregs_in(code)


def test_reserved_callee_saved_register_is_left_alone() -> None:
    items: list[Item] = [
        mov64(R6, R1),  # machine-state pointer kept in R6 by codegen
        mov64_imm(V[0], 1), mov64_imm(V[1], 2), mov64_imm(V[2], 3), mov64_imm(V[3], 4),
        call_helper(5),
        alu64_reg(ADD, V[0], V[1]), alu64_reg(ADD, V[0], V[2]), alu64_reg(ADD, V[0], V[3]),
        alu64_reg(ADD, V[0], R6), mov64(R0, V[0]), exit_insn(),
    ]
    result = assign(items, frame_size=0, callee_saved_reserved=[R6])
    assert R6 not in result.assignment.values()
    assert result.spill_slots  # four values across a call, only R7-R9 left
    allocate_checked(items, callee_saved_reserved=[R6])


def test_comments_survive_spilling_and_move_removal() -> None:
    items = _pressure(12)
    items = [it.with_comment(f"line {i}") if isinstance(it, Insn) else it
             for i, it in enumerate(items)]
    out = allocate_checked(items)
    comments = [it.comment for it in out if isinstance(it, Insn) and it.comment]
    assert comments == [f"line {i}" for i in range(len(items))]


def test_identity_moves_disappear() -> None:
    items: list[Item] = [call_helper(5), mov64(V[0], R0), alu64_imm(ADD, V[0], 1),
                         mov64(R0, V[0]), exit_insn()]
    out = allocate_checked(items)
    assert len(out) == 3


def test_32bit_moves_and_wide_loads() -> None:
    items: list[Item] = [
        ld_imm64(V[0], 0x1_0000_0005), mov32(V[1], V[0]), alu32_imm(ADD, V[1], 1),
        stx(DW, R10, -8, V[1]), st_imm(DW, R10, -16, 3), ldx(DW, V[2], R10, -8),
        ldx(DW, V[3], R10, -16), alu64_reg(ADD, V[2], V[3]), mov64(R0, V[2]), exit_insn(),
    ]
    out = allocate_checked(items, frame_size=16)
    assert run(out) == 9


def test_stack_overflow_is_reported() -> None:
    with pytest.raises(ValueError, match="exceeds 512"):
        assign(_pressure(12), frame_size=504)


def test_unknown_label() -> None:
    with pytest.raises(ValueError, match="unknown label 'x'"):
        assign([ja("x"), exit_insn()], frame_size=0)


# ---------------------------------------------------------------- random programs


def _random_program(rng: random.Random, nvregs: int, length: int) -> list[Item]:
    regs = V[:nvregs]
    items: list[Item] = [mov64_imm(v, rng.randrange(1000)) for v in regs]
    for n in range(length):
        kind = rng.random()
        a, b = rng.choice(regs), rng.choice(regs)
        if kind < 0.55:
            items.append(alu64_reg(rng.choice([ADD, SUB, XOR, OR, MUL]), a, b))
        elif kind < 0.7:
            items.append(alu64_imm(rng.choice([ADD, LSH, RSH, AND]), a, rng.randrange(1, 9)))
        elif kind < 0.85:
            items += [mov64(R1, a), mov64(R2, b), call_helper(100 + n), mov64(rng.choice(regs), R0)]
        else:
            items += [jmp_reg(JGT, a, b, f"s{n}"), alu64_imm(ADD, a, 1), Label(f"s{n}")]
    fold = [alu64_reg(XOR, regs[0], v) for v in regs[1:]]
    return items + fold + [mov64(R0, regs[0]), exit_insn()]


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_behave_the_same(seed: int) -> None:
    rng = random.Random(seed)
    allocate_checked(_random_program(rng, rng.randrange(2, 18), rng.randrange(5, 60)),
                     frame_size=rng.randrange(0, 64))
