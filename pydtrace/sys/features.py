"""Kernel feature probes: try the feature, never compare version numbers.

Each probe runs once per process (``functools.cache``) and answers OK, UNSUPPORTED or
INCONCLUSIVE (could not tell, e.g. no permission). The probe programs are assembled here
by hand, so this module does not depend on the assembler.
"""

from __future__ import annotations

import enum
import errno
import functools
import os
import struct

from pydtrace.errors import KernelError
from pydtrace.sys import syscall as sc
from pydtrace.sys.links import Link
from pydtrace.sys.maps import Map
from pydtrace.sys.perf import PMU_ROOT
from pydtrace.sys.progs import Program


class Feature(enum.Enum):
    """Answer of a feature probe."""

    OK = "ok"
    UNSUPPORTED = "unsupported"
    INCONCLUSIVE = "inconclusive"

    def __bool__(self) -> bool:
        return self is Feature.OK


# errnos by which the kernel says "I don't know this": anything else is inconclusive
_UNSUPPORTED_ERRNOS = frozenset({errno.EINVAL, errno.E2BIG, errno.ENOTSUP, errno.EOPNOTSUPP,
                                 sc.ENOTSUPP, errno.ENOSYS, errno.ENOENT, errno.ENODEV,
                                 errno.ESRCH})


def _insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One raw 8-byte BPF instruction."""
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


MOV64_IMM = 0xB7  # ALU64 | MOV | K
CALL = 0x85       # JMP | CALL
EXIT = 0x95       # JMP | EXIT
RETURN_0 = _insn(MOV64_IMM, 0, imm=0) + _insn(EXIT)
BPF_FUNC_get_attach_cookie = 174


def _verdict(e: KernelError) -> Feature:
    return Feature.UNSUPPORTED if e.errno in _UNSUPPORTED_ERRNOS else Feature.INCONCLUSIVE


def _try_load(prog_type: int, insns: bytes, **kw: int) -> Feature:
    try:
        Program.load(prog_type, insns, name="probe", log_level=0, **kw).close()
    except KernelError as e:
        return _verdict(e)
    return Feature.OK


@functools.cache
def have_bpf() -> Feature:
    """Can this process create a BPF map at all (root / CAP_BPF)?"""
    try:
        Map.create(sc.BPF_MAP_TYPE_ARRAY, 4, 4, 1, name="probe").close()
    except KernelError as e:
        if e.errno == errno.EPERM:
            return Feature.UNSUPPORTED
        return _verdict(e)
    return Feature.OK


@functools.cache
def have_ringbuf() -> Feature:
    """BPF_MAP_TYPE_RINGBUF (Linux 5.8+)."""
    try:
        Map.create(sc.BPF_MAP_TYPE_RINGBUF, 0, 0, os.sysconf("SC_PAGE_SIZE"),
                   name="probe").close()
    except KernelError as e:
        return _verdict(e)
    return Feature.OK


@functools.cache
def have_attach_cookie() -> Feature:
    """``bpf_get_attach_cookie()`` for tracing programs (Linux 5.15+)."""
    insns = _insn(CALL, imm=BPF_FUNC_get_attach_cookie) + RETURN_0
    return _try_load(sc.BPF_PROG_TYPE_TRACEPOINT, insns)


@functools.cache
def have_prog_test_run_raw_tp() -> Feature:
    """BPF_PROG_TEST_RUN of raw-tracepoint programs (Linux 5.10+): BEGIN/END probes."""
    insns = _insn(MOV64_IMM, 0, imm=42) + _insn(EXIT)
    try:
        with Program.load(sc.BPF_PROG_TYPE_RAW_TRACEPOINT, insns, name="probe") as prog:
            return Feature.OK if prog.test_run() == 42 else Feature.INCONCLUSIVE
    except KernelError as e:
        return _verdict(e)


@functools.cache
def have_kprobes() -> Feature:
    """The ``kprobe`` perf PMU (Linux 4.17+): fd-based kprobes."""
    return Feature.OK if os.path.isdir(f"{PMU_ROOT}/kprobe") else Feature.UNSUPPORTED


@functools.cache
def have_uprobes() -> Feature:
    """The ``uprobe`` perf PMU (Linux 4.17+): fd-based uprobes."""
    return Feature.OK if os.path.isdir(f"{PMU_ROOT}/uprobe") else Feature.UNSUPPORTED


@functools.cache
def have_uprobe_multi() -> Feature:
    """uprobe_multi links (Linux 6.6+): a link on ``/`` (not a regular file) is refused
    with EBADF only by kernels that know the attach type; nothing gets registered."""
    try:
        with Program.load(sc.BPF_PROG_TYPE_KPROBE, RETURN_0, name="probe", log_level=0,
                          expected_attach_type=sc.BPF_TRACE_UPROBE_MULTI) as prog:
            Link.uprobe_multi(prog.fd, "/", [0], [0]).close()
    except KernelError as e:
        return Feature.OK if e.errno == errno.EBADF else _verdict(e)
    return Feature.INCONCLUSIVE


@functools.cache
def have_fentry() -> Feature:
    """fentry programs: load one on ``bpf_fentry_test1`` and attach it for a moment.

    Loading alone is not enough: kernels without ftrace direct calls verify the program
    but refuse the trampoline at attach time.
    """
    try:
        btf_id = btf_func_id("bpf_fentry_test1")
    except OSError:
        return Feature.UNSUPPORTED  # no kernel BTF, no fentry
    if btf_id is None:
        return Feature.INCONCLUSIVE
    try:
        with Program.load(sc.BPF_PROG_TYPE_TRACING, RETURN_0, name="probe",
                          expected_attach_type=sc.BPF_TRACE_FENTRY, log_level=0,
                          attach_btf_id=btf_id) as prog, Link.tracing(prog):
            return Feature.OK
    except KernelError as e:
        if e.errno == errno.EPERM and have_bpf():
            # we may load other programs, so the refusal is about fentry itself (seen on
            # kernels built without fentry support)
            return Feature.UNSUPPORTED
        return _verdict(e)


# --- a minimal BTF walk, just enough to find one function's type id ------------------------

BTF_MAGIC = 0xEB9F
BTF_KIND_FUNC = 12
# bytes that follow the 12-byte btf_type, per kind: (fixed, per vlen member)
_BTF_EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8),
              14: (4, 0), 15: (0, 12), 17: (4, 0), 19: (0, 12)}


def btf_func_id(name: str, path: str = "/sys/kernel/btf/vmlinux") -> int | None:
    """Type id of the BTF FUNC called ``name`` in ``path``, or None (OSError if no BTF)."""
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from("<HBBIIIII",
                                                                              data)
    if magic != BTF_MAGIC:
        return None
    strings = hdr_len + str_off
    at = data.find(b"\0" + name.encode() + b"\0", strings)
    if at < 0:
        return None
    return _find_func(data, hdr_len + type_off, type_len, at + 1 - strings)


def _find_func(data: bytes, start: int, length: int, name_off: int) -> int | None:
    pos, end, type_id = start, start + length, 1
    unpack = struct.Struct("<II").unpack_from
    while pos < end:
        off, info = unpack(data, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind == BTF_KIND_FUNC and off == name_off:
            return type_id
        fixed, per = _BTF_EXTRA.get(kind, (0, 0))
        pos += 12 + fixed + per * vlen
        type_id += 1
    return None
