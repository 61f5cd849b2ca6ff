"""``perf_event_open(2)``: the attr struct and :class:`PerfEvent`, the fd owner.

Events that carry a BPF program (tracepoint, kprobe, uprobe) run that program for every
hit on every CPU, whatever CPU the event was opened on: the program hangs off the probe's
``trace_event_call``, so one event per probe is enough (opened on CPU 0, pid -1). Sampling
events (cpu-clock) are per CPU: open one per online CPU.
"""

from __future__ import annotations

import ctypes
import errno
import os

from pydtrace.errors import KernelError
from pydtrace.sys import syscall as sc
from pydtrace.sys.fd import FdOwner

# enum perf_type_id
PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1
PERF_TYPE_TRACEPOINT = 2
PERF_TYPE_HW_CACHE = 3
PERF_TYPE_RAW = 4
PERF_TYPE_BREAKPOINT = 5

# enum perf_sw_ids
PERF_COUNT_SW_CPU_CLOCK = 0
PERF_COUNT_SW_TASK_CLOCK = 1
PERF_COUNT_SW_BPF_OUTPUT = 10

# enum perf_event_sample_format (the ones a tracer uses)
PERF_SAMPLE_RAW = 1 << 10

# bits of the attr's bitfield word, in header order (perf_event_attr: disabled ... sigtrap)
ATTR_DISABLED = 1 << 0
ATTR_INHERIT = 1 << 1
ATTR_PINNED = 1 << 2
ATTR_EXCLUSIVE = 1 << 3
ATTR_EXCLUDE_USER = 1 << 4
ATTR_EXCLUDE_KERNEL = 1 << 5
ATTR_EXCLUDE_HV = 1 << 6
ATTR_EXCLUDE_IDLE = 1 << 7
ATTR_MMAP = 1 << 8
ATTR_COMM = 1 << 9
ATTR_FREQ = 1 << 10
ATTR_INHERIT_STAT = 1 << 11
ATTR_ENABLE_ON_EXEC = 1 << 12
ATTR_TASK = 1 << 13
ATTR_WATERMARK = 1 << 14
ATTR_PRECISE_IP_SHIFT = 15  # two bits
ATTR_MMAP_DATA = 1 << 17
ATTR_SAMPLE_ID_ALL = 1 << 18
ATTR_EXCLUDE_HOST = 1 << 19
ATTR_EXCLUDE_GUEST = 1 << 20
ATTR_EXCLUDE_CALLCHAIN_KERNEL = 1 << 21
ATTR_EXCLUDE_CALLCHAIN_USER = 1 << 22
ATTR_MMAP2 = 1 << 23
ATTR_COMM_EXEC = 1 << 24
ATTR_USE_CLOCKID = 1 << 25
ATTR_CONTEXT_SWITCH = 1 << 26
ATTR_WRITE_BACKWARD = 1 << 27
ATTR_NAMESPACES = 1 << 28
ATTR_KSYMBOL = 1 << 29
ATTR_BPF_EVENT = 1 << 30
ATTR_AUX_OUTPUT = 1 << 31
ATTR_CGROUP = 1 << 32
ATTR_TEXT_POKE = 1 << 33
ATTR_BUILD_ID = 1 << 34
ATTR_INHERIT_THREAD = 1 << 35
ATTR_REMOVE_ON_EXEC = 1 << 36
ATTR_SIGTRAP = 1 << 37

PMU_ROOT = "/sys/bus/event_source/devices"
u32, u64 = ctypes.c_uint32, ctypes.c_uint64


class _Period(ctypes.Union):
    _fields_ = [("sample_period", u64), ("sample_freq", u64)]


class _Wakeup(ctypes.Union):
    _fields_ = [("wakeup_events", u32), ("wakeup_watermark", u32)]


class _Config1(ctypes.Union):
    _fields_ = [("bp_addr", u64), ("kprobe_func", u64), ("uprobe_path", u64), ("config1", u64)]


class _Config2(ctypes.Union):
    _fields_ = [("bp_len", u64), ("kprobe_addr", u64), ("probe_offset", u64), ("config2", u64)]


class PerfEventAttr(ctypes.Structure):
    """``struct perf_event_attr`` (PERF_ATTR_SIZE_VER7, the newest in the UAPI header here).

    The bitfield word (``disabled : 1, inherit : 1, ...``) is the u64 ``flags``; build it
    from the ``ATTR_*`` bits of this module.
    """

    _anonymous_ = ("_period", "_wakeup", "_config1", "_config2")
    _fields_ = [
        ("type", u32), ("size", u32), ("config", u64), ("_period", _Period),
        ("sample_type", u64), ("read_format", u64), ("flags", u64), ("_wakeup", _Wakeup),
        ("bp_type", u32), ("_config1", _Config1), ("_config2", _Config2),
        ("branch_sample_type", u64), ("sample_regs_user", u64), ("sample_stack_user", u32),
        ("clockid", ctypes.c_int32), ("sample_regs_intr", u64), ("aux_watermark", u32),
        ("sample_max_stack", ctypes.c_uint16), ("_reserved_2", ctypes.c_uint16),
        ("aux_sample_size", u32), ("_reserved_3", u32), ("sig_data", u64),
    ]


PERF_ATTR_SIZE = ctypes.sizeof(PerfEventAttr)


def _cpu_list(path: str) -> list[int]:
    """Parse a kernel CPU list such as ``0-3,5,7-8``."""
    with open(path) as f:
        text = f.read().strip()
    cpus: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def online_cpus() -> list[int]:
    """The CPUs online now (``/sys/devices/system/cpu/online``)."""
    return _cpu_list("/sys/devices/system/cpu/online")


def _read_sysfs(path: str) -> str:
    with open(path) as f:
        return f.read().strip()


