"""The pid provider: ``pidPID:OBJECT:FUNCTION:entry|return|OFFSET`` on uprobes.

Objects are the ELF files mapped executable in the process (``/proc/PID/maps``),
named by basename; a non-glob module also accepts ``a.out`` (the executable)
and a library name without its ``.so`` suffix (``libc``), as DTrace's
``Plmid_to_map`` does, and the probe then carries the real basename.
Functions come from ``.symtab`` and ``.dynsym``. Probes are uprobes through the
uprobe PMU with a pid filter, placed by file offset (PIE or not: the link-time
address is turned into an offset through the PT_LOAD headers).

Limits: return probes are uretprobes, so arg0 (the returning instruction's
offset in DTrace) is 0; a glob in the probe name creates entry and return
probes only (offset probes need an instruction decoder to enumerate);
libraries dlopen()ed after the probes were created are not instrumented.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack

from pydtrace.errors import DCompileError
from pydtrace.providers.base import Probe, Provider, glob_match, is_glob

PID_RE = re.compile(r"^pid(\d+)$")
HEX_RE = re.compile(r"^[0-9a-fA-F]+$")


def process_objects(pid: int) -> list[tuple[str, str, bool]]:
    """(path, basename, is_executable) of the ELF objects mapped executable by pid."""
    from pydtrace.proc import exe_path, read_maps

    exe = exe_path(pid)
    seen: dict[str, tuple[str, str, bool]] = {}
    for m in read_maps(pid):
        if "x" not in m.perms or not m.inode or not m.path.startswith("/"):
            continue
        path = m.path[:-len(" (deleted)")] if m.path.endswith(" (deleted)") else m.path
        if path not in seen:
            seen[path] = (path, os.path.basename(path), path == exe)
    return list(seen.values())


def module_matches(pattern: str, base: str, is_exe: bool) -> bool:
    if not pattern or glob_match(pattern, base):
        return True
    if is_glob(pattern):
        return False
    if pattern == "a.out":
        return is_exe
    return base.startswith(pattern + ".so")


def check_process(pid: int) -> None:
    if not os.path.exists(f"/proc/{pid}"):
        raise DCompileError("D_PROC_GRAB", f"failed to grab process {pid}")


class PidProvider(Provider):
    name = "pid"

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        m = PID_RE.match(desc[0])
        if m is None:
            return []
        pid = int(m.group(1))
        check_process(pid)
        return pid_probes(pid, desc)

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link
        from pydtrace.sys.perf import PerfEvent

        path, offset, pid = probe.data[:3]
        event = stack.enter_context(PerfEvent.uprobe(
            path, offset, pid=pid, retprobe=probe.kind == "uprobe_return"))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))


def pid_probes(pid: int, desc: tuple[str, str, str, str]) -> list[Probe]:
    from pydtrace.elf import ElfError, open_elf

    _, mod, func, name = desc
    func = func or "*"
    name = name or "*"
    offset = int(name, 16) if HEX_RE.match(name) else None
    provider = f"pid{pid}"
    probes: list[Probe] = []
    for path, base, is_exe in process_objects(pid):
        if not module_matches(mod, base, is_exe):
            continue
        try:
            elf = open_elf(path)
            functions = elf.functions
        except (ElfError, OSError):
            continue
        if is_glob(func):
            syms = sorted((s for n, s in functions.items() if glob_match(func, n)),
                          key=lambda s: (s.value, s.name))
        else:
            sym = functions.get(func)
            if sym is None:
                if mod and not is_glob(mod):
                    raise DCompileError("D_PROC_FUNC",
                                        f"failed to lookup '{func}' in module '{mod}'")
                continue
            syms = [sym]
        for sym in syms:
            start = elf.vaddr_to_offset(sym.value)
            if start is None:
                continue
            if offset is not None:
                if offset >= sym.size:
                    raise DCompileError("D_PROC_OFF", f"offset 0x{offset:x} outside of "
                                        f"function '{sym.name}'")
                probes.append(Probe(provider, base, sym.name, name.lower().lstrip("0") or "0",
                                    "uprobe_offset", (path, start + offset, pid)))
                continue
            for pname, kind in (("entry", "uprobe_entry"), ("return", "uprobe_return")):
                if glob_match(name, pname):
                    probes.append(Probe(provider, base, sym.name, pname, kind,
                                        (path, start, pid)))
    return probes
