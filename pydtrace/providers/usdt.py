"""USDT: SystemTap SDT notes (``.note.stapsdt``) of user programs and libraries.

``PROVIDERpid:MODULE:FUNCTION:NAME`` names the probes of one process (the
objects it maps); a provider glob such as ``python*`` or ``postgresql*``
looks at every running process (only when the glob names no kernel
provider). ``__`` in a note's name reads ``-``; FUNCTION is the symbol
around the probe. Probes of one process attach with its pid as filter;
probes found through a provider glob attach system-wide on the file
(``pid = -1``), once per (file, offset), so that processes started later
(postgres backends) fire too. Semaphores (``*_ENABLED()``) are raised by the
kernel through the uprobe PMU's ``ref_ctr_offset``.

FUNCTION is the function containing the probe (``.symtab``, else ``.dynsym``);
in a stripped object a probe outside every exported function has an empty
FUNCTION, as in DTrace for Linux (dt_stapsdt_parse: its address lookup fails,
the function is ""). Limits: objects dlopen()ed after the probes were created
are not searched (DTrace rescans on the dynamic linker's events; a -c/-p
process's later mappings are not watched here) - trace such a library with a
provider glob (system-wide on the file) or start tracing after it is loaded.

When a program is compiled, the uprobes of a named process's probes are opened
as they match (pid.UprobeEvents): a probe site the kernel refuses (a note whose
address is not the probe's ``nop``) fails the compilation with D_PROC_USDT, as
DTrace reports a probe it cannot instantiate. Probes found through a provider
glob are attached system-wide later, failures then ending the run.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack

from pydtrace.providers.base import Probe, Provider, glob_match, is_glob
from pydtrace.providers.pid import UprobeEvents, kernel_reason, probe_key

USDT_RE = re.compile(r"^([A-Za-z_][\w-]*?)(\d+)$")


def sdt_objects(pid: int) -> list[tuple[str, str, object]]:
    """(path, basename, ElfFile) of pid's mapped objects having SDT notes."""
    from pydtrace.elf import ElfError, open_elf
    from pydtrace.providers.pid import process_objects

    out = []
    for path, base, _ in process_objects(pid):
        try:
            elf = open_elf(path)
            if not elf.has_sdt():
                continue
        except (ElfError, OSError):
            continue
        out.append((path, base, elf))
    return out


def all_pids() -> list[int]:
    me = os.getpid()
    return sorted(int(d) for d in os.listdir("/proc") if d.isdigit() and int(d) != me)


def note_probes(pid: int, path: str, base: str, elf, prov_pat: str, desc,
                system_wide: bool) -> list[Probe]:
    from pydtrace.codegen.uprobe import SdtArgError, parse_sdt_args

    _, mod, func, name = desc
    if mod and not glob_match(mod, base):
        return []
    out = []
    for note in elf.sdt_notes:
        provider = f"{note.provider}{pid}"
        if not glob_match(prov_pat, provider):
            continue
        pname = note.name.replace("__", "-")
        if name and not glob_match(name, pname):
            continue
        sym = elf.symbolize(note.pc)
        fname = sym.name if sym else ""
        if func and not glob_match(func, fname):
            continue
        offset = elf.vaddr_to_offset(note.pc)
        if offset is None:
            continue
        ref = elf.data_offset(note.semaphore) if note.semaphore else 0
        try:
            args = parse_sdt_args(note.args, note.pc, elf.data_symbol)
        except SdtArgError:
            args = ()
        out.append(Probe(provider, base, fname, pname, "usdt",
                         (path, offset, ref or 0, -1 if system_wide else pid, args)))
    return out


def names_kernel_provider(pattern: str) -> bool:
    from pydtrace.providers.registry import PROVIDERS

    return any(glob_match(pattern, n) for n in PROVIDERS if n not in ("pid", "usdt"))


class UsdtProvider(UprobeEvents, Provider):
    name = "usdt"

    def __init__(self) -> None:
        super().__init__()
        self.attached: set[tuple] = set()

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        prov = desc[0]
        if not prov or prov == "*":
            return []
        if not is_glob(prov):
            m = USDT_RE.match(prov)
            if m is None or m.group(1) == "pid":
                return []
            pid = int(m.group(2))
            if not os.path.exists(f"/proc/{pid}"):
                from pydtrace.errors import DCompileError

                raise DCompileError("D_PROC_GRAB", f"failed to grab process {pid}")
            probes = [p for path, base, elf in sdt_objects(pid)
                      for p in note_probes(pid, path, base, elf, prov, desc, False)]
            if self.create:
                for probe in probes:
                    self.create_probe(probe)
            return probes
        if names_kernel_provider(prov) or prov.startswith("pid"):
            return []
        probes = []
        for pid in all_pids():
            for path, base, elf in sdt_objects(pid):
                probes.extend(note_probes(pid, path, base, elf, prov, desc, True))
        return probes

    def create_probe(self, probe: Probe) -> None:
        """Opens the uprobe of one probe of a named process now (compile time)."""
        from pydtrace.errors import DCompileError, KernelError

        path, offset, ref, pid = probe.data[:4]
        try:
            self.open_uprobe(probe_key(probe), path, offset, pid, ref=ref)
        except KernelError as exc:
            raise DCompileError("D_PROC_USDT", f"failed to instantiate probe {probe.name} "
                                f"for pid {pid}: {kernel_reason(exc)}") from None

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link

        path, offset, ref, pid = probe.data[:4]
        if pid < 0:
            key = (prog_fd, path, offset)
            if key in self.attached:
                return  # one system-wide uprobe serves every process mapping the file
            self.attached.add(key)
        event = stack.enter_context(self.take(probe_key(probe), path, offset, pid, ref=ref))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))
