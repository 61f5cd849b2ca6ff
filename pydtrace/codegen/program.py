"""Whole-program assembly: clauses, trampolines, program groups and map specs.

Probes that share a probe kind and the same clause list share one loaded
program; an attach cookie tells the program which probe fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydtrace.bpf.asm import resolve
from pydtrace.bpf.insn import Insn, Item
from pydtrace.codegen.aggs import AggPlan, plan_aggregations
from pydtrace.codegen.clause import ClauseCompiler
from pydtrace.codegen.context import STATE_REG, ClauseGen, ClauseInfo, ConstPool
from pydtrace.codegen.deadcode import remove_unreachable
from pydtrace.codegen.layout import STATE_SCRATCH, RecordLayout
from pydtrace.codegen.regalloc import allocate
from pydtrace.codegen.trampoline import KINDS, trampoline
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.providers.base import Probe
from pydtrace.sema.check import Analysis
from pydtrace.sys import syscall as sc


@dataclass
class MapSpec:
    name: str
    map_type: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    initial: bytes | None = None  # value of key 0
    freeze: bool = False


@dataclass
class ProgramSpec:
    name: str
    kind: str
    prog_type: int
    insns: list[Insn]
    probes: list[Probe]


@dataclass
class CompiledProgram:
    analysis: Analysis
    clauses: dict[int, ClauseInfo]
    programs: list[ProgramSpec]
    maps: list[MapSpec]
    aggs: dict[str, AggPlan]
    probes: dict[int, Probe] = field(default_factory=dict)
    scratch_size: int = 0


def probe_strings(probes: list[Probe]) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for attr, name in (("provider", "probeprov"), ("module", "probemod"),
                       ("function", "probefunc"), ("name", "probename")):
        values = {getattr(p, attr) for p in probes}
        out[name] = values.pop().encode() if len(values) == 1 else None
    return out


class ProgramBuilder:
    def __init__(self, an: Analysis, options, source_lines: list[str]) -> None:
        self.an = an
        self.options = options
        self.lines = source_lines
        self.consts = ConstPool(an.strsize)
        self.clause_items: dict[int, list[Item]] = {}
        self.clauses: dict[int, ClauseInfo] = {}
        self.scratch_slots = 0
        self.error_epids: list[int] = []
        self.calls_error: set[int] = set()  # clauses whose faults fire ERROR

    def build(self, program: A.Program, clause_probes: list[list[Probe]]) -> CompiledProgram:
        plans = plan_aggregations(program, self.an)
        self.error_epids = [e for e, ps in enumerate(clause_probes, 1)
                            if any(p.kind == "error" for p in ps)]
        pairs = zip(program.clauses, clause_probes, strict=True)
        for epid, (clause, probes) in enumerate(pairs, 1):
            self.compile_clause(epid, clause, probes, plans)
        programs = self.group_programs(clause_probes)
        maps = self.map_specs(plans)
        all_probes = {p.id: p for ps in clause_probes for p in ps}
        return CompiledProgram(self.an, self.clauses, programs, maps, plans, all_probes)

    def compile_clause(self, epid: int, clause: A.Clause, probes: list[Probe],
                       plans: dict[str, AggPlan]) -> None:
        info = ClauseInfo(epid, clause.line, RecordLayout(), probes=probes)
        g = ClauseGen(self.an, self.consts, info, probe_strings(probes), self.options)
        if epid not in self.error_epids:
            g.error_labels = [f"c{e}" for e in self.error_epids]
        quiet = bool(self.options["quiet"])
        items = remove_unreachable(ClauseCompiler(g, clause, plans, quiet, self.lines).compile())
        try:
            items, _ = allocate(items, frame_size=g.em.frame_size,
                                callee_saved_reserved=[STATE_REG])
        except ValueError as exc:
            raise DCompileError("D_CG_EXPR", f"clause too complex for BPF: {exc}",
                                clause.line or None) from exc
        self.scratch_slots = max(self.scratch_slots, g.scratch_next)
        if g.fault_sites and g.error_labels:
            self.calls_error.add(epid)
        self.clause_items[epid] = items
        self.clauses[epid] = info

    def group_programs(self, clause_probes: list[list[Probe]]) -> list[ProgramSpec]:
        groups: dict[tuple, list[Probe]] = {}
        epids_of: dict[Probe, list[int]] = {}
        for epid, probes in enumerate(clause_probes, 1):
            for p in probes:
                epids_of.setdefault(p, []).append(epid)
        for probe, epids in epids_of.items():
            if probe.kind == "error":
                continue  # called from fault stubs, never attached
            kind = KINDS.get(probe.kind)
            if kind is None:
                raise DCompileError("D_PDESC_INVAL", f"probe {probe.fullname} cannot be "
                                    "enabled: its provider is not supported yet")
            key = (probe.kind, tuple(epids)) if kind.cookie else (probe.kind, probe.id)
            groups.setdefault(key, []).append(probe)
        return [self.make_program(key, probes, epids_of[probes[0]])
                for key, probes in groups.items()]

    def make_program(self, key: tuple, probes: list[Probe], epids: list[int]) -> ProgramSpec:
        kind = key[0]
        labels = [f"c{e}" for e in epids]
        items = trampoline(kind, probes[0].id, labels, use_ts="timestamp" in self.an.uses)
        for e in epids:
            items += self.clause_items[e]
        if self.calls_error & set(epids):
            for e in self.error_epids:
                if e not in epids:
                    items += self.clause_items[e]
        name = f"dt_{kind}_{probes[0].id}"
        return ProgramSpec(name, kind, KINDS[kind].prog_type, resolve(items), probes)

    def map_specs(self, plans: dict[str, AggPlan]) -> list[MapSpec]:
        slot = (self.an.strsize + 8 + 7) & ~7
        state_size = STATE_SCRATCH + self.scratch_slots * slot
        maps = [
            MapSpec("state", sc.BPF_MAP_TYPE_PERCPU_ARRAY, 4, state_size, 1),
            MapSpec("globals", sc.BPF_MAP_TYPE_ARRAY, 4,
                    (self.an.symbols.globals_size + 7) & ~7, 1),
            MapSpec("rb", sc.BPF_MAP_TYPE_RINGBUF, 0, 0, ring_size(self.options["bufsize"])),
            MapSpec("strtab", sc.BPF_MAP_TYPE_ARRAY, 4, len(self.consts.blob()), 1,
                    sc.BPF_F_RDONLY_PROG, self.consts.blob(), freeze=True),
        ]
        zero = max([p.value_size for p in plans.values()] + [8])
        maps.append(MapSpec("aggzero", sc.BPF_MAP_TYPE_ARRAY, 4, zero, 1, sc.BPF_F_RDONLY_PROG,
                            None, freeze=True))
        entries = agg_entries(self.options)
        for plan in plans.values():
            maps.append(MapSpec(plan.map_name, plan.map_type, plan.key_size, plan.value_size,
                                entries if plan.keys else 1))
        return maps


def agg_entries(options) -> int:
    """Entries per aggregation map: aggsize bytes split into 256-byte entries."""
    return max(64, min(options["aggsize"] // 256, 1 << 20))


def ring_size(bufsize: int) -> int:
    """The ring buffer must be a power-of-two number of pages."""
    size = 4096
    while size < bufsize:
        size <<= 1
    return size
