"""Aggregation snapshots: batched per-CPU map reads, merged across CPUs."""

from __future__ import annotations

import struct
from collections.abc import Mapping

from pydtrace.codegen.aggs import AggPlan
from pydtrace.output import aggfmt as F
from pydtrace.sema.calls import arg_type

KINDS = {"count": F.AggKind.COUNT, "sum": F.AggKind.SUM, "avg": F.AggKind.AVG,
         "min": F.AggKind.MIN, "max": F.AggKind.MAX, "stddev": F.AggKind.STDDEV,
         "quantize": F.AggKind.QUANTIZE, "lquantize": F.AggKind.LQUANTIZE,
         "llquantize": F.AggKind.LLQUANTIZE}


def describe(plan: AggPlan) -> F.AggDesc:
    var = plan.var
    return F.AggDesc(var.name, KINDS[var.func], [arg_type(t) for t in var.key_types or []],
                     tuple(var.params), var.id)


class Aggregation:
    """One aggregation: its map, how to decode it, and its consumer-side state."""

    def __init__(self, plan: AggPlan, bpf_map) -> None:
        self.plan = plan
        self.map = bpf_map
        self.desc = describe(plan)
        self.normal = 1
        self.words = struct.Struct(f"<{plan.nbuckets}q")
        self.stride = plan.value_size
        self.key_types = self.desc.key_types
        # A keyless aggregation lives in one array slot that always exists: an
        # all-zero slot means "never updated" unless it held data before (a
        # clear() keeps the entry, printing 0s, as DTrace does).
        self.keyless_seen = False

    def decode_key(self, raw: bytes) -> tuple:
        out = []
        for kf, t in zip(self.plan.keys, self.key_types, strict=False):
            chunk = raw[kf.offset:kf.offset + kf.size]
            if kf.kind == "string":
                out.append(chunk.split(b"\0", 1)[0])
            elif t.kind in ("ustack", "usym", "ufunc", "uaddr", "umod"):  # output.ustacks
                from pydtrace.output.ustacks import ustack_key, usym_key

                v = int.from_bytes(chunk, "little")
                out.append(ustack_key(v) if t.kind == "ustack" else usym_key(v, t.kind))
            elif t.kind in ("stack", "symaddr", "modaddr"):  # output.stacks
                from pydtrace.output.stacks import stack_key, sym_key

                v = int.from_bytes(chunk, "little", signed=t.kind == "stack")
                out.append(stack_key(v) if t.kind == "stack" else sym_key(v, t.kind))
            else:
                out.append(int_key(int.from_bytes(chunk, "little", signed=True), t))
        return tuple(out)

    def decode_value(self, raw: bytes) -> object:
        return self.merge(self.per_cpu_words(raw))

    def per_cpu_words(self, raw: bytes) -> list[tuple]:
        return [self.words.unpack_from(raw, off) for off in range(0, len(raw), self.stride)]

    def snapshot_percpu(self) -> dict[tuple, list[object]]:
        """Each entry's value on each CPU (``-x aggpercpu``)."""
        if not self.plan.keys:
            raw = self.map.lookup(b"\0\0\0\0")
            pairs = [(b"", raw)] if raw is not None else []
        else:
            pairs = self.map.lookup_batch()
        return {(self.decode_key(k) if self.plan.keys else ()):
                [self.merge([w]) for w in self.per_cpu_words(v)] for k, v in pairs}

    def merge(self, per_cpu: list[tuple]) -> object:
        """One value from the value words of several CPUs."""
        func = self.plan.var.func
        if func in ("count", "sum"):
            return sum(w[0] for w in per_cpu)
        if func in ("min", "max"):
            seen = [w[1] for w in per_cpu if w[0]]
            if not seen:
                return 0
            return min(seen) if func == "min" else max(seen)
        if func == "avg":
            return (sum(w[0] for w in per_cpu), sum(w[1] for w in per_cpu))
        if func == "stddev":
            sq = sum((w[2] & (2**64 - 1)) + ((w[3] & (2**64 - 1)) << 64) for w in per_cpu)
            return (sum(w[0] for w in per_cpu), sum(w[1] for w in per_cpu), sq)
        return [sum(col) for col in zip(*per_cpu, strict=False)]

    def snapshot(self) -> dict[tuple, object]:
        if not self.plan.keys:
            raw = self.map.lookup(b"\0\0\0\0")
            if raw is None:
                return {}
            self.keyless_seen = self.keyless_seen or any(raw)
            if not self.keyless_seen:
                return {}
            return {(): self.decode_value(raw)}
        return {self.decode_key(k): self.decode_value(v) for k, v in self.map.lookup_batch()}

    def clear(self) -> None:
        if not self.plan.keys:
            self.snapshot()  # note whether the entry exists before zeroing it
        zero = bytes(len(b"") + self.stride * self.cpus())
        for key in list(self.map.keys()):
            self.map.update(key, zero)
        if not self.plan.keys:
            self.map.update(b"\0\0\0\0", zero)

    def trunc(self, keep: int | None) -> None:
        if keep is None or keep == 0:
            for key in list(self.map.keys()):
                if self.plan.keys:
                    self.map.delete(key)
            if not self.plan.keys:
                self.clear()
                self.keyless_seen = False
            return
        entries = list(self.snapshot().items())
        kept = {k for k, _ in F.trunc_entries(self.desc, entries, keep)}
        for raw in list(self.map.keys()):
            if self.decode_key(raw) not in kept:
                self.map.delete(raw)

    def cpus(self) -> int:
        from pydtrace.sys.maps import possible_cpus

        return possible_cpus()


def int_key(value: int, t) -> int:
    """Keys are stored as 64-bit values; show them in their own width."""
    if t.size in (1, 2, 4) and t.size < 8:
        mask = (1 << (8 * t.size)) - 1
        value &= mask
        if t.signed and value >> (8 * t.size - 1):
            value -= 1 << (8 * t.size)
    return value


def entries_sorted(agg: Aggregation, options: Mapping[str, object]) -> list:
    return F.sort_entries(agg.desc, list(agg.snapshot().items()), options)
