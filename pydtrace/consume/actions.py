"""Action descriptors: what each part of a clause's record means to the consumer.

The code generator creates them next to the fields it writes (``codegen.layout``),
so writer and reader share one description of every record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydtrace.codegen.layout import Field


@dataclass
class CpuAct:
    """The CPU a record was written on (non-quiet output only)."""

    field: Field


@dataclass
class TraceAct:
    """A ``trace()`` value."""

    field: Field
    type_name: str


@dataclass
class PrintfAct:
    """A ``printf()`` (or ``system``/``freopen``) format and its values."""

    func: str  # printf, system, freopen
    convs: list
    arg_types: list  # output.printf.ArgType
    fields: list[Field]
    formatter: object = None  # compiled lazily by the consumer


@dataclass
class ExitAct:
    """An ``exit()`` status."""

    field: Field


@dataclass
class PrintaAct:
    """A ``printa()`` directive: the consumer snapshots and prints."""

    convs: list | None
    agg_names: list[str]


@dataclass
class AggOpAct:
    """``clear``/``trunc``/``normalize``/``denormalize`` of an aggregation."""

    op: str  # clear, trunc, normalize, denormalize
    agg_name: str
    fields: list[Field] = field(default_factory=list)


@dataclass
class SetoptAct:
    """A ``setopt()`` applied when the record is consumed."""

    name: str | Field  # a Field: a string recorded at run time
    value: str | Field | None


@dataclass
class TracememAct:
    """``tracemem()`` bytes, printed as a hex dump."""

    field: Field
    dyn: Field | None = None  # the runtime byte count of tracemem(addr, n, dbytes)


@dataclass
class FtruncateAct:
    """``ftruncate()`` of the current output file."""

    pass


@dataclass
class PrintAct:
    """A ``print()`` value and its D type (printed by ``output.printing``)."""

    field: Field
    type: object  # types.model.DType
    scalar_size: int = 0  # a scalar recorded as an integer field of this size

    def handler(self, printer):
        from pydtrace.output.printing import print_handler

        return print_handler(self, printer)
