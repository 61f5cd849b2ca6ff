"""Processes: address-space maps, and the -c/-p process control of dtrace(1).

``-c cmd`` forks, the child asks to be traced and execs; the kernel stops it
after exec (SIGTRAP). We then put a breakpoint on the program's entry point
(``AT_ENTRY`` from ``/proc/PID/auxv``) and let it run there: at that point
ld.so has mapped every ``DT_NEEDED`` library, so pid-provider probes can name
them and USDT notes of libraries are visible. The process stays stopped
until probes are attached (``resume``), then is detached and runs freely.

``-p PID`` grabs a running process without stopping it: probes are attached
with a pid filter, and a pidfd tells when it exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import struct
from dataclasses import dataclass, field

from pydtrace.errors import DTraceError

PTRACE_TRACEME, PTRACE_PEEKTEXT, PTRACE_POKETEXT = 0, 1, 4
PTRACE_CONT, PTRACE_KILL, PTRACE_GETREGS, PTRACE_SETREGS = 7, 8, 12, 13
PTRACE_DETACH, PTRACE_SETOPTIONS, PTRACE_SINGLESTEP = 17, 0x4200, 9
PTRACE_O_EXITKILL = 1 << 20
AT_ENTRY = 9
USER_REGS_WORDS = 27
RIP_INDEX = 16  # struct user_regs_struct: r15 ... orig_rax (15), rip (16)


@dataclass(frozen=True)
class Mapping:
    start: int
    end: int
    perms: str
    offset: int
    inode: int
    path: str


def read_maps(pid: int) -> list[Mapping]:
    """``/proc/PID/maps``; [] if the process is gone."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        lo, _, hi = parts[0].partition("-")
        path = parts[5] if len(parts) > 5 else ""
        out.append(Mapping(int(lo, 16), int(hi, 16), parts[1], int(parts[2], 16),
                           int(parts[4]), path))
    return out


def file_mappings(pid: int) -> dict[str, list[Mapping]]:
    """Mappings of real files (path -> its mappings), in address order."""
    out: dict[str, list[Mapping]] = {}
    for m in read_maps(pid):
        if m.inode and m.path.startswith("/"):
            out.setdefault(m.path, []).append(m)
    return out


def exe_path(pid: int) -> str | None:
    try:
        path = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    return path[:-len(" (deleted)")] if path.endswith(" (deleted)") else path


def _libc():
    lib = ctypes.CDLL(None, use_errno=True)
    lib.ptrace.restype = ctypes.c_long
    lib.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    return lib


def _ptrace(req: int, pid: int, addr: int = 0, data: int | ctypes.c_void_p = 0) -> int:
    lib = _libc()
    ctypes.set_errno(0)
    res = lib.ptrace(req, pid, ctypes.c_void_p(addr), data if isinstance(data, ctypes.Array)
                     else ctypes.c_void_p(data))
    err = ctypes.get_errno()
    if res == -1 and err:
        raise OSError(err, os.strerror(err))
    return res


def _auxv_entry(pid: int) -> int | None:
    with open(f"/proc/{pid}/auxv", "rb") as f:
        data = f.read()
    for i in range(0, len(data) - 15, 16):
        key, val = struct.unpack_from("<QQ", data, i)
        if key == AT_ENTRY:
            return val
    return None


@dataclass
class Target:
    pid: int
    created: bool
    stopped: bool = False  # ptrace-stopped, waiting for resume()
    exited: bool = False
    status: int | None = None  # wait status (created processes)
    pidfd: int = -1
    notice: str = ""

    def poll(self) -> bool:
        """True while the process lives."""
        if self.exited:
            return False
        if self.created:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid == 0:
                return True
            self.status = status
        else:
            if self.pidfd >= 0:
                ready, _, _ = select.select([self.pidfd], [], [], 0)
                if not ready:
                    return True
            elif os.path.exists(f"/proc/{self.pid}"):
                return True
        self.exited = True
        return False

    def exit_notice(self) -> str:
        st = self.status
        if st is not None and os.WIFSIGNALED(st):
            return f"pid {self.pid} terminated by {signal.Signals(os.WTERMSIG(st)).name}"
        if st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) != 0:
            return f"pid {self.pid} exited with status {os.WEXITSTATUS(st)}"
        return f"pid {self.pid} has exited"


