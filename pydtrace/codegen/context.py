"""Per-clause code generation state shared by the lowering modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydtrace.codegen.emit import Emitter
from pydtrace.codegen.layout import STATE_SCRATCH, RecordLayout
from pydtrace.sema.check import Analysis

STATE_REG = 9  # R9 holds the machine-state pointer inside clause subprograms
MAX_SCRATCH_SLOTS = 24
# per-CPU array values are limited to 32 KiB (room kept for the state header)
MAX_SCRATCH_BYTES = 32768 - 256


@dataclass
class ConstPool:
    """Read-only constants (string literals) in the frozen ``strtab`` map.

    Each literal is followed by enough zero bytes that ``strsize`` bytes can be
    read from its start, so string copies never run past the map value.
    """

    strsize: int
    data: bytearray = field(default_factory=bytearray)
    index: dict[bytes, int] = field(default_factory=dict)

    def add(self, value: bytes) -> int:
        if value in self.index:
            return self.index[value]
        off = len(self.data)
        self.data += value + b"\0"
        self.data += b"\0" * ((-len(self.data)) % 8)
        self.index[value] = off
        return off

    def blob(self) -> bytes:
        return bytes(self.data) + b"\0" * (self.strsize + 8)


@dataclass
class ClauseInfo:
    """What the consumer needs to know to decode one clause's records."""

    epid: int
    line: int
    layout: RecordLayout
    actions: list = field(default_factory=list)  # consume.actions.* descriptors
    probes: list = field(default_factory=list)
    wakeup: bool = False  # exit() forces a ring-buffer wake-up


class ClauseGen:
    """Everything one clause's lowering needs."""

    def __init__(self, analysis: Analysis, consts: ConstPool, info: ClauseInfo,
                 probe_strings: dict[str, bytes | None], options) -> None:
        self.an = analysis
        self.consts = consts
        self.info = info
        self.em = Emitter(f"c{info.epid}")
        self.strsize = analysis.strsize
        self.probe_strings = probe_strings  # probeprov etc. when constant for the clause
        self.options = options
        self.record: int | None = None  # vreg of the reserved ring-buffer record
        self.fault_label = self.em.new_label("fault")
        self.faults_used = False
        self.scratch_next = 0  # high-water mark of scratch slots
        self.scratch_top = 0
        self.scratch_floor = 0
        self.action_index = 0
        self.fault_sites: list = []  # faults.FaultSite
        self.error_labels: list[str] = []  # ERROR clauses a fault calls
        self.pdesc_entries = 0  # probe ids covered by the pdesc map (probe strings)
        self.pdesc_used = False  # this clause reads probe strings from the pdesc map
        # per-clause resources the lowering modules allocate on first use
        self.string_found: Any = {}  # subr: string results that may be NULL, node -> vreg
        self.scratch_allocs: Any = []  # subr: (offset, extent) of each alloca/copyin allocation
        self.subr_callbacks: Any = {}  # subr: bpf_loop callbacks appended after the clause
        self.subr_ctx: Any = None  # subr: stack offset of the bpf_loop context
        self.fault_addr_slot: Any = None  # stack slot parking a faulting address
        self.fault_save_area: Any = None  # faults: stack area saving the probe state around ERROR
        self.kread_slot: Any = None  # stack slot shared by kernel/D memory reads
        self.ctx_slot: Any = None  # stack slot holding the program context (stacks)
        self.dpath_slots: Any = None  # dpath: stack slots of the dentry walk
        self.dyn_write: Any = False  # dmemory: a member store creates a missing dynamic element
        self.uses_specs: Any = False  # speculation: the clause touches the specs map

    def scratch_slot(self, count: int = 1) -> int:
        """Offset (from the state pointer) of ``count`` fresh strsize-byte scratch slots.

        Slots are reused after each statement (``scratch_release``) unless pinned
        (``scratch_pin``: alloca, copyin...); ``scratch_next`` is the high-water mark."""
        used = self.an.symbols.this_size + (self.scratch_top + count + 2) * self.slot_size
        if used > MAX_SCRATCH_BYTES:
            from pydtrace.errors import DCompileError

            raise DCompileError("D_CG_EXPR", "clause needs too many string temporaries",
                                self.info.line)
        off = STATE_SCRATCH + self.an.symbols.this_size + self.scratch_top * self.slot_size
        self.scratch_top += count
        self.scratch_next = max(self.scratch_next, self.scratch_top)
        return off

    def scratch_pin(self) -> None:
        """Keeps every slot allocated so far alive until the end of the clause."""
        self.scratch_floor = self.scratch_top

    def scratch_release(self) -> None:
        """Frees the statement's temporaries (called between statements)."""
        self.scratch_top = self.scratch_floor

    @property
    def slot_size(self) -> int:
        return (self.strsize + 8 + 7) & ~7
