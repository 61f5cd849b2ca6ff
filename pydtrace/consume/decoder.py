"""Record decoding and printing: EPID -> precompiled handler -> DTrace's text.

Handlers are built once per clause from the action descriptors the code
generator left, so the hot path is a dict lookup, ``struct.unpack_from`` on a
memoryview of the ring buffer, and a format call.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from pydtrace.codegen.layout import ERROR_EPID, ERROR_RECORD, RECORD_HEADER, Field, int_format
from pydtrace.consume import actions as C
from pydtrace.output import records as R

FAULTS = {0: "unknown fault", 1: "invalid address", 2: "invalid alignment",
          3: "illegal operation", 4: "divide-by-zero", 5: "out of scratch space",
          6: "invalid kernel access", 7: "invalid user access", 8: "tuple stack overflow",
          9: "bad stack", 1000: "library-level fault"}

Handler = Callable[[memoryview, int], None]
EPID_AT = struct.Struct("<I")


def field_reader(fld: Field) -> Callable[[memoryview], object]:
    if fld.kind == "string":
        start, end = fld.offset, fld.offset + fld.size

        def read_string(mv: memoryview) -> bytes:
            raw = bytes(mv[start:end])
            cut = raw.find(b"\0")
            return raw if cut < 0 else raw[:cut]
        return read_string
    unpack = struct.Struct("<" + int_format(fld.size, fld.signed)).unpack_from
    off = fld.offset
    return lambda mv: unpack(mv, off)[0]


class Printer:
    """Turns records into output text; owns the consumer's view of the run."""

    def __init__(self, compiled, session) -> None:
        self.compiled = compiled
        self.session = session
        self.quiet = bool(session.options["quiet"])
        self.header_done = False
        # Oracle's _DTRACE_TESTING: no CPU and ID columns (see output.records.header_line)
        self.testing = "_DTRACE_TESTING" in os.environ
        self.flow = bool(session.options["flowindent"])
        self.indent = 0  # flowindent depth, in columns
        self.last_flow = (0, 0)  # (epid, probe id) of the last record printed with -F
        self.handlers: dict[int, Handler] = {
            epid: self.build(info) for epid, info in compiled.clauses.items()}
        self.bulk = self.bulk_printers()
        for epid, info in compiled.clauses.items():
            if getattr(info, "spec_field", None) is not None:  # speculate(): buffer
                from pydtrace.consume.speculation import wrap_speculative

                self.handlers[epid] = wrap_speculative(self, info, self.handlers[epid])
                self.bulk.pop(epid, None)

    def bulk_printers(self) -> dict:
        from pydtrace.consume.bulk import bulk_printer

        if getattr(self.session, "record_hook", None) is not None:
            return {}
        found = {epid: bulk_printer(info, self.session.write)
                 for epid, info in self.compiled.clauses.items()}
        return {epid: b for epid, b in found.items() if b is not None}

    def handle_run(self, view: memoryview, start: int, end: int) -> int:
        """Offers a stretch of the ring to a bulk formatter (see consume.bulk)."""
        bulk = self.bulk.get(EPID_AT.unpack_from(view, start + 8)[0])
        return bulk.run(view, start, end) if bulk is not None else start

    def handle(self, mv: memoryview) -> None:
        epid, probe_id = RECORD_HEADER.unpack_from(mv, 0)
        if epid == ERROR_EPID:
            self.fault(mv)
            return
        self.handlers[epid](mv, probe_id)

    def build(self, info) -> Handler:
        hook = getattr(self.session, "record_hook", None)
        if hook is not None:
            return self.build_hooked(info, hook)
        parts = [self.action(a) for a in info.actions if not isinstance(a, C.CpuAct)]
        cpu = next((a.field for a in info.actions if isinstance(a, C.CpuAct)), None)
        write = self.session.write
        if self.flow and cpu is not None:
            return self.build_flow(info, parts, field_reader(cpu))
        if cpu is None:
            def quiet_handler(mv: memoryview, probe_id: int) -> None:
                for part in parts:
                    part(mv)
            return quiet_handler
        read_cpu = field_reader(cpu)
        probes = self.compiled.probes
        testing = self.testing

        def handler(mv: memoryview, probe_id: int) -> None:
            if not self.header_done:
                write(R.header_line(testing))
                self.header_done = True
            p = probes.get(probe_id)
            write(R.probe_prefix(read_cpu(mv), probe_id, p.function if p else "",
                                 p.name if p else "", testing))
            for part in parts:
                part(mv)
            write("\n")
        return handler

    def build_flow(self, info, parts, read_cpu) -> Handler:
        """flowindent (-F): indented ``-> func`` / ``<- func`` lines (dt_flowindent).

        The indent grows by 2 after an entry and shrinks by 2 (not below 0)
        before a return. As in libdtrace, an entry record of the probe just
        seen under another EPID (a second clause for the same firing) is not
        indented again; a return's later clauses likewise print as ``| ``
        (libdtrace looks ahead and unindents on the last clause instead: the
        ring buffer gives no lookahead, so here the first one unindents).
        """
        write = self.session.write
        probes = self.compiled.probes
        epid = info.epid
        newline = "" if self.quiet else "\n"
        testing = self.testing

        def handler(mv: memoryview, probe_id: int) -> None:
            if not self.header_done:
                write(R.flow_header(testing))
                self.header_done = True
            p = probes.get(probe_id)
            prov, func, name = (p.provider, p.function, p.name) if p else ("", "", "")
            kind = R.flow_kind(prov, name)
            last_epid, last_probe = self.last_flow
            if kind != "none" and last_probe == probe_id and last_epid not in (0, epid):
                kind = "none"
            if kind == "return" and self.indent > 0:
                self.indent -= 2
            write(R.flow_prefix(read_cpu(mv), self.indent, kind, func, name, prov, testing))
            for part in parts:
                part(mv)
            write(newline)
            if kind == "entry":
                self.indent += 2
            self.last_flow = (epid, probe_id)
        return handler

    def build_hooked(self, info, hook) -> Handler:
        """For the Python API: hand decoded values to ``hook`` as well as printing."""
        printing = self.build_plain(info)
        readers = [field_reader(f) for a in info.actions
                   for f in ([a.field] if isinstance(a, C.TraceAct) else
                             a.fields if isinstance(a, C.PrintfAct) else [])]
        probes = self.compiled.probes

        def handler(mv: memoryview, probe_id: int) -> None:
            printing(mv, probe_id)
            p = probes.get(probe_id)
            hook(info.epid, p.fullname if p else "", [r(mv) for r in readers])
        return handler

    def build_plain(self, info) -> Handler:
        hook = self.session.record_hook
        self.session.record_hook = None
        try:
            return self.build(info)
        finally:
            self.session.record_hook = hook

    def action(self, act) -> Callable[[memoryview], None]:
        write = self.session.write
        if hasattr(act, "handler"):  # actions that print themselves (output.stacks)
            return act.handler(self)
        if isinstance(act, C.TraceAct):
            read = field_reader(act.field)
            if act.field.kind == "string":
                if self.session.options["rawbytes"]:  # -x rawbytes: always a hex dump
                    lo, hi = act.field.offset, act.field.offset + act.field.size
                    return lambda mv: write(R.format_trace_bytes(bytes(mv[lo:hi]), self.quiet,
                                                                 rawbytes=True))
                return lambda mv: write(R.format_trace_string(read(mv), self.quiet))
            size = act.field.size
            return lambda mv: write(R.format_trace_int(read(mv), size, self.quiet))
        if isinstance(act, C.PrintfAct):
            return self.printf_action(act)
        if isinstance(act, C.ExitAct):
            read = field_reader(act.field)
            return lambda mv: self.session.request_exit(read(mv))
        if isinstance(act, C.PrintaAct):
            return lambda mv: self.session.printa(act)
        if isinstance(act, C.AggOpAct):
            readers = [field_reader(f) for f in act.fields]
            return lambda mv: self.session.agg_op(act, [r(mv) for r in readers])
        if isinstance(act, C.SetoptAct):
            if isinstance(act.name, str) and not isinstance(act.value, Field):
                return lambda mv: self.session.setopt(act.name, act.value)
            return self.setopt_action(act)
        if isinstance(act, C.TracememAct | C.FtruncateAct):
            from pydtrace.consume.subr_actions import consumer_action

            return consumer_action(self, act)
        raise TypeError(f"unknown action {act!r}")

    def setopt_action(self, act: C.SetoptAct) -> Callable[[memoryview], None]:
        """setopt() with strings recorded at run time."""
        def reader(v):
            if not isinstance(v, Field):
                return lambda mv: v
            read = field_reader(v)
            return lambda mv: read(mv).decode("utf-8", "replace")
        name, value = reader(act.name), reader(act.value)
        return lambda mv: self.session.setopt(name(mv), value(mv))

    def printf_action(self, act: C.PrintfAct) -> Callable[[memoryview], None]:
        from pydtrace.output.printf import compile_printf

        fmt = compile_printf(act.convs, act.arg_types)
        readers = [field_reader(f) for f in act.fields]
        write = self.session.write
        if act.func in ("system", "freopen"):
            from pydtrace.consume.subr_actions import formatted_action

            return formatted_action(self, act, fmt, readers)
        if len(readers) == 1:
            only = readers[0]
            return lambda mv: write(fmt((only(mv),)))
        return lambda mv: write(fmt([r(mv) for r in readers]))

    def fault(self, mv: memoryview) -> None:
        _, probe_id, epid, action, code, _, addr = ERROR_RECORD.unpack_from(mv, 0)
        p = self.compiled.probes.get(probe_id)
        name = p.fullname if p else "?"
        where = "predicate" if action == 0 else f"action #{action}"
        what = FAULTS.get(code, "unknown fault")
        if code in (1, 2, 9):
            what += f" (0x{addr:x})"
        self.session.warn(f"error on enabled probe ID {epid} (ID {probe_id}: {name}): "
                          f"{what} in {where}")
