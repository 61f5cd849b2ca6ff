"""Stable providers (proc, sched, io) on kernel raw tracepoints.

Each DTrace probe name maps to one raw tracepoint (or, where no raw
tracepoint fires at the right moment, a tracepoint). ``argN`` are the
tracepoint arguments DTrace's argument list is made from (kernel pointers:
``struct task_struct *``, ``struct request *``...), and ``args[N]`` is typed
as DTrace documents it through the D library's translators (dlib/*.d).

An argument spec is ``(slot, type)``: ``slot`` selects the tracepoint
argument (raw tracepoints: the C argument; tracepoints: the record field) and
``type`` is an ``arg_types`` entry: a C type, ``OUT <= NATIVE`` (a
translator), or ``TYPE = EXPR`` (a D expression of ``argN``; see
``sema.kernel.arg_expr``). The probe fires in the tracepoint's context
(``curthread``, ``execname``...); where that differs from DTrace the
provider's docstring says so.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace

from pydtrace.providers.base import Probe, Provider, desc_matches

Spec = tuple[str, str, tuple[tuple[int, str], ...]]  # (group, event, argument specs)
TASK_LWP = "lwpsinfo_t * <= struct task_struct *"
TASK_PS = "psinfo_t * <= struct task_struct *"


class StableProvider(Provider):
    name = ""
    module = ""
    probes: dict[str, Spec] = {}  # DTrace name -> spec
    # DTrace name -> (subject task slot or -1, filter) for raw tracepoint probes that fire
    # in another thread's name or only for some firings of their tracepoint (codegen.subject)
    extras: dict[str, tuple[int, tuple]] = {}

    def bare(self) -> list[Probe]:
        from pydtrace.providers import rawtp
        from pydtrace.sys import tracefs

        raw = None
        out = []
        for key, (group, event, _) in self.probes.items():
            pname, _, func = key.partition("@")  # "name@function": one of several hooks
            if group == "syscalls":
                try:
                    if event not in tracefs.list_events(group):
                        continue
                except Exception:
                    continue
                kind = "tracepoint"
            else:
                if raw is None:
                    raw = set(rawtp._events())
                if (group, event) not in raw:
                    continue
                kind = "rawtp"
            out.append(Probe(self.name, self.module, func, pname, kind))
        return out

    def list_probes(self) -> list[Probe]:
        return self.bare()

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        out = []
        for p in self.bare():
            if desc_matches(desc, p):
                enabled = self.enable(p)
                if enabled is not None:
                    out.append(enabled)
        return out

    def enable(self, p: Probe) -> Probe | None:
        key = f"{p.name}@{p.function}" if p.function else p.name
        group, event, specs = self.probes[key]
        types = tuple(t for _, t in specs)
        if p.kind == "rawtp":
            from pydtrace.providers import rawtp

            proto = rawtp.prototype(event)
            if proto is None:
                return None
            layout = tuple(proto[0][slot] for slot, _ in specs)
            if key in self.extras:
                return replace(p, data=(event, layout, *self.extras[key]), arg_types=types)
            return replace(p, data=(event, layout), arg_types=types)
        from pydtrace.providers import sdt

        enabled = sdt.enable_data(sdt.bare_probe(group, event))
        tp_id, fields = enabled.data
        return replace(p, data=(tp_id, tuple(fields[slot] for slot, _ in specs)),
                       arg_types=types)

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link

        if probe.kind == "rawtp":
            stack.enter_context(Link.raw_tracepoint(prog_fd, probe.data[0], cookie=probe.id))
            return
        from pydtrace.sys.perf import PerfEvent

        event = stack.enter_context(PerfEvent.tracepoint(probe.data[0], cpu=0, pid=-1))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))
