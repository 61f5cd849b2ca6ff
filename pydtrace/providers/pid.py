"""The pid provider: ``pidPID:OBJECT:FUNCTION:entry|return|OFFSET`` on uprobes.

Objects are the ELF files mapped executable in the process (``/proc/PID/maps``),
named by basename; a non-glob module also accepts ``a.out`` (the executable)
and a library name without its ``.so`` suffix (``libc``), as DTrace's
``Plmid_to_map`` does, and the probe then carries the real basename.
Functions come from ``.symtab`` and ``.dynsym``. Probes are uprobes through the
uprobe PMU with a pid filter, placed by file offset (PIE or not: the link-time
address is turned into an offset through the PT_LOAD headers).

Return probes: when the function's bytes decode (elf.x86len), one uprobe on
each instruction leaving it (``ret``, ``ret imm16``, a tail-call ``jmp`` out of
the function), as DTrace's fasttrap does; the attach cookie carries the
instruction's offset above the probe id, so arg0 = that offset and arg1 = rax
(trampoline kind "uprobe_ret"). A function that does not decode falls back to a
uretprobe (arg0 = 0). A glob in the probe name also matches the offset probes
of every instruction start (``pid$target:a.out:fib:*``).

Under ``-x evaltime=exec`` the process has not mapped its libraries yet: they
are found through the executable's DT_NEEDED entries (proc.unmapped_libraries),
uprobes being placed by file.

The ``-`` function names an absolute address in the executable
(``pid$target:a.out:-:401136``, the link-time address, PIE or not); only the
a.out module is valid with it (D_PROC_LIB) and only one address (D_PROC_NAME).

When a program is compiled (not listed) the uprobes are created as the probes
are matched, as fasttrap creates its probes at compile time: a site the kernel
refuses (x86 uprobes refuse lock-prefixed instructions, int3 ...) is a compile
error (D_PROC_CREATEFAIL), except under a glob function or name, where the
refused probes are left out. The events wait in the provider until attach takes them;
``close()`` releases those never attached.

Probes matched by a glob function or name take another way when the kernel has
uprobe_multi links (Linux 6.6+): nothing is opened at compile time, their kinds
become ``umulti_*`` (programs loaded for BPF_TRACE_UPROBE_MULTI) and attach
links every site of one (file, pid, entry/return) at once. Each uprobe perf
event costs a grace period (~80 ms) to close, so ``pid$target:::entry`` (2600
sites) took minutes to tear down; a link costs one. A refused site fails a
whole link: refused sites are found by bisection (``link_sites``) and left out.

A pid provider naming the tracer's own process is refused (D_PROC_DYN), and so
is any user probe on a kernel without the uprobe PMU (D_PROC_NODEV).

Limits: libraries dlopen()ed after the probes were created are not instrumented
(``-x evaltime`` cannot help: the dynamic linker maps them later).
"""

from __future__ import annotations

import errno
import os
import re
from contextlib import ExitStack
from dataclasses import replace

from pydtrace.errors import DCompileError
from pydtrace.providers.base import Probe, Provider, glob_match, is_glob

PID_RE = re.compile(r"^pid(\d+)$")
HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
ADDR_RE = re.compile(r"^(?:0[xX])?[0-9a-fA-F]+$")
ENOTSUPP = 524  # the kernel's internal "operation not supported" (no strerror text)


def kernel_reason(exc) -> str:
    """strerror of a failed syscall, as dtrace_errmsg() words an errno."""
    code = getattr(exc, "errno", 0)
    if code == ENOTSUPP:
        return "Operation not supported"
    return os.strerror(code) if code else str(exc)


class UprobeEvents:
    """uprobe perf events opened while matching, waiting for attach to take them.

    ``create`` is set by the registry of a compilation (never for listings).
    """

    create = False

    def __init__(self) -> None:
        self.ready: dict[tuple, object] = {}

    def open_uprobe(self, key: tuple, path: str, offset: int, pid: int,
                    retprobe: bool = False, ref: int = 0):
        from pydtrace.sys.perf import PerfEvent

        event = self.ready.get(key)
        if event is None:
            event = PerfEvent.uprobe(path, offset, pid=pid, retprobe=retprobe,
                                     ref_ctr_offset=ref)
            self.ready[key] = event
        return event

    def take(self, key: tuple, path: str, offset: int, pid: int, retprobe: bool = False,
             ref: int = 0):
        """The event opened for ``key`` at compile time (the caller owns it now), or a new one."""
        event = self.ready.pop(key, None)
        if event is None:
            from pydtrace.sys.perf import PerfEvent

            event = PerfEvent.uprobe(path, offset, pid=pid, retprobe=retprobe,
                                     ref_ctr_offset=ref)
        return event

    def close(self) -> None:
        events, self.ready = list(self.ready.values()), {}
        for event in events:
            event.close()


