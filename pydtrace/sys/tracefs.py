"""tracefs: where it is (mounting it when needed), tracepoint ids and formats, listings."""

from __future__ import annotations

import ctypes
import errno
import functools
import os

from pydtrace.errors import KernelError
from pydtrace.sys.syscall import libc

TRACEFS = "/sys/kernel/tracing"
DEBUGFS_TRACING = "/sys/kernel/debug/tracing"


def _has_events(root: str) -> bool:
    return os.path.isdir(os.path.join(root, "events"))


def _mount_tracefs(target: str) -> bool:
    """``mount -t tracefs nodev target`` through mount(2); True when it worked."""
    ret = libc.mount(b"nodev", target.encode(), b"tracefs", ctypes.c_ulong(0), None)
    return ret == 0


@functools.cache
def tracefs_root() -> str:
    """The tracefs mount point; mounts tracefs on /sys/kernel/tracing if it is not there."""
    if _has_events(TRACEFS):
        return TRACEFS
    if os.path.isdir(TRACEFS) and _mount_tracefs(TRACEFS) and _has_events(TRACEFS):
        return TRACEFS
    if _has_events(DEBUGFS_TRACING):
        return DEBUGFS_TRACING
    raise KernelError("tracefs is not mounted at /sys/kernel/tracing and could not be "
                      "mounted there", errno.ENOENT)


def tracefs_path(*parts: str) -> str:
    """A path under the tracefs root."""
    return os.path.join(tracefs_root(), *parts)


def _read_event_file(group: str, name: str, leaf: str) -> str:
    try:
        with open(tracefs_path("events", group, name, leaf)) as f:
            return f.read()
    except FileNotFoundError:
        raise KernelError(f"tracepoint {group}:{name} does not exist", errno.ENOENT) from None
    except OSError as e:
        raise KernelError(f"cannot read tracepoint {group}:{name}: {e.strerror}",
                          e.errno or 0) from None


def tracepoint_id(group: str, name: str) -> int:
    """The perf event id of tracepoint ``group:name`` (``events/G/N/id``)."""
    return int(_read_event_file(group, name, "id"))


def tracepoint_format(group: str, name: str) -> str:
    """The text of ``events/G/N/format`` (field names, offsets, sizes)."""
    return _read_event_file(group, name, "format")


def _subdirs(path: str) -> list[str]:
    try:
        with os.scandir(path) as it:
            return sorted(e.name for e in it if e.is_dir())
    except FileNotFoundError:
        return []


def list_groups() -> list[str]:
    """Tracepoint groups (``syscalls``, ``sched``, ...), sorted."""
    return _subdirs(tracefs_path("events"))


def list_events(group: str) -> list[str]:
    """Tracepoints of one group, sorted (empty for an unknown group)."""
    return _subdirs(tracefs_path("events", group))


def read_lines(name: str) -> list[str]:
    """Non-empty lines of a tracefs file (``uprobe_events``, ...); [] if it is absent."""
    try:
        with open(tracefs_path(name)) as f:
            return [line for line in f.read().splitlines() if line]
    except FileNotFoundError:
        return []


def available_filter_functions() -> list[str]:
    """Kernel functions ftrace can hook (the first word of each line), or KernelError."""
    try:
        with open(tracefs_path("available_filter_functions")) as f:
            return [line.split(None, 1)[0] for line in f if line.strip()]
    except OSError as e:
        raise KernelError(f"cannot read available_filter_functions: {e.strerror}",
                          e.errno or 0) from None