@dataclass
class ProcessSet:
    """The -c/-p processes of one dtrace run, in command-line order."""

    targets: list[Target] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [t.pid for t in self.targets]

    def create(self, command: str, evaltime: str = "postinit") -> Target:
        t = create_process(command, evaltime)
        self.targets.append(t)
        return t

    def grab(self, pid: int) -> Target:
        t = grab_process(pid)
        self.targets.append(t)
        return t

    def resume(self) -> None:
        """Lets created processes run (after the probes are attached); their address
        spaces are noted first, so their user stacks symbolize after they exit."""
        from pydtrace.output.ustacks import remember

        for t in self.targets:
            remember(t.pid)
            if t.stopped:
                t.stopped = False
                with contextlib.suppress(OSError):
                    _ptrace(PTRACE_DETACH, t.pid, 0, 0)

    def alive_hook(self, session, quiet: bool):
        """Session.targets_alive: prints ``pid N has exited`` as each one goes."""
        def alive() -> bool:
            live = False
            for t in self.targets:
                if t.exited:
                    continue
                if t.poll():
                    live = True
                elif not quiet:
                    session.warn(t.exit_notice())
            return live
        return alive

    def release(self) -> None:
        """Kills created processes still alive (as dtrace does), closes pidfds."""
        for t in self.targets:
            if t.created and not t.exited:
                try:
                    os.kill(t.pid, signal.SIGKILL)
                    os.waitpid(t.pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
                t.exited = True
            if t.pidfd >= 0:
                os.close(t.pidfd)
                t.pidfd = -1


def create_process(command: str, evaltime: str = "postinit") -> Target:
    """Creates the -c process stopped where ``-x evaltime`` says (run_to_evaltime)."""
    from pydtrace.invocation import split_command

    argv = split_command(command)
    path = argv[0] if "/" in argv[0] else shutil.which(argv[0])
    if path is None or not os.access(path, os.X_OK) or os.path.isdir(path):
        err = "No such file or directory" if path is None or not os.path.exists(path) \
            else "Permission denied"
        raise DTraceError(f"failed to execute {argv[0]}: {err}")
    rfd, wfd = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(rfd)
            for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            _ptrace(PTRACE_TRACEME, 0)
            os.execv(path, argv)
        except OSError as exc:
            os.write(wfd, str(exc.errno).encode())
        finally:
            os._exit(127)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        failed = r.read()
    _, status = os.waitpid(pid, 0)
    if failed or not os.WIFSTOPPED(status):
        if not os.WIFEXITED(status) and not os.WIFSIGNALED(status):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        err = os.strerror(int(failed)) if failed else "exec failed"
        raise DTraceError(f"failed to execute {argv[0]}: {err}")
    target = Target(pid, created=True, stopped=True)
    try:
        _ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL)
        run_to_evaltime(pid, path, evaltime)
    except OSError as exc:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise DTraceError(f"failed to create process {argv[0]}: {exc.strerror}") from exc
    return target


def run_to_evaltime(pid: int, path: str, evaltime: str) -> None:
    """``-x evaltime``: where the created process waits while probes are attached.

    - ``exec``: right after execve(2): only the executable and the dynamic linker
      are mapped; pid probes on libraries resolve them through the executable's
      DT_NEEDED entries (providers.pid / proc.unmapped_libraries).
    - ``preinit``: the dynamic linker has mapped every library but run no
      initializer: its second call of ``_dl_debug_state`` (r_debug RT_CONSISTENT).
      Without a dynamic linker (static executables) this is the entry point.
    - ``postinit`` (the default): the executable's entry point (``_start``): the
      libraries' initializers have run, no program code has.
    - ``main``: the executable's ``main`` symbol (the entry point when there is no
      such symbol, e.g. stripped executables).
    """
    if evaltime == "exec":
        return
    if evaltime == "preinit":
        addr = _ldso_debug_state(pid)
        if addr is not None:
            run_to_breakpoint(pid, addr, hits=2)
            return
    if evaltime == "main":
        addr = _main_address(pid, path)
        if addr is not None:
            run_to_breakpoint(pid, addr)
            return
    run_to_entry(pid)


