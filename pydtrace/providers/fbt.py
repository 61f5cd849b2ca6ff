"""The fbt provider: kernel function boundaries as ``fbt:vmlinux:FUNC:entry|return``.

Probes are listed from the BTF FUNC records of vmlinux (one pass over the
type index, no tracefs). ``entry``: ``arg0..5`` are the raw arguments,
``args[]`` typed from the function's BTF prototype. ``return``: ``arg0`` is 0
(the offset of the returning instruction is unknown), ``arg1``/``args[1]`` the
return value.

Two ways to attach, chosen per kernel by feature probes (never by version):
fentry/fexit (BPF_PROG_TYPE_TRACING, one program per function, arguments as
u64s in the context) when ``have_fentry()``, else kprobes through the kprobe
perf PMU (BPF_PROG_TYPE_KPROBE programs reading ``pt_regs``, one program for
all probes, the probe id in the attach cookie). Without either, enabling
fails naming the missing kernel feature.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from functools import cache

from pydtrace.providers.base import Probe, Provider, glob_match, is_glob

MODULE = "vmlinux"
MAX_ARGS = 6  # registers of the x86-64 calling convention


@cache
def _functions() -> tuple[str, ...]:
    from pydtrace.btf import reader as R

    try:
        return tuple(sorted(set(R.vmlinux().functions()))) if R.available() else ()
    except (OSError, ValueError):
        return ()


@cache
def use_fentry() -> bool:
    from pydtrace.sys.features import Feature, have_fentry

    return have_fentry() is Feature.OK


def signature(func: str, many: bool = False) -> tuple[int, tuple[str, ...], str] | None:
    """(BTF id, argument types, return type) of kernel function ``func``; ``many``
    when looking up a whole glob's worth (one name index instead of a scan each)."""
    from pydtrace.btf import reader as R
    from pydtrace.providers.rawtp import c_type
    from pydtrace.types import model as T

    try:
        r = R.vmlinux()
        tid = r.function_ids().get(func) if many else r.find(func, (R.FUNC,))
        proto = r.func_proto(tid) if tid is not None else None
    except (OSError, ValueError):
        return None
    if proto is None:
        return None
    args = tuple(c_type(p.type) for p in proto.params[:MAX_ARGS])
    ret = "void" if isinstance(proto.ret.resolve(), T.VoidType) else c_type(proto.ret)
    return tid, args, ret


class FbtProvider(Provider):
    name = "fbt"

    def list_probes(self) -> list[Probe]:
        return [Probe("fbt", MODULE, f, n, "kprobe_" + n) for f in _functions()
                for n in ("entry", "return")]

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        _, mod, func, name = desc
        if not glob_match(mod, MODULE):
            return []
        names = [n for n in ("entry", "return") if glob_match(name, n)]
        if not names:
            return []
        if func and not is_glob(func):
            funcs = [func]
        else:
            funcs = [f for f in _functions() if glob_match(func, f)]
        fentry = use_fentry()
        out = []
        for f in funcs:
            sig = signature(f, many=len(funcs) > 16)
            if sig is None:
                continue
            tid, args, ret = sig
            for n in names:
                kind = ("fentry" if n == "entry" else "fexit") if fentry else "kprobe_" + n
                types = args if n == "entry" else (("int", ret) if ret != "void" else ())
                out.append(replace(Probe("fbt", MODULE, f, n, kind), data=(f, tid, len(args)),
                                   arg_types=types))
        return out

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link

        if probe.kind in ("fentry", "fexit"):  # the target is the program's attach_btf_id
            stack.enter_context(Link.tracing(prog_fd, fentry_attach_type(probe.kind)))
            return
        from pydtrace.sys.perf import PerfEvent

        event = stack.enter_context(PerfEvent.kprobe(probe.data[0],
                                                     retprobe=probe.name == "return"))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))


def fentry_attach_type(kind: str) -> int:
    from pydtrace.sys import syscall as sc

    return sc.BPF_TRACE_FENTRY if kind == "fentry" else sc.BPF_TRACE_FEXIT
