"""The lockstat provider: kernel lock contention, as ``lockstat:vmlinux::NAME``.

The probe names, argument types and stability are those of DTrace for Linux
(Oracle), which builds the provider on fbt; module ``vmlinux``, empty
function. Without kprobes this implementation stands on the kernel's lock
contention tracepoints, ``lock:contention_begin(lock, flags)`` and
``lock:contention_end(lock, ret)``, which bracket every contended
acquisition of a kernel lock (codegen.lockstat records each thread's wait
start at ``contention_begin``):

- ``adaptive-spin`` / ``adaptive-block``: a contended ``struct mutex`` (or
  rt_mutex, ``LCB_F_MUTEX``/``LCB_F_RT``) acquired after spinning (the
  optimistic spin succeeded) or after sleeping; one or the other fires per
  acquisition. ``args[1]`` is the spin time, or the sleep time (from the last
  wait start: a mutex that spins and then sleeps reports the sleep), in ns.
- ``adaptive-acquire-error``: a contended mutex acquisition that failed
  (``mutex_lock_interruptible``/``_killable`` interrupted); ``args[1]`` is
  the error (negative errno). An uncontended acquisition cannot fail.
- ``spin-spin``: a contended spin lock (``queued_spin_lock_slowpath``);
  ``args[1]`` the spin time in ns.
- ``rw-spin``: a contended ``rwlock_t`` (``LCB_F_SPIN`` with ``READ`` or
  ``WRITE``); ``args[1]`` the spin time, ``args[2]`` RW_READER (1) or
  RW_WRITER (0).
- ``rw-block``: not in Oracle's list but in the illumos guide (a thread that
  slept on a readers/writer lock and acquired it): here a contended
  ``struct rw_semaphore`` or percpu rw-semaphore (``READ``/``WRITE`` without
  ``SPIN``); ``args[1]`` the sleep time, ``args[2]`` RW_READER/RW_WRITER. The
  illumos ``arg3``/``arg4`` (writer-held flag, reader count) are not known.

The probes fire in the waiter's context after it got the lock, as in DTrace.
Waits nest (a spin lock contended in an interrupt during another wait) and
are matched innermost first. Contention met while one of the script's own
programs runs on that CPU (the locks of its maps, an interrupt landing in
it) fires no probe: DTrace drops probes firing in probe context too
(codegen.trampoline). Semaphores (``flags`` 0) are not lockstat locks.

``adaptive-acquire``, ``adaptive-release``, ``rw-acquire``, ``rw-release``,
``spin-acquire`` and ``spin-release`` fire on every acquisition and release,
contended or not; the kernel has no tracepoint there (Oracle hooks the lock
functions with kprobes). They are listed, as DTrace lists them, so scripts
naming them compile, but enabling one fails: ``lock acquisitions and releases
are not available on this kernel``.
"""

from __future__ import annotations

import errno
from contextlib import ExitStack

from pydtrace.providers.base import Probe, Provider, desc_matches

MODULE = "vmlinux"
MUTEX, RWLOCK, SPIN = "struct mutex *", "struct rwlock *", "spinlock_t *"
RWSEM = "struct rw_semaphore *"
# name -> argument types (Oracle dt_prov_lockstat.c; rw-block after the illumos guide)
PROBES: dict[str, tuple[str, ...]] = {
    "adaptive-acquire": (MUTEX,),
    "adaptive-acquire-error": (MUTEX, "int"),
    "adaptive-block": (MUTEX, "uint64_t"),
    "adaptive-release": (MUTEX,),
    "adaptive-spin": (MUTEX, "uint64_t"),
    "rw-acquire": (RWLOCK, "int"),
    "rw-block": (RWSEM, "uint64_t", "int"),
    "rw-release": (RWLOCK, "int"),
    "rw-spin": (RWLOCK, "uint64_t", "int"),
    "spin-acquire": (SPIN,),
    "spin-release": (SPIN,),
    "spin-spin": (SPIN, "uint64_t"),
}
HOOKLESS = frozenset(n for n in PROBES if n.endswith(("-acquire", "-release")))
END_EVENT = "contention_end"


class LockstatProvider(Provider):
    name = "lockstat"

    def list_probes(self) -> list[Probe]:
        return [Probe(self.name, MODULE, "", n, "lockstat", (n,), types)
                for n, types in PROBES.items()]

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        return [p for p in self.list_probes() if desc_matches(desc, p)]

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.errors import KernelError
        from pydtrace.sys.links import Link

        if probe.kind in ("lockstat_begin", "lockstat_end"):  # companions (codegen.lockstat)
            stack.enter_context(Link.raw_tracepoint(prog_fd, probe.name))
            return
        if probe.name in HOOKLESS:
            raise KernelError("lock acquisitions and releases are not available on this "
                              "kernel (no tracepoint; only contention is traced)",
                              errno.EOPNOTSUPP)
        stack.enter_context(Link.raw_tracepoint(prog_fd, END_EVENT, cookie=probe.id))