def pmu_type(pmu: str) -> int:
    """The dynamic PMU type number of ``pmu`` (``kprobe``, ``uprobe``)."""
    return int(_read_sysfs(f"{PMU_ROOT}/{pmu}/type"))


def pmu_format_shift(pmu: str, field: str) -> int:
    """First bit of a ``config:N`` or ``config:N-M`` format entry of a PMU."""
    spec = _read_sysfs(f"{PMU_ROOT}/{pmu}/format/{field}")
    where, _, bits = spec.partition(":")
    if where != "config":
        raise KernelError(f"unexpected {pmu} PMU format for {field}: {spec!r}")
    return int(bits.split("-")[0])


def _probe_attr(pmu: str, target: bytes, offset: int, retprobe: bool) -> tuple:
    """attr for the kprobe/uprobe PMUs; returns (attr, buffer to keep alive until open)."""
    name = ctypes.create_string_buffer(target)
    attr = PerfEventAttr(type=pmu_type(pmu), size=PERF_ATTR_SIZE)
    attr.config1 = ctypes.addressof(name)
    attr.config2 = offset
    attr.sample_period = 1
    attr.wakeup_events = 1
    if retprobe:
        attr.config |= 1 << pmu_format_shift(pmu, "retprobe")
    return attr, name


class PerfEvent(FdOwner):
    """An open perf event: owns its fd; a context manager; ``close()`` is idempotent."""

    def __init__(self, fd: int, desc: str = "") -> None:
        self.fd = fd
        self.desc = desc

    @classmethod
    def open(cls, attr: PerfEventAttr, pid: int = -1, cpu: int = 0, group_fd: int = -1,
             desc: str = "") -> PerfEvent:
        """Open an event from a filled-in attr (close-on-exec always)."""
        fd = sc.perf_event_open(attr, pid, cpu, group_fd, sc.PERF_FLAG_FD_CLOEXEC)
        return cls(fd, desc)

    @classmethod
    def tracepoint(cls, tp_id: int, cpu: int = 0, pid: int = -1,
                   disabled: bool = False) -> PerfEvent:
        """A tracepoint event (``tp_id`` from tracefs ``events/G/N/id``)."""
        attr = PerfEventAttr(type=PERF_TYPE_TRACEPOINT, size=PERF_ATTR_SIZE, config=tp_id)
        attr.sample_period = 1
        attr.wakeup_events = 1
        attr.flags = ATTR_DISABLED if disabled else 0
        return cls.open(attr, pid, cpu, desc=f"tracepoint {tp_id}")

    @classmethod
    def software_clock(cls, cpu: int, period_ns: int | None = None,
                       freq_hz: int | None = None, disabled: bool = False) -> PerfEvent:
        """A cpu-clock sampling event on one CPU (profile-N / tick-N probes).

        Give ``period_ns`` or ``freq_hz``; with neither, the period is 1 ms.
        """
        attr = PerfEventAttr(type=PERF_TYPE_SOFTWARE, size=PERF_ATTR_SIZE,
                             config=PERF_COUNT_SW_CPU_CLOCK)
        attr.flags = ATTR_DISABLED if disabled else 0
        if freq_hz is not None:
            attr.sample_freq = freq_hz
            attr.flags |= ATTR_FREQ
        else:
            attr.sample_period = period_ns if period_ns is not None else 1_000_000
        return cls.open(attr, -1, cpu, desc=f"cpu-clock cpu{cpu}")

    @classmethod
    def uprobe(cls, path: str, offset: int, pid: int = -1, cpu: int | None = None,
               retprobe: bool = False, ref_ctr_offset: int = 0) -> PerfEvent:
        """A uprobe through the ``uprobe`` PMU: vanishes with its fd, nothing left in tracefs.

        ``offset`` is the file offset of the instruction; ``ref_ctr_offset`` the file offset
        of a USDT semaphore (Linux 4.20+). ``cpu`` defaults to 0 system-wide, -1 for a pid.
        """
        attr, keep = _probe_attr("uprobe", os.fsencode(path), offset, retprobe)
        if ref_ctr_offset:
            attr.config |= ref_ctr_offset << pmu_format_shift("uprobe", "ref_ctr_offset")
        if cpu is None:
            cpu = -1 if pid >= 0 else 0
        event = cls.open(attr, pid, cpu, desc=f"uprobe {path}:{offset:#x}")
        del keep  # the kernel copied the path during the call
        return event

    @classmethod
    def kprobe(cls, func: str, offset: int = 0, retprobe: bool = False) -> PerfEvent:
        """A kprobe through the ``kprobe`` PMU (Linux 4.17+)."""
        if not os.path.isdir(f"{PMU_ROOT}/kprobe"):
            raise KernelError("kprobes are not available on this kernel (no kprobe PMU)",
                              errno.EOPNOTSUPP)
        attr, keep = _probe_attr("kprobe", func.encode(), offset, retprobe)
        event = cls.open(attr, -1, 0, desc=f"kprobe {func}+{offset}")
        del keep
        return event

    def enable(self) -> None:
        """Start counting/sampling (PERF_EVENT_IOC_ENABLE)."""
        sc.ioctl(self.fd, sc.PERF_EVENT_IOC_ENABLE, 0)

    def disable(self) -> None:
        """Stop counting/sampling (PERF_EVENT_IOC_DISABLE).

        A BPF program on a tracepoint/kprobe/uprobe event hangs off the probe itself and
        keeps running while the event is disabled: close the link (or event) to detach.
        """
        sc.ioctl(self.fd, sc.PERF_EVENT_IOC_DISABLE, 0)


    def __repr__(self) -> str:
        return f"PerfEvent(fd={self.fd}, {self.desc})"
