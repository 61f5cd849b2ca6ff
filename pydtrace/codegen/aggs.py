"""Aggregations in the kernel: one per-CPU map per aggregation, updated in place.

Key layout: integer keys take 8 bytes (the 64-bit extended value), string keys
the longest string any use can store (16 for ``execname``), zero padded so
equal strings hash equal. Values per function (u64/s64 words)::

    count     [n]                 min/max  [n, value]
    sum       [sum]               avg      [n, sum]
    stddev    [n, sum, sq_lo, sq_hi]  (sum of squares is 128-bit)
    quantize  [127 buckets]       lquantize [levels + 2]   llquantize [nbuckets]

``n`` lets the consumer ignore CPUs that never saw a value (min/max). A keyless
aggregation (a per-CPU array, always "present") ends with a word set to 1 on
first use, so ``@ = sum(0)`` prints 0 while an unused one prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.expr import compile_int
from pydtrace.codegen.layout import STATE_AGGDROPS
from pydtrace.lang import ast as A
from pydtrace.sema.check import Analysis
from pydtrace.sema.symbols import AggVar
from pydtrace.sys.syscall import BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH

QUANTIZE_BUCKETS = 127
QUANTIZE_ZERO = 63
BPF_NOEXIST = 1
STRING_SOURCES_16 = ("execname",)


@dataclass
class KeyField:
    """Where one key component sits in an aggregation's map key."""

    offset: int
    size: int
    kind: str  # "int" or "string"


@dataclass
class AggPlan:
    """The map and the key/value layout of one aggregation."""

    var: AggVar
    map_name: str
    keys: list[KeyField] = field(default_factory=list)
    key_size: int = 4
    value_size: int = 8
    nbuckets: int = 0
    bounds: list[int] = field(default_factory=list)  # llquantize lower bounds

    @property
    def map_type(self) -> int:
        return BPF_MAP_TYPE_PERCPU_HASH if self.keys else BPF_MAP_TYPE_PERCPU_ARRAY


