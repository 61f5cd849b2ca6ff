"""pydtrace.sys against the running kernel: maps, programs, links, perf events, ring buffer.

The BPF programs are assembled here from raw 8-byte instructions, so these tests depend
on nothing but pydtrace.sys.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time

import pytest

from pydtrace.errors import KernelError, VerifierError
from pydtrace.sys import features, inventory, tracefs
from pydtrace.sys import syscall as sc
from pydtrace.sys.links import Link, attach_perf_ioctl
from pydtrace.sys.maps import Map, possible_cpus
from pydtrace.sys.perf import PerfEvent, online_cpus
from pydtrace.sys.progs import Program
from pydtrace.sys.ringbuf import RingBuffer

# tests/conftest.py skips these ("kernel: ...") without root and a working bpf()
pytestmark = pytest.mark.kernel

# --- a few raw instructions (dst/src registers, off, imm as the kernel encodes them) -------


def insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def mov_imm(dst: int, imm: int) -> bytes:
    return insn(0xB7, dst, imm=imm)


def mov_reg(dst: int, src: int) -> bytes:
    return insn(0xBF, dst, src)


def add_imm(dst: int, imm: int) -> bytes:
    return insn(0x07, dst, imm=imm)


def ldx_dw(dst: int, src: int, off: int) -> bytes:
    return insn(0x79, dst, src, off)


def stx_dw(dst: int, off: int, src: int) -> bytes:
    return insn(0x7B, dst, src, off)


def ld_map_fd(dst: int, fd: int) -> bytes:
    # BPF_LD | BPF_IMM | BPF_DW with src BPF_PSEUDO_MAP_FD (1): two slots
    return insn(0x18, dst, 1, imm=fd) + insn(0)


def call(helper: int) -> bytes:
    return insn(0x85, imm=helper)


EXIT = insn(0x95)
RET0 = mov_imm(0, 0) + EXIT
KEY0 = b"\0\0\0\0"


def u64(b: bytes) -> int:
    return struct.unpack("<Q", b[:8])[0]


def count_prog(counter_fd: int, pid: int | None = None) -> bytes:
    """counter[0] += 1 (atomically), only for process ``pid`` when given."""
    head = b""
    if pid is not None:
        head = (call(14) + insn(0x77, 0, imm=32)      # r0 = tgid
                + insn(0x55, 0, off=10, imm=pid))     # if r0 != pid goto out
    body = (insn(0x62, 10, off=-4, imm=0)             # *(u32 *)(r10 - 4) = 0
            + ld_map_fd(1, counter_fd) + mov_reg(2, 10) + add_imm(2, -4)
            + call(1)                                 # r0 = map_lookup_elem(counter, &key)
            + insn(0x15, 0, off=2, imm=0)             # if r0 == 0 goto out
            + mov_imm(1, 1)
            + insn(0xDB, 0, 1, off=0, imm=0))         # lock *(u64 *)(r0 + 0) += r1
    return head + body + RET0


def counter_value(m: Map) -> int:
    value = m.lookup(KEY0)
    assert value is not None
    return u64(value)


# --- leak checks -----------------------------------------------------------------------------


@pytest.fixture
def no_leaks():
    """Fail when a test leaves BPF programs, maps or links behind after closing them."""
    fds = set(os.listdir("/proc/self/fd"))
    before = (inventory.bpf_prog_ids(), inventory.bpf_map_ids(), inventory.bpf_link_ids())
    yield
    assert set(os.listdir("/proc/self/fd")) <= fds, "leaked file descriptors"
    deadline = time.monotonic() + 3.0  # maps of a closed program go after an RCU period
    while True:
        after = (inventory.bpf_prog_ids(), inventory.bpf_map_ids(), inventory.bpf_link_ids())
        leaked = [a - b for a, b in zip(after, before, strict=True)]
        if not any(leaked) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert leaked == [set(), set(), set()], "leaked prog/map/link ids"


# --- maps ------------------------------------------------------------------------------------


def k32(i: int) -> bytes:
    return struct.pack("<I", i)


def test_hash_map_crud(no_leaks):
    with Map.create(sc.BPF_MAP_TYPE_HASH, 4, 8, 64, name="t_hash") as m:
        assert m.lookup(k32(1)) is None
        m.update(k32(1), struct.pack("<Q", 11))
        m.update(k32(2), struct.pack("<Q", 22))
        assert m.lookup(k32(1)) == struct.pack("<Q", 11)
        with pytest.raises(KernelError) as e:
            m.update(k32(1), struct.pack("<Q", 0), flags=sc.BPF_NOEXIST)
        assert e.value.errno == 17  # EEXIST
        assert sorted(m.keys()) == [k32(1), k32(2)]
        assert m.next_key(None) in (k32(1), k32(2))
        assert m.delete(k32(1)) is True
        assert m.delete(k32(1)) is False
        assert m.items() == [(k32(2), struct.pack("<Q", 22))]
        assert m.info().name == b"t_hash"


def test_hash_batch_many_entries(no_leaks):
    n = 3000  # more than one batch buffer
    with Map.create(sc.BPF_MAP_TYPE_HASH, 4, 8, 4096) as m:
        for i in range(n):
            m.update(k32(i), struct.pack("<Q", i * 7))
        items = m.lookup_batch()
        assert len(items) == n
        assert {struct.unpack("<I", k)[0]: u64(v) for k, v in items} == {
            i: i * 7 for i in range(n)}
        assert sorted(m._lookup_each()) == sorted(items)


def test_array_map(no_leaks):
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 4, 8) as m:
        m.update(k32(3), k32(33))
        assert m.lookup(k32(3)) == k32(33)
        assert m.lookup(k32(8)) is None  # out of range reads as absent
        items = m.items()
        assert len(items) == 8
        assert items[3] == (k32(3), k32(33))
        assert list(m.keys()) == [k32(i) for i in range(8)]


def test_percpu_hash(no_leaks):
    ncpu = possible_cpus()
    with Map.create(sc.BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 16) as m:
        assert m.value_buf_size == 8 * ncpu  # 4-byte values in 8-byte slots
        value = b"".join(struct.pack("<II", 100 + c, 0) for c in range(ncpu))
        m.update(k32(5), value)
        assert m.lookup(k32(5)) == value
        assert m.lookup_percpu(k32(5)) == [k32(100 + c) for c in range(ncpu)]
        assert m.items() == [(k32(5), value)]


def test_map_create_error_message():
    with pytest.raises(KernelError) as e:
        Map.create(sc.BPF_MAP_TYPE_HASH, 0, 8, 1)  # zero-sized keys are refused
    assert e.value.errno == 22
    assert str(e.value) == "bpf(BPF_MAP_CREATE) failed: Invalid argument"


def test_close_is_idempotent(no_leaks):
    m = Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 4, 1)
    m.close()
    m.close()
    assert m.fd == -1


# --- programs --------------------------------------------------------------------------------


def test_load_and_test_run(no_leaks):
    prog_bytes = ldx_dw(0, 1, 0) + EXIT  # return first raw-tracepoint argument
    with Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, prog_bytes, name="t_arg0") as p:
        assert p.test_run(ctx_in=struct.pack("<Q", 1234)) == 1234
        info = p.info()
        assert info.name == "t_arg0"
        assert info.type == sc.BPF_PROG_TYPE_RAW_TRACEPOINT
        assert len(info.tag) == 16 and info.id > 0
        assert info.id in inventory.bpf_prog_ids()


def test_test_run_on_cpu(no_leaks):
    prog_bytes = call(8) + EXIT  # bpf_get_smp_processor_id()
    with Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, prog_bytes) as p:
        for cpu in online_cpus():
            assert p.test_run(flags=sc.BPF_F_TEST_RUN_ON_CPU, cpu=cpu) == cpu


def test_verifier_error_has_log(no_leaks):
    with pytest.raises(VerifierError) as e:
        Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, EXIT, name="bad")  # r0 never set
    assert e.value.errno == 13  # EACCES
    assert "R0 !read_ok" in e.value.log
    assert "BPF_PROG_LOAD" in str(e.value)


# --- ring buffer -----------------------------------------------------------------------------


def ringbuf_output_prog(rb_fd: int) -> bytes:
    """bpf_ringbuf_output(rb, &{arg0, 0xabcd}, 16, 0)."""
    return (ldx_dw(6, 1, 0) + stx_dw(10, -16, 6) + mov_imm(7, 0xABCD) + stx_dw(10, -8, 7)
            + ld_map_fd(1, rb_fd) + mov_reg(2, 10) + add_imm(2, -16) + mov_imm(3, 16)
            + mov_imm(4, 0) + call(130) + RET0)


def ringbuf_reserve_prog(rb_fd: int) -> bytes:
    """Reserve 16 bytes, write {arg0, 0x1234}; submit even arg0, discard odd ones."""
    return (ldx_dw(6, 1, 0) + ld_map_fd(1, rb_fd) + mov_imm(2, 16) + mov_imm(3, 0)
            + call(131)                                   # r0 = ringbuf_reserve()
            + insn(0x15, 0, off=10, imm=0)                # if r0 == 0 goto out
            + stx_dw(0, 0, 6) + insn(0x7A, 0, off=8, imm=0x1234)
            + mov_reg(1, 0) + mov_imm(2, 0) + mov_reg(7, 6)
            + insn(0x57, 7, imm=1)                        # r7 &= 1
            + insn(0x55, 7, off=2, imm=0)                 # if r7 != 0 goto discard
            + call(132) + insn(0x05, off=1)               # submit; goto out
            + call(133)                                   # discard:
            + RET0)                                       # out:


def test_ringbuf_output_end_to_end(no_leaks):
    size = 32 * 1024
    with Map.create(sc.BPF_MAP_TYPE_RINGBUF, 0, 0, size, name="t_rb") as rb, \
            Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, ringbuf_output_prog(rb.fd)) as p, \
            RingBuffer(rb.fd, size) as ring:
        assert ring.poll(0) == 0
        seen: list[tuple[int, int]] = []
        for batch in range(3):  # 3 x 900 x 24 bytes wraps the 32 KiB ring
            for i in range(900):
                p.test_run(ctx_in=struct.pack("<Q", batch * 900 + i))
            assert ring.poll(1000) == 1
            n = ring.consume(lambda v: seen.append(struct.unpack("<QQ", v)))
            assert n == 900
        assert seen == [(i, 0xABCD) for i in range(2700)]
        assert ring.consume(lambda v: None) == 0
        assert ring.available() == 0


def test_ringbuf_reserve_discard(no_leaks):
    size = 16 * 1024
    with Map.create(sc.BPF_MAP_TYPE_RINGBUF, 0, 0, size) as rb, \
            Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, ringbuf_reserve_prog(rb.fd)) as p, \
            RingBuffer(rb.fd, size) as ring:
        out: list[bytes] = []
        for i in range(1000):  # 1000 x 24 bytes: wraps, with half of it discarded
            p.test_run(ctx_in=struct.pack("<Q", i))
            if i % 300 == 299:
                ring.consume_into(out)
        ring.consume_into(out)
        assert [struct.unpack("<QQ", r) for r in out] == [
            (i, 0x1234) for i in range(0, 1000, 2)]


def test_ringbuf_throughput(no_leaks):
    """The consumer keeps up with > 500k records/s (records made by a looping program)."""
    size = 4 * 1024 * 1024
    loop = (mov_imm(6, 0)
            + stx_dw(10, -8, 6) + ld_map_fd(1, 0) + mov_reg(2, 10) + add_imm(2, -8)
            + mov_imm(3, 8) + mov_imm(4, 0) + call(130)
            + add_imm(6, 1) + insn(0xA5, 6, off=-10, imm=1000)  # if r6 < 1000 goto loop
            + RET0)
    with Map.create(sc.BPF_MAP_TYPE_RINGBUF, 0, 0, size) as rb:
        code = loop.replace(ld_map_fd(1, 0), ld_map_fd(1, rb.fd))
        with Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, code) as p, \
                RingBuffer(rb.fd, size) as ring:
            p.test_run(repeat=200)
            total = [0]

            def add(view: memoryview) -> None:
                total[0] += view[0]

            start = time.perf_counter()
            n = ring.consume(add)
            rate = n / (time.perf_counter() - start)
    assert n == 200_000
    assert total[0] == 200 * sum(i & 0xFF for i in range(1000))
    print(f"ring buffer consumer: {rate:.0f} records/s")
    assert rate > 500_000, f"{rate:.0f} records/s"


# --- perf events and links -------------------------------------------------------------------


def test_tracepoint_link_counts_getppid(no_leaks):
    tp = tracefs.tracepoint_id("syscalls", "sys_enter_getppid")
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 8, 1) as counter, \
            Program.load(sc.BPF_PROG_TYPE_TRACEPOINT,
                         count_prog(counter.fd, os.getpid())) as prog, \
            PerfEvent.tracepoint(tp) as ev, Link.perf_event(prog.fd, ev.fd):
        for _ in range(100):
            os.getppid()
        assert counter_value(counter) == 100
    # after close nothing counts any more (the program is gone with its link)


def test_tracepoint_ioctl_attach(no_leaks):
    tp = tracefs.tracepoint_id("syscalls", "sys_enter_getppid")
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 8, 1) as counter, \
            Program.load(sc.BPF_PROG_TYPE_TRACEPOINT,
                         count_prog(counter.fd, os.getpid())) as prog, \
            PerfEvent.tracepoint(tp, disabled=True) as ev:
        attach_perf_ioctl(ev.fd, prog.fd)
        for _ in range(10):
            os.getppid()
        ev.close()  # closing the event is what detaches (disable does not, for tracepoints)
        os.getppid()
        assert counter_value(counter) == 10


def test_cpu_clock_with_cookie(no_leaks):
    # store bpf_get_attach_cookie(ctx) into value[0]
    code = (call(174) + stx_dw(10, -8, 0) + insn(0x62, 10, off=-12, imm=0)
            + ld_map_fd(1, 0) + mov_reg(2, 10) + add_imm(2, -12) + mov_reg(3, 10)
            + add_imm(3, -8) + mov_imm(4, 0) + call(2) + RET0)
    cookie = 0x1122334455667788
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 8, 1) as out:
        code = code.replace(ld_map_fd(1, 0), ld_map_fd(1, out.fd))
        with Program.load(sc.BPF_PROG_TYPE_PERF_EVENT, code) as prog, \
                PerfEvent.software_clock(0, period_ns=1_000_000) as ev, \
                Link.perf_event(prog.fd, ev.fd, cookie=cookie):
            deadline = time.monotonic() + 2
            while counter_value(out) == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert counter_value(out) == cookie


def test_cpu_clock_freq_mode(no_leaks):
    with PerfEvent.software_clock(0, freq_hz=99) as ev:
        ev.disable()
        ev.enable()
        assert ev.fd >= 0


UPROBE_C = r"""
#include <stdlib.h>
__attribute__((noinline)) int probe_me(int x) { __asm__ volatile(""); return x + 1; }
int main(int argc, char **argv) {
    int n = atoi(argv[1]), s = 0;
    for (int i = 0; i < n; i++) s += probe_me(i);
    return s == -1;
}
"""


def elf_symbol_offset(path: str, name: str) -> int:
    """File offset of a symbol of a 64-bit little-endian ELF (test-only symbol lookup)."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            st_name, _, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", data, off)
            start = strtab[4] + st_name
            if data[start:data.index(b"\0", start)] == name.encode():
                text = sections[shndx]
                return value - text[3] + text[4]  # - sh_addr + sh_offset
    raise LookupError(name)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build a uprobe target")
