"""The syscall provider: ``syscall:vmlinux:NAME:entry`` and ``:return``.

The probes are the kernel's per-system-call tracepoints
(``syscalls:sys_enter_NAME`` / ``sys_exit_NAME``). A program serving a few of
them attaches to each tracepoint with an attach cookie; a program serving many
(see ``codegen.trampoline.WIDE_SYSCALLS``) attaches once to the raw tracepoints
``sys_enter``/``sys_exit`` and selects the system calls by number in BPF,
because closing each tracepoint attachment costs an RCU grace period.

``probe.data`` is ``(nr, nargs)``: the system-call number, -1 when unknown
(such a probe is never served by a raw-tracepoint program), and the number of
arguments in its entry tracepoint's record (-1 when not read: listings never
read format files).
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import ExitStack

from pydtrace.providers.base import Probe, Provider, desc_matches, is_glob

GROUP = "syscalls"
ENTER, EXIT = "sys_enter_", "sys_exit_"
MODULE = "vmlinux"
UNISTD_HEADERS = ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
                  "/usr/include/asm/unistd_64.h")
# Tracepoint names that differ from their __NR_ name (x86-64).
ALIASES = {"newuname": "uname", "newstat": "stat", "newfstat": "fstat",
           "newlstat": "lstat", "sendfile64": "sendfile", "umount": "umount2"}
# x86-64 numbers of system calls newer than many installed headers.
RECENT_NRS = {"uretprobe": 335, "uprobe": 336, "cachestat": 451, "fchmodat2": 452,
              "map_shadow_stack": 453, "futex_wake": 454, "futex_wait": 455,
              "futex_requeue": 456, "statmount": 457, "listmount": 458,
              "lsm_get_self_attr": 459, "lsm_set_self_attr": 460, "lsm_list_modules": 461,
              "mseal": 462, "setxattrat": 463, "getxattrat": 464, "listxattrat": 465,
              "removexattrat": 466, "open_tree_attr": 467, "file_getattr": 468,
              "file_setattr": 469}
NR_RE = re.compile(r"^#define\s+__NR_(\w+)\s+(\d+)\s*$", re.MULTILINE)


@functools.cache
def syscall_numbers() -> dict[str, int]:
    """System-call name -> number on this machine (x86-64 only; {} elsewhere)."""
    if os.uname().machine != "x86_64":
        return {}
    table: dict[str, int] = {}
    for path in UNISTD_HEADERS:
        try:
            with open(path) as f:
                table = {m.group(1): int(m.group(2)) for m in NR_RE.finditer(f.read())}
            break
        except OSError:
            continue
    for name, nr in RECENT_NRS.items():
        table.setdefault(name, nr)
    return table


def syscall_number(name: str) -> int:
    """The number of the system call a tracepoint is named after, or -1."""
    table = syscall_numbers()
    return table.get(name, table.get(ALIASES.get(name, ""), -1))


@functools.cache
def syscall_names() -> tuple[str, ...]:
    """System calls with tracepoints (``events/syscalls/sys_enter_*``), sorted."""
    from pydtrace.sys import tracefs

    try:
        events = tracefs.list_events(GROUP)
    except Exception:  # no tracefs: no syscall probes (listing must still work)
        return ()
    return tuple(e[len(ENTER):] for e in events if e.startswith(ENTER))


@functools.cache
def entry_fields(name: str) -> tuple:
    """The argument fields of ``sys_enter_NAME`` (read from its format file)."""
    from pydtrace.providers import tpformat
    from pydtrace.sys import tracefs

    return tuple(tpformat.event_fields(tracefs.tracepoint_format(GROUP, ENTER + name))[1:])


def make_probes(name: str, typed: bool = False) -> list[Probe]:
    """Entry and return probes; ``typed`` reads the format for argument count and types."""
    nr = syscall_number(name)
    if not typed:
        return [Probe("syscall", MODULE, name, "entry", "syscall_entry", (nr, -1)),
                Probe("syscall", MODULE, name, "return", "syscall_return", (nr, -1))]
    fields = entry_fields(name)
    types = tuple(f.ctype for f in fields)
    data = (nr, len(fields))
    return [Probe("syscall", MODULE, name, "entry", "syscall_entry", data, types),
            Probe("syscall", MODULE, name, "return", "syscall_return", data, ("long", "long"))]


def tracepoint_name(probe: Probe) -> str:
    return (ENTER if probe.name == "entry" else EXIT) + probe.function


class SyscallProvider(Provider):
    """System-call entry and return probes."""

    name = "syscall"

    def __init__(self) -> None:
        self._raw_attached: set[int] = set()  # prog fds attached to raw_syscalls

    def list_probes(self) -> list[Probe]:
        return [p for n in syscall_names() for p in make_probes(n)]

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        func = desc[2]
        names = [func] if func and not is_glob(func) else syscall_names()
        found = []
        for name in names:
            if name not in syscall_names():
                continue
            bare = [p for p in make_probes(name) if desc_matches(desc, p)]
            if bare:
                found += [p for p in make_probes(name, typed=True) if desc_matches(desc, p)]
        return found

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys import tracefs
        from pydtrace.sys.links import Link
        from pydtrace.sys.perf import PerfEvent

        if probe.kind in ("sys_enter", "sys_exit"):
            self.attach_raw(probe.kind, prog_fd, stack)
            return
        tp_id = tracefs.tracepoint_id(GROUP, tracepoint_name(probe))
        event = stack.enter_context(PerfEvent.tracepoint(tp_id, cpu=0, pid=-1))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))

    def attach_raw(self, tp_name: str, prog_fd: int, stack: ExitStack) -> None:
        """One raw-tracepoint link per program, however many probes it serves."""
        from pydtrace.sys.links import Link

        if prog_fd in self._raw_attached:
            return
        stack.enter_context(Link.raw_tracepoint(prog_fd, tp_name))
        self._raw_attached.add(prog_fd)
        stack.callback(self._raw_attached.discard, prog_fd)

