"""Consumer-side speculative buffers: records of a speculative clause wait
here, per speculation id, until a commit record prints them (in their order,
at the commit's place in the output) or a discard record drops them."""

from __future__ import annotations

from dataclasses import dataclass

from pydtrace.codegen.layout import Field


@dataclass
class SpecEndAct:
    """``commit(id)`` (commit=True) or ``discard(id)``."""

    field: Field
    commit: bool

    def handler(self, printer):
        from pydtrace.consume.decoder import field_reader

        read = field_reader(self.field)
        bufs = buffers(printer)
        if self.commit:  # the id, plus id << 32 when the kernel left it busy
            return lambda mv: bufs.commit(read(mv))
        return lambda mv: bufs.discard(read(mv))


class SpecBuffers:
    def __init__(self, specsize: int, nspec: int) -> None:
        self.specsize = specsize
        self.nspec = nspec
        self.pending: dict[int, list] = {}
        self.used: dict[int, int] = {}
        self.drops = 0
        self.states: list | None = None  # the kernel's state words (mapped)

    def add(self, sid: int, data: bytes, handler, probe_id: int) -> None:
        if not 1 <= sid <= self.nspec:
            return  # speculate(0) or an invalid id: the data is dropped
        used = self.used.get(sid, 0) + len(data)
        if used > self.specsize:
            self.drops += 1
            return
        self.used[sid] = used
        self.pending.setdefault(sid, []).append((data, handler, probe_id))

    def commit(self, value: int) -> None:
        sid, busy = value & 0xFFFFFFFF, value >> 32
        self.used.pop(sid, None)
        for data, handler, probe_id in self.pending.pop(sid, []):
            handler(memoryview(data), probe_id)
        if busy and self.states is not None and 1 <= sid <= self.nspec:
            self.states[sid].value = 0  # printed: the buffer is free again

    def discard(self, sid: int) -> None:
        self.used.pop(sid, None)
        self.pending.pop(sid, None)


def buffers(printer) -> SpecBuffers:
    bufs = getattr(printer, "spec_buffers", None)
    if bufs is None:
        opts = printer.session.options
        bufs = SpecBuffers(int(opts["specsize"]), max(1, min(int(opts["nspec"]), 256)))
        bufs.states = map_states(printer.session, bufs.nspec)
        printer.spec_buffers = bufs
    return bufs


def map_states(session, nspec: int) -> list | None:
    """The ``specs`` map's words, mapped shared (8-byte aligned stores are atomic
    next to the kernel's compare-and-exchange on the other words)."""
    import ctypes
    import mmap

    m = getattr(session, "maps", {}).get("specs")
    if m is None:
        return None
    size = -(-(8 * (2 * nspec + 2)) // mmap.PAGESIZE) * mmap.PAGESIZE
    mm = mmap.mmap(m.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    words = [ctypes.c_uint64.from_buffer(mm, 8 * i) for i in range(nspec + 2)]

    def unmap() -> None:
        words.clear()
        mm.close()
    session.stack.callback(unmap)
    return words


def wrap_speculative(printer, info, inner):
    """The handler of a clause that called speculate(): buffer, don't print."""
    from pydtrace.consume.decoder import field_reader

    read = field_reader(info.spec_field)
    bufs = buffers(printer)

    def handler(mv: memoryview, probe_id: int) -> None:
        bufs.add(read(mv), bytes(mv), inner, probe_id)
    return handler


def report_drops(session, seen: dict) -> None:
    """``N speculative drops``, ``N failed speculations (available buffer(s) still
    busy)`` and ``N failed speculations (no speculative buffer available)``, each
    reported once per new count."""
    from pydtrace.output.records import drop_message

    droptags = bool(session.options.get("droptags", False))
    printer = getattr(session, "printer", None)
    counts = []
    bufs = getattr(printer, "spec_buffers", None) if printer is not None else None
    if bufs is not None:
        counts.append(("spec", bufs.drops))
    m = session.maps.get("specs")
    if m is not None:
        raw = m.lookup(b"\0\0\0\0") or b""
        nspec = len(raw) // 16 - 1
        counts.append(("specbusy", int.from_bytes(raw[8 * (nspec + 1):8 * (nspec + 2)],
                                                  "little")))
        counts.append(("specunavail", int.from_bytes(raw[:8], "little")))
    for kind, total in counts:
        new = total - seen.get(kind, 0)
        if new > 0:
            seen[kind] = total
            session.flush()
            session.err.write("dtrace: " + drop_message(kind, new, None, droptags))
            session.err.flush()