def test_uprobe_counts_calls(tmp_path, no_leaks):
    src = tmp_path / "target.c"
    src.write_text(UPROBE_C)
    exe = str(tmp_path / "target")
    subprocess.run(["gcc", "-O1", "-o", exe, str(src)], check=True)
    offset = elf_symbol_offset(exe, "probe_me")
    events_before = inventory.uprobe_events()
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 8, 1) as counter, \
            Program.load(sc.BPF_PROG_TYPE_KPROBE, count_prog(counter.fd)) as prog:
        with PerfEvent.uprobe(exe, offset) as ev, Link.perf_event(prog.fd, ev.fd):
            subprocess.run([exe, "7"], check=True)
            assert counter_value(counter) == 7
        with PerfEvent.uprobe(exe, offset, retprobe=True) as ev, Link.perf_event(prog.fd, ev.fd):
            subprocess.run([exe, "5"], check=True)
            assert counter_value(counter) == 12
        subprocess.run([exe, "3"], check=True)  # detached: no more counting
        assert counter_value(counter) == 12
    assert inventory.uprobe_events() == events_before  # PMU probes leave nothing in tracefs


def test_kprobe_unavailable_is_clear():
    if os.path.isdir("/sys/bus/event_source/devices/kprobe"):
        pytest.skip("this kernel has kprobes")
    with pytest.raises(KernelError, match="kprobes are not available on this kernel"):
        PerfEvent.kprobe("do_sys_openat2")
    assert inventory.kprobe_events() == []


