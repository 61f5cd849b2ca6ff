"""BPF links: :class:`Link` owns an attachment fd; closing it detaches the program.

Links are fd-based, so an attachment dies with the process: nothing to clean up after a
crash. ``attach_perf_ioctl`` is the pre-link way (Linux < 5.15 perf links) for old kernels.
"""

from __future__ import annotations

import ctypes

from pydtrace.sys import attr as A
from pydtrace.sys import syscall as sc
from pydtrace.sys.fd import FdOwner

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing at start-up
if TYPE_CHECKING:
    from pydtrace.sys.progs import Program


class Link(FdOwner):
    """An attachment; a context manager; ``close()`` (idempotent) detaches."""

    def __init__(self, fd: int, desc: str = "") -> None:
        self.fd = fd
        self.desc = desc

    @classmethod
    def perf_event(cls, prog_fd: int, perf_fd: int, cookie: int = 0) -> Link:
        """Attach to a perf event fd (tracepoint, kprobe, uprobe, sampling event).

        BPF_LINK_CREATE on perf events and ``bpf_cookie`` arrived in Linux 5.15; the
        cookie is what ``bpf_get_attach_cookie()`` returns inside the program.
        """
        attr = A.LinkCreateAttr(prog_fd=prog_fd, target_fd=perf_fd,
                                attach_type=sc.BPF_PERF_EVENT)
        attr.perf_event.bpf_cookie = cookie
        fd = sc.bpf(sc.BPF_LINK_CREATE, attr, ctypes.sizeof(attr))
        return cls(fd, f"perf_event fd {perf_fd}")

    @classmethod
    def raw_tracepoint(cls, prog_fd: int, name: str | None, cookie: int = 0) -> Link:
        """Attach a raw tracepoint program (BPF_RAW_TRACEPOINT_OPEN).

        ``name`` is the tracepoint (``sched_switch``); None for programs that carry their
        target in ``attach_btf_id`` (tp_btf, fentry/fexit on older kernels). ``cookie``
        (Linux 6.10+) is what ``bpf_get_attach_cookie()`` returns; without one the
        attribute stays in its old, shorter form for older kernels.
        """
        buf = ctypes.create_string_buffer(name.encode()) if name is not None else None
        attr = A.RawTracepointAttr(name=A.addr(buf), prog_fd=prog_fd, cookie=cookie)
        size = ctypes.sizeof(attr) if cookie else A.RawTracepointAttr.cookie.offset
        fd = sc.bpf(sc.BPF_RAW_TRACEPOINT_OPEN, attr, size)
        return cls(fd, f"raw_tracepoint {name}")

    @classmethod
    def tracing(cls, prog: int | Program, attach_type: int | None = None,
                cookie: int = 0) -> Link:
        """Attach a BPF_PROG_TYPE_TRACING program (fentry/fexit/tp_btf) via BPF_LINK_CREATE.

        The target is the program's ``attach_btf_id``. The attach type must equal the one
        the program was loaded with: taken from a :class:`Program`, else ``attach_type``,
        else BPF_TRACE_FENTRY. ``cookie`` needs Linux 6.0+.
        """
        prog_fd = prog if isinstance(prog, int) else prog.fd
        if attach_type is None:
            attach_type = getattr(prog, "expected_attach_type", 0) or sc.BPF_TRACE_FENTRY
        attr = A.LinkCreateAttr(prog_fd=prog_fd, attach_type=attach_type)
        attr.tracing.cookie = cookie
        fd = sc.bpf(sc.BPF_LINK_CREATE, attr, ctypes.sizeof(attr))
        return cls(fd, f"tracing prog fd {prog_fd}")

    @classmethod
    def uprobe_multi(cls, prog_fd: int, path: str, offsets: list[int], cookies: list[int],
                     pid: int = 0, retprobe: bool = False) -> Link:
        """Many uprobes on one file in one link (BPF_TRACE_UPROBE_MULTI, Linux 6.6+).

        The program must be a kprobe program loaded with expected_attach_type
        BPF_TRACE_UPROBE_MULTI; ``pid`` (0: every process) filters; one refused site
        fails the whole link. Registration and teardown wait one grace period per link,
        not per site as uprobe perf events do.
        """
        cnt = len(offsets)
        name = ctypes.create_string_buffer(path.encode())
        offs = (ctypes.c_uint64 * cnt)(*offsets)
        cooks = (ctypes.c_uint64 * cnt)(*cookies)
        attr = A.LinkCreateAttr(prog_fd=prog_fd, attach_type=sc.BPF_TRACE_UPROBE_MULTI)
        um = attr.uprobe_multi
        um.path, um.offsets, um.cookies = A.addr(name), A.addr(offs), A.addr(cooks)
        um.cnt, um.pid = cnt, max(pid, 0)
        um.flags = sc.BPF_F_UPROBE_MULTI_RETURN if retprobe else 0
        fd = sc.bpf(sc.BPF_LINK_CREATE, attr, ctypes.sizeof(attr))
        return cls(fd, f"uprobe_multi {path} ({cnt} sites)")


    def __repr__(self) -> str:
        return f"Link(fd={self.fd}, {self.desc})"


def attach_perf_ioctl(perf_fd: int, prog_fd: int) -> None:
    """Attach without a link: PERF_EVENT_IOC_SET_BPF then PERF_EVENT_IOC_ENABLE.

    The attachment lives as long as the perf event fd; closing that fd detaches.
    """
    sc.ioctl(perf_fd, sc.PERF_EVENT_IOC_SET_BPF, prog_fd)
    sc.ioctl(perf_fd, sc.PERF_EVENT_IOC_ENABLE, 0)