def llquantize_bounds(factor: int, low: int, high: int, nsteps: int) -> list[int]:
    """Lower bounds of every llquantize bucket after the underflow one."""
    bounds: list[int] = []
    for mag in range(low, high + 1):
        start, end = factor ** mag, factor ** (mag + 1)
        step = max(1, end // nsteps)
        value = start
        while value < end:
            bounds.append(value)
            value = (value // step + 1) * step if value % step else value + step
    bounds.append(factor ** (high + 1))
    return bounds


def value_words(plan: AggPlan) -> int:
    var = plan.var
    if var.func in ("count", "sum"):
        return 1
    if var.func in ("avg", "min", "max"):
        return 2
    if var.func == "stddev":
        return 4
    if var.func == "quantize":
        return QUANTIZE_BUCKETS
    if var.func == "lquantize":
        low, high, step = var.params
        return (high - low) // step + 2
    plan.bounds = llquantize_bounds(*var.params)
    return len(plan.bounds) + 1


def string_key_size(an: Analysis, node: A.Expr) -> int:
    if isinstance(node, A.StrLit):
        return min(an.strsize, len(node.value) + 1)
    if isinstance(node, A.Ident) and node.name in STRING_SOURCES_16:
        return 16
    return an.strsize


def plan_aggregations(program: A.Program, an: Analysis) -> dict[str, AggPlan]:
    plans = {name: AggPlan(var, f"agg{var.id}") for name, var in an.symbols.aggs.items()}
    sizes: dict[str, list[int]] = {}
    for stmt in iter_agg_stmts(program):
        cur = sizes.setdefault(stmt.name, [0] * len(stmt.keys))
        for i, key in enumerate(stmt.keys):
            t = an.type_of(key).resolve()
            cur[i] = max(cur[i], (string_key_size(an, key) + 7) & ~7 if t.is_string else 8)
    for name, plan in plans.items():
        off = 0
        for i, size in enumerate(sizes.get(name, [])):
            kind = "string" if (plan.var.key_types or [])[i].resolve().is_string else "int"
            plan.keys.append(KeyField(off, size, kind))
            off += size
        plan.key_size = off if plan.keys else 4
        plan.nbuckets = value_words(plan)
        # a keyless aggregation has a presence word: @ = sum(0) exists with value 0
        plan.value_size = plan.nbuckets * 8 + (0 if plan.keys else 8)
    return plans


def iter_agg_stmts(program: A.Program):
    def walk(stmts):
        for s in stmts or []:
            if isinstance(s, A.AggStmt):
                yield s
            elif isinstance(s, A.If):
                yield from walk(s.then)
                yield from walk(s.otherwise)
    for clause in program.clauses:
        yield from walk(clause.body)


# ---------------------------------------------------------------- lowering


def lower_agg(g: ClauseGen, stmt: A.AggStmt, plan: AggPlan) -> None:
    from pydtrace.codegen.strings import copy_string

    em = g.em
    args = [compile_int(g, a) for a in stmt.args]
    if plan.keys:
        base, key_off, key = key_buffer(g, plan.key_size)
        for kf, node in zip(plan.keys, stmt.keys, strict=False):
            if kf.kind == "string":
                copy_string(g, base, key_off + kf.offset, node, kf.size, pad=True)
            else:
                em.emit(I.stx(O.DW, base, key_off + kf.offset, compile_int(g, node)))
    else:
        key_off = em.stack_alloc(4)
        key = ("fp", key_off)
        em.emit(I.st_imm(O.W, 10, key_off, 0))
    done = em.new_label("aggdone")
    value = lookup_or_create(g, plan, key, done)
    UPDATE[plan.var.func](g, value, args, plan)
    if not plan.keys:
        em.emit(I.st_imm(O.DW, value, plan.nbuckets * 8, 1))
    em.label(done)


def key_buffer(g: ClauseGen, size: int) -> tuple[int, int, tuple]:
    """(base register, offset, helper-argument form) of a ``size``-byte key buffer.

    Small keys live on the stack; keys of several strings would not fit the
    512-byte BPF frame, so they are built in the state map's scratch slots."""
    from pydtrace.codegen.variables import STACK_KEY_MAX

    if size <= STACK_KEY_MAX:
        off = g.em.stack_alloc(size)
        return 10, off, ("fp", off)
    off = g.scratch_slot(-(-size // g.slot_size))
    return STATE_REG, off, ("reg+", STATE_REG, off)


def lookup_or_create(g: ClauseGen, plan: AggPlan, key: tuple, done: str) -> int:
    em = g.em
    value = em.call(H.MAP_LOOKUP_ELEM, [("map", plan.map_name), key])
    if not plan.keys:
        em.emit(I.jmp_imm(O.JEQ, value, 0, done))
        return value
    found = em.new_label("aggfound")
    em.emit(I.jmp_imm(O.JNE, value, 0, found))
    em.call_void(H.MAP_UPDATE_ELEM, [("map", plan.map_name), key,
                                     ("mapval", "aggzero", 0), ("imm", BPF_NOEXIST)])
    again = em.call(H.MAP_LOOKUP_ELEM, [("map", plan.map_name), key])
    em.emit(I.mov64(value, again))
    em.emit(I.jmp_imm(O.JNE, value, 0, found))
    count_aggdrop(g)
    em.emit(I.ja(done))
    em.label(found)
    return value


def count_aggdrop(g: ClauseGen) -> None:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, STATE_REG, STATE_AGGDROPS))
    g.em.emit(I.add64_imm(reg, 1))
    g.em.emit(I.stx(O.DW, STATE_REG, STATE_AGGDROPS, reg))


def add_word(g: ClauseGen, base: int, off: int, amount: int | None) -> None:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, base, off))
    if amount is None:
        g.em.emit(I.add64_imm(reg, 1))
    else:
        g.em.emit(I.alu64_reg(O.ADD, reg, amount))
    g.em.emit(I.stx(O.DW, base, off, reg))


