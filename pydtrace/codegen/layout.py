"""Binary layouts shared by the code generator (writer) and the consumer (reader).

Machine state, one per CPU (the ``state`` per-CPU array map, key 0)::

    0        8                                88       96       104      112      120
    +--------+--------------------------------+--------+--------+--------+--------+
    |probe id| arg0 .. arg9 (10 x u64)        |  ts    | errno  | drops  | aggdrop|
    +--------+--------------------------------+--------+--------+--------+--------+
    128: subject task (codegen.subject; only stored when a script enables sched:::on-cpu)
    136: chill() window, 152: busy flag (a firing nested in another is dropped)
    160: scratch (strings and other big temporaries, strsize-sized slots)

Globals (``globals`` array map, key 0, shared by all CPUs)::

    0         8
    +---------+-----------------------------
    |activity | wall-clock offset | global variables, in declaration order, naturally aligned
    +---------+-----------------------------

Output records (one BPF ring-buffer sample per clause firing)::

    0        4          8
    +--------+----------+---------------------------------
    | epid   | probe id | data of the clause's actions at fixed offsets
    +--------+----------+---------------------------------
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

STATE_PROBE_ID = 0
STATE_ARGS = 8
STATE_TS = 88
STATE_ERRNO = 96
STATE_DROPS = 104
STATE_AGGDROPS = 112
STATE_DYNDROPS = 120
STATE_TASK = 128
STATE_CHILL_MARK = 136  # chill(): start of this CPU's current 1 s window (ktime ns)
STATE_CHILLED = 144  # chill(): ns spent chilling in that window (at most 500 ms)
STATE_BUSY = 152  # 1 while a program of this script runs on this CPU (codegen.trampoline)
STATE_SCRATCH = 160

GLOBAL_ACTIVITY = 0
GLOBAL_WALLOFF = 8  # CLOCK_REALTIME - CLOCK_MONOTONIC, in ns, set by the consumer
GLOBALS_BASE = 16

# activity values (globals[0])
ACTIVE, DRAINING = 0, 1

RECORD_HEADER = struct.Struct("<II")
RECORD_EPID = 0
RECORD_PROBE_ID = 4
RECORD_DATA = 8

# A fault writes an error record: header with ERROR_EPID, then the faulting
# clause's epid, the action index (0: predicate), the fault code and an address.
ERROR_EPID = 0
ERROR_RECORD = struct.Struct("<IIIIIIQ")  # epid, probe id, epid, action, code, pad, addr


@dataclass(frozen=True, slots=True)
class Field:
    """One value in a record: ``kind`` is ``int``, ``string`` or ``bytes``."""

    offset: int
    size: int
    kind: str = "int"
    signed: bool = True


@dataclass(slots=True)
class RecordLayout:
    """Allocates fields of one clause's record, naturally aligned."""

    size: int = RECORD_DATA
    fields: list[Field] = field(default_factory=list)

    def add(self, size: int, kind: str = "int", signed: bool = True,
            align: int | None = None) -> Field:
        align = align or (size if size in (1, 2, 4, 8) else 8)
        self.size = (self.size + align - 1) & ~(align - 1)
        fld = Field(self.size, size, kind, signed)
        self.size += size
        self.fields.append(fld)
        return fld

    @property
    def padded_size(self) -> int:
        return (self.size + 7) & ~7


def int_format(size: int, signed: bool) -> str:
    """The ``struct`` code of an integer field."""
    code = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
    return code if signed else code.upper()