def probe_key(probe: Probe, site: int = 0) -> tuple:
    return (probe.provider, probe.module, probe.function, probe.name, site)


def check_uprobe_pmu() -> None:
    """illumos's D_PROC_NODEV (no fasttrap device): here, no uprobe PMU."""
    from pydtrace.sys.perf import PMU_ROOT

    try:
        with open(f"{PMU_ROOT}/uprobe/type") as f:
            f.read()
    except FileNotFoundError:
        raise DCompileError("D_PROC_NODEV",
                            "pid provider is not installed on this system") from None
    except OSError as exc:
        raise DCompileError("D_PROC_NODEV", "pid provider is not available: "
                            f"{os.strerror(exc.errno or 0)}") from None


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
    if exe:  # stopped right after exec (-x evaltime=exec): the libraries it will load
        from pydtrace.proc import unmapped_libraries

        for path in unmapped_libraries(pid, exe, set(seen)):
            seen[path] = (path, os.path.basename(path), False)
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


def check_provider_name(prov: str) -> None:
    """A literal provider name ending in a digit names a process (pidN, pythonN)."""
    digits = len(prov) - len(prov.rstrip("0123456789"))
    if not digits or is_glob(prov):
        return
    if digits == len(prov):
        raise DCompileError("D_PROC_BADPROV", f"'{prov}' is not a valid provider")
    pid = int(prov[-digits:])
    if pid <= 0 or pid >= 1 << 63:
        raise DCompileError("D_PROC_BADPID", f"'{prov}' does not contain a valid pid")
    check_uprobe_pmu()
    check_process(pid)


class PidProvider(UprobeEvents, Provider):
    name = "pid"

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        m = PID_RE.match(desc[0])
        if m is None:
            return []
        pid = int(m.group(1))
        check_process(pid)
        if pid == os.getpid():
            raise DCompileError("D_PROC_DYN", f"process {m.group(1)} is dtrace itself")
        probes = pid_probes(pid, desc)
        if self.create:
            glob = is_glob(desc[2] or "*") or is_glob(desc[3] or "*")
            if glob and multi_links():  # attached later, many sites per link
                return [replace(p, kind=MULTI_KINDS[p.kind]) for p in probes]
            probes = [p for p in probes if self.create_probe(p, glob)]
        return probes

    def create_probe(self, probe: Probe, glob: bool) -> bool:
        """Opens the uprobe(s) of one probe now; False drops a refused probe of a glob.

        ``pid$target:::entry`` must not fail because one function starts with an
        instruction uprobes refuse (glibc's pthread_spin_lock: ``lock decl``); a
        site named exactly is an error."""
        from pydtrace.errors import KernelError

        path, offset, pid = probe.data[:3]
        try:
            if probe.kind == "uprobe_ret":
                for site in probe.data[3]:
                    self.open_uprobe(probe_key(probe, site), path, offset + site, pid)
            else:
                self.open_uprobe(probe_key(probe), path, offset, pid,
                                 retprobe=probe.kind == "uprobe_return")
        except KernelError as exc:
            reason = kernel_reason(exc)
            if glob:
                return False
            if probe.name in ("entry", "return"):
                raise DCompileError("D_PROC_CREATEFAIL", f"failed to create {probe.name} "
                                    f"probe for '{probe.function}': {reason}") from None
            raise DCompileError("D_PROC_CREATEFAIL", f"failed to create probes at "
                                f"'{probe.function}+0x{probe.name}': {reason}") from None
        return True

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link

        path, offset, pid = probe.data[:3]
        if probe.kind == "uprobe_ret":  # one uprobe per return site: cookie = off << 32 | id
            for site in probe.data[3]:
                event = stack.enter_context(self.take(probe_key(probe, site), path,
                                                      offset + site, pid))
                stack.enter_context(Link.perf_event(prog_fd, event.fd,
                                                    cookie=site << 32 | probe.id))
            return
        event = stack.enter_context(self.take(probe_key(probe), path, offset, pid,
                                              retprobe=probe.kind == "uprobe_return"))
        stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))

    def attach_multi(self, probes: list[Probe], prog_fd: int, stack: ExitStack) -> None:
        """Attaches a program's glob-matched probes (kinds ``umulti_*``) through
        uprobe_multi links: one per (file, pid, return flag) when the kernel takes
        every site; sites it refuses are found by bisection and left out."""
        groups: dict[tuple[str, int, bool], list[tuple[int, int]]] = {}
        for probe in probes:
            path, offset, pid = probe.data[:3]
            key = (path, pid, probe.kind == "umulti_return")
            if probe.kind == "umulti_ret":  # entry-style uprobes on the return sites
                groups.setdefault(key, []).extend((offset + site, site << 32 | probe.id)
                                                  for site in probe.data[3])
            else:
                groups.setdefault(key, []).append((offset, probe.id))
        for (path, pid, ret), sites in groups.items():
            link_sites(prog_fd, path, pid, ret, sites, stack)


