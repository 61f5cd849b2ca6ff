"""Whole-program assembly: clauses, trampolines, program groups and map specs.

Probes that share a probe kind and the same clause list share one loaded
program; an attach cookie tells the program which probe fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pydtrace.bpf.asm import resolve
from pydtrace.bpf.insn import Insn, Item
from pydtrace.bpf.opcodes import DW, MEM, R7, ST
from pydtrace.codegen.aggs import AggPlan, plan_aggregations
from pydtrace.codegen.clause import ClauseCompiler
from pydtrace.codegen.context import STATE_REG, ClauseGen, ClauseInfo, ConstPool
from pydtrace.codegen.deadcode import remove_unreachable
from pydtrace.codegen.layout import STATE_ARGS, STATE_SCRATCH, RecordLayout
from pydtrace.codegen.regalloc import RegistersExhausted, allocate
from pydtrace.codegen.strings import PDESC_MAP, pdesc_blob
from pydtrace.codegen.trampoline import (
    KINDS,
    SYSCALL_TABLE_SIZE,
    syscall_table_map,
    trampoline,
)
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.providers.base import Probe
from pydtrace.sema.check import Analysis
from pydtrace.sys import syscall as sc


@dataclass
class MapSpec:
    """A BPF map to create: pure data, testable without root."""

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
    """A BPF program to load and the probes it serves."""

    name: str
    kind: str
    prog_type: int
    insns: list[Insn]
    probes: list[Probe]


@dataclass
class CompiledProgram:
    """Everything a run needs: programs, maps, record layouts."""

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
        self.uses_specs = False  # some clause speculates: the specs map is needed
        self.subject = False  # some probe stores a subject task (codegen.subject)
        self.extra_maps: list[MapSpec] = []  # syscall tables of wide programs
        self.pdesc_entries = 0  # probe ids a pdesc lookup can see (max id + 1)
        self.pdesc_used = False

    def build(self, program: A.Program, clause_probes: list[list[Probe]]) -> CompiledProgram:
        plans = plan_aggregations(program, self.an)
        if self.an.symbols.dynvars:
            from pydtrace.sema.variables import this_area

            this_area(self.an.symbols)  # this-> offsets, before any scratch slot
        self.error_epids = [e for e, ps in enumerate(clause_probes, 1)
                            if any(p.kind == "error" for p in ps)]
        all_probes = {p.id: p for ps in clause_probes for p in ps}
        self.pdesc_entries = max(all_probes, default=0) + 1
        pairs = zip(program.clauses, clause_probes, strict=True)
        for epid, (clause, probes) in enumerate(pairs, 1):
            self.compile_clause(epid, clause, probes, plans)
        programs = self.group_programs(clause_probes)
        maps = self.map_specs(plans) + self.extra_maps
        if any(p.kind == "lockstat" for p in all_probes.values()):
            from pydtrace.codegen import lockstat  # contention probes: their companions

            programs.insert(0, lockstat.begin_program())
            programs.append(lockstat.end_program())  # attached last: runs after the probes
            maps += lockstat.slot_maps()
        if self.uses_specs:
            from pydtrace.codegen.speculation import specs_map

            maps.append(specs_map(self.options))
        if self.pdesc_used:
            maps.append(self.pdesc_map(all_probes))
        return CompiledProgram(self.an, self.clauses, programs, maps, plans, all_probes)

    def pdesc_map(self, probes: dict[int, Probe]) -> MapSpec:
        """Probe id -> its four description strings, for clauses spanning probes."""
        blob = pdesc_blob(probes, self.pdesc_entries, self.an.strsize)
        return MapSpec(PDESC_MAP, sc.BPF_MAP_TYPE_ARRAY, 4, len(blob), 1,
                       sc.BPF_F_RDONLY_PROG, blob, freeze=True)

    def compile_clause(self, epid: int, clause: A.Clause, probes: list[Probe],
                       plans: dict[str, AggPlan]) -> None:
        info = ClauseInfo(epid, clause.line, RecordLayout(), probes=probes)
        g = ClauseGen(self.an, self.consts, info, probe_strings(probes), self.options)
        g.pdesc_entries = self.pdesc_entries  # read by codegen.strings.probe_string_ptr
        if epid not in self.error_epids:
            g.error_labels = [f"c{e}" for e in self.error_epids]
        # flowindent prints its prefix (with the CPU) even under quiet, as dtrace(1) does
        quiet = bool(self.options["quiet"]) and not self.options["flowindent"]
        items = remove_unreachable(ClauseCompiler(g, clause, plans, quiet, self.lines).compile())
        try:
            items, _ = allocate(items, frame_size=g.em.frame_peak,
                                callee_saved_reserved=[STATE_REG])
        except RegistersExhausted as exc:  # dt_regset_alloc: no register left
            raise DCompileError("D_NOREG", "Insufficient registers to generate code",
                                clause.line or None) from exc
        self.scratch_slots = max(self.scratch_slots, g.scratch_next)
        from pydtrace.codegen.subr import callback_items

        items += callback_items(g)  # bpf_loop callbacks of string subroutines
        self.pdesc_used = self.pdesc_used or g.pdesc_used
        self.uses_specs = self.uses_specs or g.uses_specs
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
        from pydtrace.codegen.subject import subject_slot

        self.subject = any(subject_slot(p) >= 0 for p in epids_of)  # codegen.subject
        for probe, epids in epids_of.items():
            if probe.kind == "error":
                continue  # called from fault stubs, never attached
            kind = KINDS.get(probe.kind)
            if kind is None:
                raise DCompileError("D_PDESC_INVAL", f"probe {probe.fullname} cannot be "
                                    "enabled: its provider is not supported yet")
            key = (probe.kind, tuple(epids)) if kind.cookie else (probe.kind, probe.id)
            groups.setdefault(key, []).append(probe)
        return [self.make_program(part, epids_of[probes[0]])
                for probes in groups.values()
                for part in split_group(probes, bool(self.options.get("rawsyscalls", False)))]

    def make_program(self, probes: list[Probe], epids: list[int]) -> ProgramSpec:
        kind = probes[0].kind
        labels = [f"c{e}" for e in epids]
        name = f"dt_{kind}_{probes[0].id}"
        use_ts = bool({"timestamp", "vtimestamp"} & self.an.uses)
        items = trampoline(kind, probes[0].id, labels, use_ts=use_ts,
                           probes=probes, prog_name=name, cpu=self.options["cpu"],
                           subject=self.subject, use_errno="errno" in self.an.uses)
        if not self.uses_args():
            items = [i for i in items if not zeroes_an_arg(i)]
        if KINDS[kind].select is not None:
            self.extra_maps.append(syscall_table(name, probes))
        for e in epids:
            items += self.clause_items[e]
        if self.calls_error & set(epids):
            for e in self.error_epids:
                if e not in epids:
                    items += self.clause_items[e]
        return ProgramSpec(name, kind, KINDS[kind].prog_type, resolve(items), probes)

    def uses_args(self) -> bool:
        """Whether any clause reads argN (args[] and provider arguments become argN)."""
        return any(name.startswith("arg") for name in self.an.uses)

    def map_specs(self, plans: dict[str, AggPlan]) -> list[MapSpec]:
        slot = (self.an.strsize + 8 + 7) & ~7
        # two slots of slack: string subroutines may overrun the last slot (strjoin)
        slots = self.scratch_slots + 2 if self.scratch_slots else 0
        state_size = STATE_SCRATCH + self.an.symbols.this_size + slots * slot
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
        if self.an.symbols.dynvars:
            from pydtrace.codegen.variables import dynvar_maps

            maps += dynvar_maps(self.an, self.options)
        if "stack" in self.an.uses:  # stack() aggregation keys: ids into a stack-trace map
            from pydtrace.codegen.kernel import stack_map_spec

            maps.append(stack_map_spec(self.an, self.options))
        if "ustack" in self.an.uses or "upids" in self.an.uses:
            from pydtrace.codegen.ustacks import map_specs as ustack_maps

            maps += ustack_maps(self.an, self.options)
        entries = agg_entries(self.options)
        for plan in plans.values():
            maps.append(MapSpec(plan.map_name, plan.map_type, plan.key_size, plan.value_size,
                                entries if plan.keys else 1))
        return maps


def split_group(probes: list[Probe], raw: bool = False) -> list[list[Probe]]:
    """The programs a group of probes sharing kind and clauses needs: a big group of
    syscall probes becomes one program on raw_syscalls that selects the system
    calls in BPF (probe.data[0] is the number; probes with an unknown number
    stay apart); kinds with a ``group_key`` split by it.

    Measured here: a traced call costs about 41 ns through its own tracepoint and
    34 ns through raw_syscalls, but the raw program also adds about 11 ns to every
    other system call; so narrow matches keep their own tracepoints unless ``raw``
    (``-x rawsyscalls``) asks otherwise, and each one closed costs an RCU grace
    period on exit, so wide matches go raw."""
    kind = KINDS[probes[0].kind]
    wide_min = -1 if raw else kind.wide_min
    parts: list[list[Probe]] = []
    if kind.wide is not None and len(probes) > wide_min:
        known = [p for p in probes if p.data and 0 <= p.data[0] < SYSCALL_TABLE_SIZE]
        if len(known) > wide_min:
            parts.append([replace(p, kind=kind.wide) for p in known])
            probes = [p for p in probes if p not in known]
    by_key: dict[object, list[Probe]] = {}
    for p in probes:
        by_key.setdefault(kind.group_key(p) if kind.group_key else None, []).append(p)
    return parts + list(by_key.values())


def syscall_table(prog_name: str, probes: list[Probe]) -> MapSpec:
    """The read-only u32 table (syscall number -> probe id) of a wide program."""
    table = bytearray(4 * SYSCALL_TABLE_SIZE)
    for p in probes:
        table[4 * p.data[0]:4 * p.data[0] + 4] = p.id.to_bytes(4, "little")
    return MapSpec(syscall_table_map(prog_name), sc.BPF_MAP_TYPE_ARRAY, 4, len(table), 1,
                   sc.BPF_F_RDONLY_PROG, bytes(table), freeze=True)


def agg_entries(options) -> int:
    """Entries per aggregation map: aggsize bytes split into 256-byte entries."""
    return max(64, min(options["aggsize"] // 256, 1 << 20))


def ring_size(bufsize: int) -> int:
    """The ring buffer must be a power-of-two number of pages."""
    size = 4096
    while size < bufsize:
        size <<= 1
    return size


def zeroes_an_arg(item) -> bool:
    """A trampoline store of 0 into an argN slot: pure per-event cost when no clause
    reads arguments (the fill functions zero the slots a probe does not have)."""
    return (isinstance(item, Insn) and item.code == (ST | MEM | DW) and item.dst == R7
            and STATE_ARGS <= item.off < STATE_ARGS + 80 and item.imm == 0)
