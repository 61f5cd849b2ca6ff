"""What the kernel holds right now: BPF object ids and tracefs probe definitions.

For leak tests: take a snapshot before, run, close, compare.
"""

from __future__ import annotations

import ctypes
import errno
import os

from pydtrace.errors import KernelError
from pydtrace.sys import attr as A
from pydtrace.sys import syscall as sc
from pydtrace.sys import tracefs


def _ids(cmd: int) -> set[int]:
    """Walk one BPF_*_GET_NEXT_ID chain (ENOENT ends it)."""
    attr = A.GetIdAttr()
    ids: set[int] = set()
    while True:
        ret = sc.bpf_errno(cmd, attr, ctypes.sizeof(attr))
        if ret == -errno.ENOENT:
            return ids
        if ret < 0:
            raise KernelError(f"bpf({sc.BPF_CMD_NAMES[cmd]}) failed: {os.strerror(-ret)}", -ret)
        ids.add(attr.next_id)
        attr.start_id = attr.next_id


def bpf_prog_ids() -> set[int]:
    """Ids of every loaded BPF program."""
    return _ids(sc.BPF_PROG_GET_NEXT_ID)


def bpf_map_ids() -> set[int]:
    """Ids of every BPF map."""
    return _ids(sc.BPF_MAP_GET_NEXT_ID)


def bpf_link_ids() -> set[int]:
    """Ids of every BPF link."""
    return _ids(sc.BPF_LINK_GET_NEXT_ID)


def uprobe_events() -> list[str]:
    """Lines of tracefs ``uprobe_events`` (probes defined through tracefs)."""
    return tracefs.read_lines("uprobe_events")


def kprobe_events() -> list[str]:
    """Lines of tracefs ``kprobe_events`` ([] on kernels without kprobes)."""
    return tracefs.read_lines("kprobe_events")
