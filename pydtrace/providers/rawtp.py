"""The rawtp provider: raw tracepoints as ``rawtp:GROUP::NAME``.

As in DTrace for Linux, a raw tracepoint is listed for every tracefs event
that also has a ``btf_trace_NAME`` typedef in kernel BTF: the typedef is the
prototype of the tracepoint's probe functions, ``void (*)(void *, args...)``.
The arguments are the tracepoint's C arguments (not the record fields sdt
shows), typed from that prototype with the leading ``void *`` skipped.

Programs are BPF_PROG_TYPE_RAW_TRACEPOINT, attached with
BPF_RAW_TRACEPOINT_OPEN and a cookie (the probe id). ``probe.data`` is
``(name, layout)``, layout being ``(context slot, size, signed)`` per
argument; programs
are grouped by the layout (a raw tracepoint refuses a program reading
past its last argument).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from functools import cache

from pydtrace.providers.base import Probe, Provider, desc_matches

MAX_ARGS = 10


@cache
def _btf_names() -> dict[str, int]:
    """{tracepoint: type id of its btf_trace_ typedef}."""
    from pydtrace.btf import reader as R

    try:
        return R.vmlinux().typedefs_with_prefix("btf_trace_") if R.available() else {}
    except (OSError, ValueError):
        return {}


@cache
def _events() -> tuple[tuple[str, str], ...]:
    """(group, event) of every tracefs event with a BTF prototype, sorted."""
    from pydtrace.sys import tracefs

    try:
        lines = tracefs.read_lines("available_events")
    except Exception:  # no tracefs: no probes (listing must still work)
        return ()
    names = _btf_names()
    out = set()
    for line in lines:
        group, _, event = line.partition(":")
        if event in names:
            out.add((group, event))
    return tuple(sorted(out))


def c_type(t) -> str:
    """A type as ``dtrace -lv`` shows it and sema.kernel.type_from_string reads it."""
    from pydtrace.types import model as T

    r = t.resolve()
    if isinstance(r, T.PointerType):
        target = r.target.resolve()
        if not isinstance(target, T.StructType | T.IntType | T.VoidType | T.EnumType):
            return "void *"  # pointers to functions, pointers to pointers...
    elif not isinstance(r, T.IntType | T.EnumType):
        return "uint64_t"
    return str(t)


def prototype(name: str) -> tuple[tuple[tuple[int, bool], ...], tuple[str, ...]] | None:
    """(layout, argument types) of raw tracepoint ``name`` from ``btf_trace_NAME``."""
    from pydtrace.btf import reader as R
    from pydtrace.types import model as T

    try:
        r = R.vmlinux()
        tid = _btf_names().get(name)
        proto = r.func_proto(tid) if tid is not None else None
    except (OSError, ValueError):
        return None
    if proto is None:
        return None
    layout, types = [], []
    for slot, p in enumerate(proto.params[1:MAX_ARGS + 1]):
        rt = p.type.resolve()
        signed = isinstance(rt, T.IntType) and rt.signed
        size = rt.size if isinstance(rt, T.IntType | T.EnumType) and rt.size < 8 else 8
        layout.append((slot, size, signed))
        types.append(c_type(p.type))
    return tuple(layout), tuple(types)


def bare_probe(group: str, event: str) -> Probe:
    return Probe("rawtp", group, "", event, "rawtp")


class RawtpProvider(Provider):
    name = "rawtp"

    def list_probes(self) -> list[Probe]:
        return [bare_probe(g, e) for g, e in _events()]

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        out = []
        for g, e in _events():
            p = bare_probe(g, e)
            if not desc_matches(desc, p):
                continue
            proto = prototype(e)
            if proto is None:
                continue
            out.append(replace(p, data=(e, proto[0]), arg_types=proto[1]))
        return out

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link

        stack.enter_context(Link.raw_tracepoint(prog_fd, probe.data[0], cookie=probe.id))