MULTI_KINDS = {"uprobe_entry": "umulti_entry", "uprobe_offset": "umulti_offset",
               "uprobe_ret": "umulti_ret", "uprobe_return": "umulti_return"}
# errnos by which uprobe registration refuses one site (x86: ENOTSUPP for an instruction
# it cannot single-step, EINVAL for an offset outside the file); others end the run
SITE_ERRNOS = frozenset({ENOTSUPP, errno.EINVAL, errno.EOPNOTSUPP, errno.EIO, errno.EEXIST})


def multi_links() -> bool:
    """Whether glob-matched pid probes attach through uprobe_multi links (Linux 6.6+);
    ``PYDTRACE_UPROBE_MULTI=0`` keeps them on perf events (for comparisons)."""
    if os.environ.get("PYDTRACE_UPROBE_MULTI") == "0":
        return False
    from pydtrace.sys.features import have_uprobe_multi

    return bool(have_uprobe_multi())


def link_sites(prog_fd: int, path: str, pid: int, ret: bool, sites: list[tuple[int, int]],
               stack: ExitStack) -> list[tuple[int, int]]:
    """Links (offset, cookie) sites of one file; returns the sites the kernel refused.

    One refused site fails a whole link, and each failed try costs a grace period
    (~65 ms), so sites whose first bytes the kernel is known to refuse (x86 lock and
    segment prefixes, int3) are tried apart; any other refusal is found by bisection.
    """
    from pydtrace.errors import KernelError
    from pydtrace.sys.links import Link

    suspect = suspect_sites(path, [off for off, _ in sites])
    todo = [part for part in ([s for s in sites if s[0] in suspect],
                              [s for s in sites if s[0] not in suspect]) if part]
    refused = []
    while todo:
        part = todo.pop()
        try:
            stack.enter_context(Link.uprobe_multi(prog_fd, path, [s[0] for s in part],
                                                  [s[1] for s in part], pid=pid,
                                                  retprobe=ret))
        except KernelError as exc:
            if exc.errno not in SITE_ERRNOS:
                raise
            if len(part) == 1:
                refused.append(part[0])
                continue
            half = len(part) // 2
            todo += [part[half:], part[:half]]
    return refused


# legacy prefixes x86 uprobes refuse (lock, es/cs/ss/ds) or skip over (the others)
BAD_PREFIXES = frozenset({0xF0, 0x26, 0x2E, 0x36, 0x3E})
PREFIXES = frozenset({0x66, 0x67, 0xF2, 0xF3, 0x64, 0x65}) | BAD_PREFIXES


def suspect_sites(path: str, offsets: list[int]) -> set[int]:
    """File offsets whose instruction x86 uprobes will likely refuse (a hint only)."""
    if os.uname().machine != "x86_64":
        return set()
    from pydtrace.elf import ElfError, open_elf

    try:
        data = open_elf(path).data
    except (ElfError, OSError):
        return set()
    out = set()
    for off in offsets:
        code = bytes(data[off:off + 15])
        i = 0
        while i < len(code) and code[i] in PREFIXES:
            if code[i] in BAD_PREFIXES:
                out.add(off)
            i += 1
        if i < len(code) and code[i] == 0xCC:  # int3
            out.add(off)
    return out


def function_code(elf, sym) -> bytes | None:
    """The bytes of one function (sym.size from its file offset)."""
    start = elf.vaddr_to_offset(sym.value)
    if start is None or sym.size <= 0:
        return None
    code = bytes(elf.data[start:start + sym.size])
    return code if len(code) == sym.size else None


