"""RingBuffer's record protocol on a fake ring made of a memfd (no BPF needed).

The memfd mimics the map's mmap layout: consumer page, producer page, then the data area
written twice (the kernel maps the same pages twice; we copy every write into both).
"""

from __future__ import annotations

import mmap
import os
import struct
import types

import pytest

from pydtrace.sys import ringbuf
from pydtrace.sys.ringbuf import BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, RingBuffer

PAGE = mmap.PAGESIZE
SIZE = PAGE  # smallest legal ring


class FakeEpoll:
    def register(self, fd: int, events: int) -> None:
        self.fd = fd

    def poll(self, timeout: float, maxevents: int) -> list:
        return [(self.fd, 1)]

    def fileno(self) -> int:
        return -1

    def close(self) -> None:
        pass


class FakeRing:
    """Producer side: writes records and producer_pos the way the kernel does."""

    def __init__(self) -> None:
        self.fd = os.memfd_create("fake-ringbuf")
        os.ftruncate(self.fd, 2 * PAGE + 2 * SIZE)
        self.prod = 0

    def put(self, pos: int, data: bytes) -> None:
        for i, b in enumerate(data):
            at = (pos + i) % SIZE
            os.pwrite(self.fd, bytes([b]), 2 * PAGE + at)
            os.pwrite(self.fd, bytes([b]), 2 * PAGE + SIZE + at)

    def record(self, payload: bytes, flags: int = 0, publish: bool = True) -> int:
        pos = self.prod
        self.put(pos, struct.pack("<II", len(payload) | flags, 0) + payload)
        self.prod += (len(payload) + 8 + 7) & ~7
        if publish:
            self.publish()
        return pos

    def publish(self) -> None:
        os.pwrite(self.fd, struct.pack("<Q", self.prod), PAGE)

    def consumer_pos(self) -> int:
        return struct.unpack("<Q", os.pread(self.fd, 8, 0))[0]


@pytest.fixture
def ring(monkeypatch):
    monkeypatch.setattr(ringbuf, "select",
                        types.SimpleNamespace(epoll=FakeEpoll, EPOLLIN=1))
    fake = FakeRing()
    rb = RingBuffer(fake.fd, SIZE)
    yield fake, rb
    rb.close()
    os.close(fake.fd)


def collect(rb: RingBuffer) -> list[bytes]:
    out: list[bytes] = []
    rb.consume(lambda v: out.append(bytes(v)))
    return out


def test_records_in_order_and_consumer_pos(ring):
    fake, rb = ring
    fake.record(b"abc")
    fake.record(b"12345678")
    assert rb.poll(0) == 1
    assert collect(rb) == [b"abc", b"12345678"]
    assert fake.consumer_pos() == 16 + 16  # round_up(3 + 8, 8) + round_up(8 + 8, 8)
    assert collect(rb) == []


def test_discarded_records_are_skipped(ring):
    fake, rb = ring
    fake.record(b"keep1")
    fake.record(b"drop", BPF_RINGBUF_DISCARD_BIT)
    fake.record(b"keep2")
    assert collect(rb) == [b"keep1", b"keep2"]
    assert fake.consumer_pos() == fake.prod


def test_busy_record_stops_consumption(ring):
    fake, rb = ring
    fake.record(b"one")
    busy = fake.record(b"two", BPF_RINGBUF_BUSY_BIT)
    fake.record(b"three")
    assert collect(rb) == [b"one"]
    assert fake.consumer_pos() == busy  # stopped right before the busy record
    fake.put(busy, struct.pack("<I", 3))  # commit it
    assert collect(rb) == [b"two", b"three"]


def test_wrapping_record_is_contiguous(ring):
    fake, rb = ring
    filler = b"x" * (SIZE - 8 - 8 - 8)  # leaves 8 bytes before the end of the data area
    fake.record(filler)
    assert collect(rb) == [filler]
    payload = bytes(range(40))  # header fits, payload wraps around the end
    fake.record(payload)
    assert collect(rb) == [payload]


def test_unpublished_records_wait(ring):
    fake, rb = ring
    fake.record(b"later", publish=False)
    assert collect(rb) == []
    fake.publish()
    assert collect(rb) == [b"later"]


def test_iter_records_break_keeps_position(ring):
    fake, rb = ring
    for i in range(5):
        fake.record(bytes([i]) * 4)
    for _ in rb.iter_records():
        break  # take one record
    assert fake.consumer_pos() == 16
    out: list[bytes] = []
    assert rb.consume_into(out) == 4
    assert out == [bytes([i]) * 4 for i in range(1, 5)]


def test_callback_error_consumes_up_to_it(ring):
    fake, rb = ring
    for i in range(3):
        fake.record(bytes([i]))

    def boom(view: memoryview) -> None:
        if view[0] == 1:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        rb.consume(boom)
    assert fake.consumer_pos() == 32  # records 0 and 1 consumed
    assert collect(rb) == [b"\x02"]


def test_size_must_be_power_of_two():
    with pytest.raises(ValueError):
        RingBuffer(-1, 3 * PAGE)


def test_close_is_idempotent(ring):
    _, rb = ring
    rb.close()
    rb.close()