def upd_count(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    add_word(g, v, 0, args[0] if args else None)


def upd_sum(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    add_word(g, v, 0, args[0])


def upd_avg(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    add_word(g, v, 0, None)
    add_word(g, v, 8, args[0])


def upd_minmax(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    em = g.em
    store, skip = em.new_label("mmstore"), em.new_label("mmskip")
    n = em.vreg()
    em.emit(I.ldx(O.DW, n, v, 0))
    em.emit(I.jmp_imm(O.JEQ, n, 0, store))
    cur = em.vreg()
    em.emit(I.ldx(O.DW, cur, v, 8))
    keep = O.JSGE if plan.var.func == "min" else O.JSLE
    em.emit(I.jmp_reg(keep, args[0], cur, skip))
    em.label(store)
    em.emit(I.stx(O.DW, v, 8, args[0]))
    em.label(skip)
    add_word(g, v, 0, None)


def upd_stddev(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    em = g.em
    add_word(g, v, 0, None)
    add_word(g, v, 8, args[0])
    lo, hi = square128(g, args[0])
    old = em.vreg()
    em.emit(I.ldx(O.DW, old, v, 16))
    new = em.copy(old)
    em.emit(I.alu64_reg(O.ADD, new, lo))
    em.emit(I.stx(O.DW, v, 16, new))
    nocarry = em.new_label("nocarry")
    em.emit(I.jmp_reg(O.JGE, new, old, nocarry))
    em.emit(I.add64_imm(hi, 1))
    em.label(nocarry)
    add_word(g, v, 24, hi)


def square128(g: ClauseGen, x: int) -> tuple[int, int]:
    """(lo, hi) of x*x as an unsigned 128-bit number, from 32-bit halves of |x|."""
    em = g.em
    a = em.copy(x)
    pos = em.new_label("abs")
    em.emit(I.jmp_imm(O.JSGE, a, 0, pos))
    em.emit(I.neg64(a))
    em.label(pos)
    ah, al = em.copy(a), em.copy(a)
    em.emit(I.alu64_imm(O.RSH, ah, 32))
    em.emit(I.mov32(al, al))
    lo = em.copy(al)
    em.emit(I.alu64_reg(O.MUL, lo, al))          # al*al
    hi = em.copy(ah)
    em.emit(I.alu64_reg(O.MUL, hi, ah))          # ah*ah
    mid = em.copy(ah)
    em.emit(I.alu64_reg(O.MUL, mid, al))         # ah*al, counted twice
    for _ in range(2):
        part_lo = em.copy(mid)
        em.emit(I.alu64_imm(O.LSH, part_lo, 32))
        part_hi = em.copy(mid)
        em.emit(I.alu64_imm(O.RSH, part_hi, 32))
        old = em.copy(lo)
        em.emit(I.alu64_reg(O.ADD, lo, part_lo))
        em.emit(I.alu64_reg(O.ADD, hi, part_hi))
        nocarry = em.new_label("nc")
        em.emit(I.jmp_reg(O.JGE, lo, old, nocarry))
        em.emit(I.add64_imm(hi, 1))
        em.label(nocarry)
    return lo, hi


def bump_bucket(g: ClauseGen, v: int, idx: int, incr: int | None, nbuckets: int) -> None:
    em = g.em
    em.emit(I.jmp_imm(O.JLE, idx, nbuckets - 1, ok := em.new_label("inb")))
    em.emit(I.mov64_imm(idx, nbuckets - 1))
    em.label(ok)
    em.emit(I.alu64_imm(O.LSH, idx, 3))
    addr = em.copy(v)
    em.emit(I.alu64_reg(O.ADD, addr, idx))
    add_word(g, addr, 0, incr)


def upd_quantize(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    em = g.em
    x = em.copy(args[0])
    idx = em.mov_imm(QUANTIZE_ZERO)
    done, neg = em.new_label("qdone"), em.new_label("qneg")
    em.emit(I.jmp_imm(O.JEQ, x, 0, done))
    em.emit(I.jmp_imm(O.JSLT, x, 0, neg))
    log = log2(g, x)
    em.emit(I.mov64_imm(idx, QUANTIZE_ZERO + 1))
    em.emit(I.alu64_reg(O.ADD, idx, log))
    em.emit(I.ja(done))
    em.label(neg)
    em.emit(I.neg64(x))
    log2n = log2(g, x)
    em.emit(I.mov64_imm(idx, QUANTIZE_ZERO - 1))
    em.emit(I.alu64_reg(O.SUB, idx, log2n))
    em.emit(I.jmp_imm(O.JSGE, idx, 0, done))
    em.emit(I.mov64_imm(idx, 0))
    em.label(done)
    bump_bucket(g, v, idx, args[1] if len(args) > 1 else None, QUANTIZE_BUCKETS)


def log2(g: ClauseGen, x: int) -> int:
    """floor(log2(x)) of a non-zero unsigned value by binary search on bits."""
    em = g.em
    val, out = em.copy(x), em.mov_imm(0)
    for shift in (32, 16, 8, 4, 2, 1):
        skip = em.new_label("lg")
        em.emit(I.jmp_imm(O.JLT, val, 1 << shift, skip) if shift < 31 else
                I.jmp_reg(O.JLT, val, em.mov_imm(1 << shift), skip))
        em.emit(I.alu64_imm(O.RSH, val, shift))
        em.emit(I.add64_imm(out, shift))
        em.label(skip)
    return out


def upd_lquantize(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    em = g.em
    low, high, step = plan.var.params
    levels = (high - low) // step
    x = em.copy(args[0])
    idx = em.mov_imm(0)
    done = em.new_label("lqdone")
    em.emit(I.jmp_imm(O.JSLT, x, low, done))
    em.emit(I.mov64_imm(idx, levels + 1))
    em.emit(I.jmp_imm(O.JSGE, x, low + levels * step, done))
    em.emit(I.mov64(idx, x))
    em.emit(I.add64_imm(idx, -low))
    if step != 1:
        em.emit(I.alu64_imm(O.DIV, idx, step))
    em.emit(I.add64_imm(idx, 1))
    em.label(done)
    bump_bucket(g, v, idx, args[4] if len(args) > 4 else None, plan.nbuckets)


def upd_llquantize(g: ClauseGen, v: int, args: list[int], plan: AggPlan) -> None:
    em = g.em
    idx = em.vreg()
    done = em.new_label("llqdone")
    search_bounds(g, args[0], idx, plan.bounds, 0, len(plan.bounds), done)
    em.label(done)
    bump_bucket(g, v, idx, args[5] if len(args) > 5 else None, plan.nbuckets)


def search_bounds(g: ClauseGen, x: int, idx: int, bounds: list[int], lo: int, hi: int,
                  done: str) -> None:
    """Emits a balanced comparison tree: idx = number of bounds <= x."""
    em = g.em
    if lo == hi:
        em.emit(I.mov64_imm(idx, lo))
        em.emit(I.ja(done))
        return
    mid = (lo + hi) // 2
    right = em.new_label("llr")
    bound = bounds[mid]
    if bound < (1 << 31):
        em.emit(I.jmp_imm(O.JSGE, x, bound, right))
    else:
        em.emit(I.jmp_reg(O.JSGE, x, em.mov_imm(bound), right))
    search_bounds(g, x, idx, bounds, lo, mid, done)
    em.label(right)
    search_bounds(g, x, idx, bounds, mid + 1, hi, done)


UPDATE = {"count": upd_count, "sum": upd_sum, "avg": upd_avg, "min": upd_minmax,
          "max": upd_minmax, "stddev": upd_stddev, "quantize": upd_quantize,
          "lquantize": upd_lquantize, "llquantize": upd_llquantize}