def return_probe(provider: str, base: str, path: str, elf, sym, start: int,
                 pid: int) -> Probe:
    """uprobes on the return sites (arg0 = offset) or, undecodable, a uretprobe."""
    from pydtrace.elf.x86len import return_sites

    code = function_code(elf, sym) if os.uname().machine == "x86_64" else None
    sites = return_sites(code) if code is not None else None
    if sites:
        return Probe(provider, base, sym.name, "return", "uprobe_ret",
                     (path, start, pid, tuple(sites)))
    return Probe(provider, base, sym.name, "return", "uprobe_return", (path, start, pid))


def check_aligned(elf, sym, offset: int) -> None:
    """An offset probe must sit on an instruction boundary (when the code decodes)."""
    from pydtrace.elf.x86len import instruction_offsets

    code = function_code(elf, sym) if os.uname().machine == "x86_64" else None
    offsets = instruction_offsets(code) if code is not None else None
    if offsets and offset not in offsets:
        raise DCompileError("D_PROC_ALIGN",
                            f"offset 0x{offset:x} is not aligned on an instruction")


def glob_offsets(provider: str, base: str, path: str, elf, sym, start: int, pid: int,
                 name: str) -> list[Probe]:
    """Offset probes on every instruction whose hex offset matches the glob."""
    from pydtrace.elf.x86len import instruction_offsets

    code = function_code(elf, sym) if os.uname().machine == "x86_64" else None
    offsets = instruction_offsets(code) if code is not None else None
    out = []
    for off in offsets or ():
        pname = f"{off:x}"
        if glob_match(name, pname):
            out.append(Probe(provider, base, sym.name, pname, "uprobe_offset",
                             (path, start + off, pid)))
    return out


def pid_probes(pid: int, desc: tuple[str, str, str, str]) -> list[Probe]:
    from pydtrace.elf import ElfError, open_elf

    _, mod, func, name = desc
    func = func or "*"
    name = name or "*"
    if func == "-":
        return address_probe(pid, mod, name)
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
            if offset is None and not is_glob(name) and name not in ("entry", "return"):
                raise DCompileError("D_PROC_NAME", f"'{name}' is an invalid probe name")
            start = elf.vaddr_to_offset(sym.value)
            if start is None:
                continue
            if offset is not None:
                if offset >= sym.size:
                    raise DCompileError("D_PROC_OFF", f"offset 0x{offset:x} outside of "
                                        f"function '{sym.name}'")
                check_aligned(elf, sym, offset)
                probes.append(Probe(provider, base, sym.name, name.lower().lstrip("0") or "0",
                                    "uprobe_offset", (path, start + offset, pid)))
                continue
            if glob_match(name, "entry"):
                probes.append(Probe(provider, base, sym.name, "entry", "uprobe_entry",
                                    (path, start, pid)))
            if glob_match(name, "return"):
                probes.append(return_probe(provider, base, path, elf, sym, start, pid))
            if is_glob(name):
                probes += glob_offsets(provider, base, path, elf, sym, start, pid, name)
    return probes


def address_probe(pid: int, mod: str, name: str) -> list[Probe]:
    """``pidN:a.out:-:ADDR``: a probe at one link-time address of the executable."""
    from pydtrace.elf import ElfError, open_elf

    if mod in ("", "*"):
        mod = "a.out"
    exe = next(((path, base) for path, base, is_exe in process_objects(pid) if is_exe), None)
    if is_glob(mod) or exe is None or not module_matches(mod, exe[1], True):
        raise DCompileError("D_PROC_LIB", "only the a.out module is valid with the '-' function")
    if is_glob(name):
        raise DCompileError("D_PROC_NAME",
                            "only individual addresses may be specified with the '-' function")
    if not ADDR_RE.match(name):
        raise DCompileError("D_PROC_NAME", f"'{name}' is an invalid probe name")
    path, base = exe
    addr = int(name, 16)
    try:
        elf = open_elf(path)
        sym = elf.symbolize(addr)
    except (ElfError, OSError):
        sym = None
    offset = elf.vaddr_to_offset(addr) if sym is not None else None
    if offset is None:  # dtrace names the address in the process (load base added)
        from pydtrace.proc import _load_base

        where = addr + (_load_base(pid, path) or 0)
        raise DCompileError("D_PROC_NAME", f"failed to lookup 0x{where:x} in module '{mod}'")
    check_aligned(elf, sym, addr - sym.value)  # a breakpoint inside an instruction corrupts it
    return [Probe(f"pid{pid}", base, "-", f"{addr:x}", "uprobe_offset", (path, offset, pid))]