def _load_base(pid: int, path: str) -> int | None:
    """Where the ELF file at ``path`` is mapped in pid (0 for a non-PIE executable)."""
    from pydtrace.elf import ElfError, open_elf

    try:
        elf = open_elf(path)
        real = os.path.realpath(path)
        maps = [m for m in read_maps(pid) if m.path == real]
    except (ElfError, OSError):
        return None
    if not elf.is_pie:
        return 0
    first = min((m for m in maps if m.offset == 0), key=lambda m: m.start, default=None)
    if first is None:
        return None
    return first.start - (min((s.vaddr for s in elf.segments), default=0) & ~0xFFF)


def _symbol_address(pid: int, path: str, name: str) -> int | None:
    from pydtrace.elf import ElfError, open_elf

    try:
        sym = open_elf(path).functions.get(name)
    except (ElfError, OSError):
        return None
    base = _load_base(pid, path) if sym is not None else None
    return None if sym is None or base is None else base + sym.value


def _main_address(pid: int, path: str) -> int | None:
    return _symbol_address(pid, os.path.realpath(path), "main")


def _ldso_debug_state(pid: int) -> int | None:
    """The dynamic linker's ``_dl_debug_state`` in pid (None: statically linked)."""
    from pydtrace.elf import ElfError, open_elf

    exe = exe_path(pid)
    try:
        elf = open_elf(exe) if exe else None
    except (ElfError, OSError):
        elf = None
    interp = None
    for i in range(elf.phnum if elf else 0):  # PT_INTERP (3): the dynamic linker's path
        p_type, _f, off, _v, _p, filesz = struct.unpack_from(
            "<IIQQQQ", elf.data, elf.phoff + i * elf.phentsize)  # type: ignore[union-attr]
        if p_type == 3:
            interp = bytes(elf.data[off:off + filesz]).split(b"\0")[0].decode()  # type: ignore[union-attr]
    if not interp:
        return None
    return _symbol_address(pid, os.path.realpath(interp), "_dl_debug_state")


def run_to_breakpoint(pid: int, addr: int, hits: int = 1) -> None:
    """Runs the stopped child until it has executed ``addr`` ``hits`` times (int3 there,
    restored and re-armed between hits), then leaves it stopped at ``addr``."""
    word = _ptrace(PTRACE_PEEKTEXT, pid, addr) & 0xFFFF_FFFF_FFFF_FFFF
    for hit in range(hits):
        _ptrace(PTRACE_POKETEXT, pid, addr, (word & ~0xFF) | 0xCC)
        _ptrace(PTRACE_CONT, pid, 0, 0)
        while True:
            _, status = os.waitpid(pid, 0)
            if not os.WIFSTOPPED(status):
                raise OSError(3, "process exited before reaching the evaltime point")
            if os.WSTOPSIG(status) == signal.SIGTRAP:
                break
            _ptrace(PTRACE_CONT, pid, 0, os.WSTOPSIG(status))
        regs = (ctypes.c_ulonglong * USER_REGS_WORDS)()
        _ptrace(PTRACE_GETREGS, pid, 0, regs)
        regs[RIP_INDEX] = addr
        _ptrace(PTRACE_SETREGS, pid, 0, regs)
        _ptrace(PTRACE_POKETEXT, pid, addr, word)
        if hit + 1 < hits:
            _ptrace(PTRACE_SINGLESTEP, pid, 0, 0)
            _, status = os.waitpid(pid, 0)
            if not os.WIFSTOPPED(status):
                raise OSError(3, "process exited before reaching the evaltime point")


