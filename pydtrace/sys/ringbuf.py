"""User-space consumer of a ``BPF_MAP_TYPE_RINGBUF`` map (Linux 5.8+).

Memory layout of the map fd, as ``kernel/bpf/ringbuf.c`` lets us mmap it::

    file offset: 0          page        2*page              2*page+size       2*page+2*size
                 +----------+-----------+-------------------+------------------+
                 | consumer | producer  | data [0, size)    | data [0, size)   |
                 | page     | page      |                   | (same pages      |
                 |          |           |                   |  mapped again)   |
                 +----------+-----------+-------------------+------------------+
                  ^ u64 consumer_pos (we write: RW map)
                             ^ u64 producer_pos (kernel writes; RO map of page+2*size)

Positions only grow; a record starts at ``data[pos & (size - 1)]``. Because the data pages
are mapped twice back to back, a record that wraps the end is still contiguous: a
memoryview of ``len`` bytes never needs two pieces.

Each record::

    +---------------------------------+------------------+----------------------+
    | u32 len | BUSY (1<<31)          | u32 pg_off       | sample (len bytes)   | pad to 8
    |         | DISCARD (1<<30)       | (kernel's own)   |                      |
    +---------------------------------+------------------+----------------------+

BUSY: reserved but not yet committed (stop there; records after it may be ready but must
be consumed in order). DISCARD: committed as dropped (skip it). The consumer advances by
``round_up(len + 8, 8)`` and publishes ``consumer_pos`` so the producer may reuse the space.

Memory ordering: libbpf reads ``producer_pos`` and each header ``len`` with acquire loads
and stores ``consumer_pos`` with a release store. On x86-64 (TSO) every plain load is an
acquire and every plain store a release, and the CPython interpreter performs our
``unpack_from``/``pack_into`` calls strictly in program order, so plain accesses through
the mmap give the same guarantees there. (Weakly ordered CPUs would need real barriers.)
"""

from __future__ import annotations

import contextlib
import mmap
import select
import struct
from collections.abc import Callable, Iterator

BPF_RINGBUF_BUSY_BIT = 1 << 31
BPF_RINGBUF_DISCARD_BIT = 1 << 30
BPF_RINGBUF_HDR_SZ = 8
_LEN_MASK = ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) & 0xFFFFFFFF

_U32 = struct.Struct("<I")
Batch = Callable[[memoryview, int, int], int]
_U64 = struct.Struct("<Q")


class RingBuffer:
    """Reads records from one ring buffer map; a context manager; ``close()`` idempotent.

    ``size`` is the map's ``max_entries`` (a power-of-two multiple of the page size).
    The map fd stays owned by the caller (mmap keeps its own reference to the map).
    """

    def __init__(self, map_fd: int, size: int) -> None:
        if size <= 0 or size & (size - 1):
            raise ValueError(f"ring buffer size {size} is not a power of two")
        page = mmap.PAGESIZE
        self.size = size
        self._mask = size - 1
        self._base = page  # the data area starts one page into the producer mapping
        self._cons_map = mmap.mmap(map_fd, page, mmap.MAP_SHARED,
                                   mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
        self._prod_map = mmap.mmap(map_fd, page + 2 * size, mmap.MAP_SHARED,
                                   mmap.PROT_READ, offset=page)
        self._view = memoryview(self._prod_map)
        self._cons = _U64.unpack_from(self._cons_map, 0)[0]
        self._epoll = select.epoll()
        self._epoll.register(map_fd, select.EPOLLIN)

    @property
    def epoll_fd(self) -> int:
        """The epoll fd, readable when records are ready (to nest in another poll loop)."""
        return self._epoll.fileno()

    def poll(self, timeout_ms: int) -> int:
        """Wait up to ``timeout_ms`` (-1: forever) for data; return the ready event count.

        ``epoll.poll`` retries on EINTR itself (PEP 475), with the remaining timeout.
        """
        timeout = -1 if timeout_ms < 0 else timeout_ms / 1000
        return len(self._epoll.poll(timeout, 1))

    def producer_pos(self) -> int:
        """The producer position (acquire load: see the module docstring)."""
        return _U64.unpack_from(self._prod_map, 0)[0]

    def available(self) -> int:
        """Bytes published by the producer and not yet consumed."""
        return self.producer_pos() - self._cons

    def _publish(self, cons: int) -> None:
        """Store consumer_pos (release store) so the producer can reuse the space."""
        self._cons = cons
        _U64.pack_into(self._cons_map, 0, cons)

    def consume(self, callback: Callable[[memoryview], object],
                batch: Batch | None = None) -> int:
        """Hand every ready record to ``callback`` as a memoryview; return how many
        went there (records a ``batch`` took are not counted).

        The view points into the ring: it is valid only during the callback (copy what
        you keep). If the callback raises, that record and those before it stay consumed.
        """
        records = self.iter_records(batch)
        n = 0
        try:
            for view in records:
                callback(view)
                n += 1
        finally:
            records.close()  # publish consumer_pos now, not whenever the generator dies
        return n

    def consume_into(self, out: list[bytes]) -> int:
        """Append a ``bytes`` copy of every ready record to ``out``; return how many."""
        before = len(out)
        out.extend(map(bytes, self.iter_records()))
        return len(out) - before

    def iter_records(self, batch: Batch | None = None) -> Iterator[memoryview]:
        """Yield every ready record (memoryviews into the ring), consuming as it goes.

        consumer_pos is published after each run of records the producer had published
        when we looked, and when the iteration stops early (break, exception, close()).
        ``batch(view, start, end)`` is first offered the ready bytes ``[start, end)``;
        it may take a prefix of whole records and returns where it stopped (``start``
        when it took nothing): a consumer decodes runs of same-shaped records in bulk.
        """
        view, base, mask, unpack = self._view, self._base, self._mask, _U32.unpack_from
        prod_map = self._prod_map
        cons = self._cons
        try:
            while True:
                prod = _U64.unpack_from(prod_map, 0)[0]
                if cons >= prod:
                    return
                while cons < prod:
                    off = base + (cons & mask)
                    if batch is not None:
                        stop = batch(view, off, off + (prod - cons))
                        if stop > off:
                            cons += stop - off
                            continue
                    hdr = unpack(prod_map, off)[0]
                    if hdr & BPF_RINGBUF_BUSY_BIT:
                        return  # not committed yet: later records must wait for it
                    length = hdr & _LEN_MASK
                    cons += (length + BPF_RINGBUF_HDR_SZ + 7) & ~7
                    if not hdr & BPF_RINGBUF_DISCARD_BIT:
                        start = off + BPF_RINGBUF_HDR_SZ
                        yield view[start:start + length]
                self._publish(cons)
        finally:
            self._publish(cons)

    def close(self) -> None:
        """Unmap the ring and close the epoll fd (idempotent)."""
        if self._epoll is None:
            return
        self._epoll.close()
        self._epoll = None
        self._view.release()
        for m in (self._cons_map, self._prod_map):
            with contextlib.suppress(BufferError):  # a view is still held: unmapped when freed
                m.close()

    def __enter__(self) -> RingBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_epoll", None) is not None:
            self.close()
