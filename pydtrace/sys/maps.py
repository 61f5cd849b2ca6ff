"""BPF maps: :class:`Map` owns a map fd and reads/writes elements through ``bpf(2)``.

Keys and values cross the boundary as ``bytes``; record layouts are the caller's business.
Per-CPU maps hold one value slot per *possible* CPU, each rounded up to 8 bytes: a lookup
returns that whole buffer (``lookup``) or its slots (``lookup_percpu``).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
from collections.abc import Iterator

from pydtrace.errors import KernelError
from pydtrace.sys import attr as A
from pydtrace.sys import syscall as sc
from pydtrace.sys.fd import FdOwner

# errnos meaning "this kernel/map type has no batch ops": fall back to one-by-one reads
_NO_BATCH = frozenset({errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, sc.ENOTSUPP,
                       errno.ENOSYS})
_BATCH_START = 256


@functools.cache
def possible_cpus() -> int:
    """Number of possible CPUs (``/sys/devices/system/cpu/possible``): per-CPU slot count."""
    from pydtrace.sys.perf import _cpu_list

    return len(_cpu_list("/sys/devices/system/cpu/possible"))


def _round8(n: int) -> int:
    return (n + 7) & ~7


def sanitize_name(name: str) -> bytes:
    """An object name the kernel accepts: [A-Za-z0-9_.], at most 15 bytes."""
    return re.sub(r"[^A-Za-z0-9_.]", "_", name)[:15].encode()


class Map(FdOwner):
    """An open BPF map; a context manager; ``close()`` is idempotent."""

    def __init__(self, fd: int, map_type: int, key_size: int, value_size: int,
                 max_entries: int, name: str = "") -> None:
        self.fd = fd
        self.map_type = map_type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.name = name
        self.percpu = map_type in sc.PERCPU_MAP_TYPES
        # bytes a lookup returns: one 8-aligned slot per possible CPU for per-CPU maps
        self.value_buf_size = (_round8(value_size) * possible_cpus() if self.percpu
                               else value_size)
        self._key = ctypes.create_string_buffer(max(key_size, 1))
        self._next = ctypes.create_string_buffer(max(key_size, 1))
        self._value = ctypes.create_string_buffer(max(self.value_buf_size, 1))
        self._elem = A.MapElemAttr(map_fd=fd, key=A.addr(self._key))

    @classmethod
    def create(cls, map_type: int, key_size: int, value_size: int, max_entries: int,
               name: str = "", flags: int = 0) -> Map:
        """Create a map (BPF_MAP_CREATE)."""
        attr = A.MapCreateAttr(map_type=map_type, key_size=key_size, value_size=value_size,
                               max_entries=max_entries, map_flags=flags,
                               map_name=sanitize_name(name))
        fd = sc.bpf(sc.BPF_MAP_CREATE, attr, ctypes.sizeof(attr))
        return cls(fd, map_type, key_size, value_size, max_entries, name)

    # --- single elements -------------------------------------------------------------------

    def _set_key(self, key: bytes) -> None:
        if len(key) != self.key_size:
            raise ValueError(f"map {self.name!r}: key is {len(key)} bytes, "
                             f"want {self.key_size}")
        ctypes.memmove(self._key, key, self.key_size)

    def _elem_call(self, cmd: int, value: int, flags: int = 0) -> int:
        elem = self._elem
        elem.key = A.addr(self._key)
        elem.value = value
        elem.flags = flags
        return sc.bpf_errno(cmd, elem, ctypes.sizeof(elem))

    def _raise(self, cmd: int, err: int) -> None:
        what = sc.BPF_CMD_NAMES.get(cmd, str(cmd))
        raise KernelError(f"bpf({what}) failed on map {self.name!r}: "
                          f"{os.strerror(err)}", err)

    def lookup(self, key: bytes) -> bytes | None:
        """The value under ``key`` (whole per-CPU buffer for per-CPU maps), or None."""
        self._set_key(key)
        ret = self._elem_call(sc.BPF_MAP_LOOKUP_ELEM, A.addr(self._value))
        if ret == -errno.ENOENT:
            return None
        if ret < 0:
            self._raise(sc.BPF_MAP_LOOKUP_ELEM, -ret)
        return self._value.raw[:self.value_buf_size]

    def lookup_percpu(self, key: bytes) -> list[bytes] | None:
        """One ``value_size`` slice per possible CPU, or None when the key is absent."""
        buf = self.lookup(key)
        return None if buf is None else self.split_percpu(buf)

    def split_percpu(self, buf: bytes) -> list[bytes]:
        """Cut a per-CPU value buffer into its per-CPU values."""
        step, size = _round8(self.value_size), self.value_size
        return [buf[i:i + size] for i in range(0, len(buf), step)]

    def update(self, key: bytes, value: bytes, flags: int = sc.BPF_ANY) -> None:
        """Store ``value`` under ``key`` (per-CPU maps take the whole per-CPU buffer)."""
        if len(value) != self.value_buf_size:
            raise ValueError(f"map {self.name!r}: value is {len(value)} bytes, "
                             f"want {self.value_buf_size}")
        self._set_key(key)
        ctypes.memmove(self._value, value, len(value))
        ret = self._elem_call(sc.BPF_MAP_UPDATE_ELEM, A.addr(self._value), flags)
        if ret < 0:
            self._raise(sc.BPF_MAP_UPDATE_ELEM, -ret)

    def delete(self, key: bytes) -> bool:
        """Delete ``key``; False when it was not there."""
        self._set_key(key)
        ret = self._elem_call(sc.BPF_MAP_DELETE_ELEM, 0)
        if ret == -errno.ENOENT:
            return False
        if ret < 0:
            self._raise(sc.BPF_MAP_DELETE_ELEM, -ret)
        return True

    def next_key(self, key: bytes | None) -> bytes | None:
        """The key after ``key`` (the first key for None), or None at the end."""
        if key is None:
            self._elem.key = 0  # a NULL key asks for the first one
            self._elem.value = A.addr(self._next)
            self._elem.flags = 0  # GET_NEXT_KEY wants everything past next_key zeroed
            ret = sc.bpf_errno(sc.BPF_MAP_GET_NEXT_KEY, self._elem, ctypes.sizeof(self._elem))
        else:
            self._set_key(key)
            ret = self._elem_call(sc.BPF_MAP_GET_NEXT_KEY, A.addr(self._next))
        if ret == -errno.ENOENT:
            return None
        if ret < 0:
            self._raise(sc.BPF_MAP_GET_NEXT_KEY, -ret)
        return self._next.raw[:self.key_size]

    def keys(self) -> Iterator[bytes]:
        """Iterate over the keys (a deleted current key restarts at the first, as in BPF)."""
        key = self.next_key(None)
        while key is not None:
            yield key
            key = self.next_key(key)

    # --- whole-map reads -------------------------------------------------------------------

    def items(self) -> list[tuple[bytes, bytes]]:
        """All (key, value) pairs, batched when the kernel can."""
        return self.lookup_batch()

    def lookup_batch(self) -> list[tuple[bytes, bytes]]:
        """All (key, value) pairs via BPF_MAP_LOOKUP_BATCH (Linux 5.6+), else one by one."""
        try:
            return self._lookup_batch()
        except KernelError as e:
            if e.errno not in _NO_BATCH:
                raise
        return self._lookup_each()

    def _lookup_each(self) -> list[tuple[bytes, bytes]]:
        out = []
        for key in self.keys():
            value = self.lookup(key)
            if value is not None:  # deleted meanwhile
                out.append((key, value))
        return out

    def _lookup_batch(self) -> list[tuple[bytes, bytes]]:
        batch = _Batch(self, min(_BATCH_START, max(self.max_entries, 1)))
        out: list[tuple[bytes, bytes]] = []
        while True:
            ret = batch.call(first=not batch.started)
            if ret == -errno.ENOSPC and batch.attr.count == 0:
                batch.grow()  # one hash bucket holds more than the buffer: retry bigger
                continue
            if ret < 0 and ret != -errno.ENOENT:
                raise KernelError(f"bpf(BPF_MAP_LOOKUP_BATCH) failed on map {self.name!r}: "
                                  f"{os.strerror(-ret)}", -ret)
            out.extend(batch.results())
            if ret == -errno.ENOENT:  # end of map reached
                return out
            batch.advance()

    def freeze(self) -> None:
        """Make the map read-only for user space (BPF_MAP_FREEZE, Linux 5.2+)."""
        attr = A.MapElemAttr(map_fd=self.fd)
        sc.bpf(sc.BPF_MAP_FREEZE, attr, 4)

    def info(self) -> A.MapInfo:
        """``struct bpf_map_info`` of this map (id, type, sizes, name)."""
        info = A.MapInfo()
        attr = A.InfoAttr(bpf_fd=self.fd, info_len=ctypes.sizeof(info), info=A.addr(info))
        sc.bpf(sc.BPF_OBJ_GET_INFO_BY_FD, attr, ctypes.sizeof(attr))
        return info

    # --- lifetime --------------------------------------------------------------------------


    def __repr__(self) -> str:
        return (f"Map(fd={self.fd}, type={self.map_type}, name={self.name!r}, "
                f"key_size={self.key_size}, value_size={self.value_size})")


class _Batch:
    """Buffers and attr of one BPF_MAP_LOOKUP_BATCH walk.

    The batch token (in_batch/out_batch) is opaque: a bucket index for hash maps, a key for
    arrays; a key-sized (at least 8 bytes) buffer holds either.
    """

    def __init__(self, m: Map, count: int) -> None:
        self.map = m
        token = max(m.key_size, 8)
        self.in_batch = ctypes.create_string_buffer(token)
        self.out_batch = ctypes.create_string_buffer(token)
        self.started = False
        self._alloc(count)

    def _alloc(self, count: int) -> None:
        self.capacity = count
        self.keys = ctypes.create_string_buffer(count * self.map.key_size)
        self.values = ctypes.create_string_buffer(count * self.map.value_buf_size)
        self.attr = A.MapBatchAttr(map_fd=self.map.fd, keys=A.addr(self.keys),
                                   values=A.addr(self.values),
                                   out_batch=A.addr(self.out_batch))

    def grow(self) -> None:
        self._alloc(self.capacity * 2)

    def call(self, first: bool) -> int:
        self.attr.count = self.capacity
        self.attr.in_batch = 0 if first else A.addr(self.in_batch)
        return sc.bpf_errno(sc.BPF_MAP_LOOKUP_BATCH, self.attr, ctypes.sizeof(self.attr))

    def advance(self) -> None:
        ctypes.memmove(self.in_batch, self.out_batch, len(self.out_batch))
        self.started = True

    def results(self) -> list[tuple[bytes, bytes]]:
        n, ks, vs = self.attr.count, self.map.key_size, self.map.value_buf_size
        keys, values = self.keys.raw[:n * ks], self.values.raw[:n * vs]
        return [(keys[i * ks:(i + 1) * ks], values[i * vs:(i + 1) * vs]) for i in range(n)]
