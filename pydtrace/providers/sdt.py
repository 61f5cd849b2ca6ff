"""The sdt provider: every kernel tracepoint as ``sdt:GROUP::NAME``.

This is DTrace for Linux's naming: the module is the tracepoint group, the
function is empty. argN are the event's own fields in format-file order (see
``providers.tpformat.arg_layout``); listing reads only directories, matching a
probe for enabling reads its format file.

``probe.data`` is ``(tracepoint id, arg layout)``; programs are grouped by it
so that one program only serves probes whose records look alike.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace

from pydtrace.providers.base import Probe, Provider, glob_match, is_glob


def _groups() -> list[str]:
    from pydtrace.sys import tracefs

    try:
        # ftrace's own events (function, bprint...) are not tracepoints: no id to attach
        return [g for g in tracefs.list_groups() if g != "ftrace"]
    except Exception:  # no tracefs: no sdt probes (listing must still work)
        return []


def _events(group: str) -> list[str]:
    from pydtrace.sys import tracefs

    return tracefs.list_events(group)


def bare_probe(group: str, name: str) -> Probe:
    return Probe("sdt", group, "", name, "tracepoint")


def enable_data(probe: Probe) -> Probe:
    """The probe with its attach data and argument types from the format file."""
    from pydtrace.providers import tpformat
    from pydtrace.sys import tracefs

    text = tracefs.tracepoint_format(probe.module, probe.name)
    fields = tpformat.event_fields(text)
    tp_id = tracefs.tracepoint_id(probe.module, probe.name)
    return replace(probe, data=(tp_id, tpformat.arg_layout(fields)),
                   arg_types=tuple(tpformat.arg_type(f) for f in fields[:10]))


class SdtProvider(Provider):
    """Kernel tracepoints."""

    name = "sdt"

    def list_probes(self) -> list[Probe]:
        return [bare_probe(g, e) for g in _groups() for e in _events(g)]

    def candidates(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        _, mod, func, name = desc
        if func and not glob_match(func, ""):  # sdt probes have no function
            return []
        groups = [mod] if mod and not is_glob(mod) else \
            [g for g in _groups() if glob_match(mod, g)]
        out = []
        for g in groups:
            if name and not is_glob(name):
                out.extend(bare_probe(g, name) for e in [name] if e in _events(g))
            else:
                out.extend(bare_probe(g, e) for e in _events(g) if glob_match(name, e))
        return out

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        return [enable_data(p) for p in self.candidates(desc)]

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link
        from pydtrace.sys.perf import PerfEvent

        tp_id = probe.data[0] if probe.data else enable_data(probe).data[0]
        event = stack.enter_context(PerfEvent.tracepoint(tp_id, cpu=0, pid=-1))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))