def run_to_entry(pid: int) -> None:
    """From the post-exec stop, runs the traced child to its entry point (libraries
    loaded, no program code run yet) with a one-shot int3 there."""
    entry = _auxv_entry(pid)
    if entry is None:
        return
    word = _ptrace(PTRACE_PEEKTEXT, pid, entry) & 0xFFFF_FFFF_FFFF_FFFF
    _ptrace(PTRACE_POKETEXT, pid, entry, (word & ~0xFF) | 0xCC)
    _ptrace(PTRACE_CONT, pid, 0, 0)
    while True:
        _, status = os.waitpid(pid, 0)
        if not os.WIFSTOPPED(status):
            raise OSError(3, "process exited before reaching its entry point")
        if os.WSTOPSIG(status) == signal.SIGTRAP:
            break
        _ptrace(PTRACE_CONT, pid, 0, os.WSTOPSIG(status))  # pass other signals on
    regs = (ctypes.c_ulonglong * USER_REGS_WORDS)()
    _ptrace(PTRACE_GETREGS, pid, 0, regs)
    regs[RIP_INDEX] = entry
    _ptrace(PTRACE_SETREGS, pid, 0, regs)
    _ptrace(PTRACE_POKETEXT, pid, entry, word)


def grab_process(pid: int) -> Target:
    if pid <= 0 or pid == os.getpid():
        raise DTraceError(f"failed to grab pid {pid}: "
                          + ("No such process" if pid <= 0 else "Device busy"))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise DTraceError(f"failed to grab pid {pid}: No such process") from None
    except PermissionError:
        raise DTraceError(f"failed to grab pid {pid}: Permission denied") from None
    try:
        fd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        fd = -1
    return Target(pid, created=False, pidfd=fd)


DEFAULT_LIB_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                    "/lib", "/usr/lib", "/usr/local/lib")


def _ld_so_conf_dirs(path: str = "/etc/ld.so.conf", depth: int = 0) -> list[str]:
    import glob

    out: list[str] = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include ") and depth < 4:
            for inc in sorted(glob.glob(line.split(None, 1)[1])):
                out += _ld_so_conf_dirs(inc, depth + 1)
        elif line.startswith("/"):
            out.append(line)
    return out


def unmapped_libraries(pid: int, exe: str, mapped: set[str]) -> list[str]:
    """Libraries a process stopped right after exec (``-x evaltime=exec``) will load:
    the executable's DT_NEEDED closure, found like the dynamic linker does (RUNPATH,
    LD_LIBRARY_PATH, ld.so.conf, the default directories), minus what is mapped.
    Empty once the dynamic linker has mapped them. Uprobes are placed by file, so
    pid probes on these libraries work before they are mapped."""
    from pydtrace.elf import ElfError, open_elf

    try:
        needed, runpath = open_elf(exe).dynamic
    except (ElfError, OSError):
        return []
    names = {os.path.basename(p) for p in mapped}
    if not needed or any(n in names for n in needed):
        return []  # already loaded (or nothing to load)
    env = ""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/environ", "rb") as f:
        for item in f.read().split(b"\0"):
            if item.startswith(b"LD_LIBRARY_PATH="):
                env = item.split(b"=", 1)[1].decode(errors="replace")
    origin = os.path.dirname(exe)
    dirs = [d.replace("$ORIGIN", origin) for d in runpath] + [d for d in env.split(":") if d]
    dirs += _ld_so_conf_dirs() + list(DEFAULT_LIB_DIRS)
    out: list[str] = []
    queue, seen = list(needed), set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        cands = [name] if "/" in name else [os.path.join(d, name) for d in dirs]
        path = next((c for c in cands if os.path.isfile(c)), None)
        if path is None:
            continue
        path = os.path.realpath(path)
        if path not in mapped and path not in out:
            out.append(path)
        with contextlib.suppress(ElfError, OSError):
            queue += open_elf(path).dynamic[0]
    return out