def test_inventory_sees_objects_come_and_go():
    m = Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 4, 1)
    map_id = m.info().id
    assert map_id in inventory.bpf_map_ids()
    m.close()
    assert map_id not in inventory.bpf_map_ids()


def test_raw_tracepoint_link(no_leaks):
    with Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 8, 1) as counter, \
            Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT,
                         count_prog(counter.fd, os.getpid())) as prog:
        with Link.raw_tracepoint(prog.fd, "sys_enter") as link:
            assert link.fd >= 0
            for _ in range(50):
                os.getppid()
            assert counter_value(counter) >= 50
        seen = counter_value(counter)
        os.getppid()
        assert counter_value(counter) == seen  # detached on close


def test_tracing_link_needs_fentry(no_leaks):
    if features.have_fentry():
        pytest.skip("this kernel has fentry")
    with Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, RET0) as prog, \
            pytest.raises(KernelError, match="BPF_LINK_CREATE"):
        Link.tracing(prog)


def test_feature_probes():
    assert features.have_bpf() is features.Feature.OK
    assert features.have_ringbuf() is features.Feature.OK
    assert features.have_attach_cookie() is features.Feature.OK
    assert features.have_prog_test_run_raw_tp() is features.Feature.OK
    assert features.have_uprobes() is features.Feature.OK
    has_kprobe_pmu = os.path.isdir("/sys/bus/event_source/devices/kprobe")
    assert bool(features.have_kprobes()) == has_kprobe_pmu
    assert features.have_fentry() is not features.Feature.INCONCLUSIVE
    assert features.btf_func_id("bpf_fentry_test1") is not None


def test_tracefs_on_this_kernel():
    assert "syscalls" in tracefs.list_groups()
    assert "sys_enter_getppid" in tracefs.list_events("syscalls")
    assert tracefs.tracepoint_id("syscalls", "sys_enter_getppid") > 0
    assert "field:" in tracefs.tracepoint_format("sched", "sched_switch")
