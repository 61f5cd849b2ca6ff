"""BPF programs: :class:`Program` loads bytecode and owns the program fd."""

from __future__ import annotations

import ctypes
import errno
import os

from pydtrace.errors import KernelError, VerifierError
from pydtrace.sys import attr as A
from pydtrace.sys import syscall as sc
from pydtrace.sys.fd import FdOwner
from pydtrace.sys.maps import sanitize_name

INSN_SIZE = 8
LOG_START = 256 * 1024
LOG_MAX = 16 * 1024 * 1024
_EAGAIN_TRIES = 5  # the verifier answers EAGAIN when a signal interrupts it: just retry


class ProgramInfo:
    """The parts of ``struct bpf_prog_info`` a tracer uses."""

    __slots__ = ("id", "type", "tag", "name", "run_cnt", "run_time_ns", "verified_insns")

    def __init__(self, raw: A.ProgInfo) -> None:
        self.id: int = raw.id
        self.type: int = raw.type
        self.tag: str = bytes(raw.tag).hex()
        self.name: str = raw.name.decode(errors="replace")
        self.run_cnt: int = raw.run_cnt
        self.run_time_ns: int = raw.run_time_ns
        self.verified_insns: int = raw.verified_insns

    def __repr__(self) -> str:
        return f"ProgramInfo(id={self.id}, type={self.type}, tag={self.tag}, name={self.name!r})"


def _load_attr(prog_type: int, insns: ctypes.Array, license: ctypes.Array, name: str,
               expected_attach_type: int, kern_version: int,
               attach_btf_id: int) -> A.ProgLoadAttr:
    return A.ProgLoadAttr(
        prog_type=prog_type, insn_cnt=len(insns) // INSN_SIZE, insns=A.addr(insns),
        license=A.addr(license), kern_version=kern_version, prog_name=sanitize_name(name),
        expected_attach_type=expected_attach_type, attach_btf_id=attach_btf_id)


def _load(attr: A.ProgLoadAttr) -> int:
    """BPF_PROG_LOAD returning the fd or ``-errno`` (EAGAIN retried)."""
    for _ in range(_EAGAIN_TRIES):
        ret = sc.bpf_errno(sc.BPF_PROG_LOAD, attr, ctypes.sizeof(attr))
        if ret != -errno.EAGAIN:
            break
    return ret


def _load_with_log(attr: A.ProgLoadAttr, log_level: int) -> tuple[int, str]:
    """Reload with a verifier log, growing the buffer while the kernel says ENOSPC."""
    size = LOG_START
    while True:
        log = ctypes.create_string_buffer(size)
        attr.log_level, attr.log_size, attr.log_buf = log_level, size, A.addr(log)
        ret = _load(attr)
        if ret != -errno.ENOSPC or size >= LOG_MAX:
            return ret, log.value.decode(errors="replace")
        size *= 4


class Program(FdOwner):
    """A loaded BPF program; a context manager; ``close()`` is idempotent."""

    def __init__(self, fd: int, prog_type: int, name: str = "",
                 expected_attach_type: int = 0) -> None:
        self.fd = fd
        self.prog_type = prog_type
        self.name = name
        self.expected_attach_type = expected_attach_type
        self.duration_ns = 0  # of the last test_run

    @classmethod
    def load(cls, prog_type: int, insns: bytes, license: str = "GPL", name: str = "",
             expected_attach_type: int = 0, log_level: int = 1, kern_version: int = 0,
             attach_btf_id: int = 0, func_info: tuple[int, bytes] | None = None) -> Program:
        """Load a program; raise VerifierError (with the verifier's log) when refused.

        The first try has no log buffer (the verifier is much faster without one); only a
        failed load is repeated with ``log_level`` to explain the failure.
        """
        if len(insns) % INSN_SIZE or not insns:
            raise ValueError(f"program {name!r}: {len(insns)} bytes is not whole instructions")
        code = ctypes.create_string_buffer(bytes(insns), len(insns))
        lic = ctypes.create_string_buffer(license.encode())
        attr = _load_attr(prog_type, code, lic, name, expected_attach_type, kern_version,
                          attach_btf_id)
        if func_info is not None:  # (BTF fd, bpf_func_info records): bpf_loop callbacks
            info = ctypes.create_string_buffer(func_info[1], len(func_info[1]))
            attr.prog_btf_fd, attr.func_info_rec_size = func_info[0], 8
            attr.func_info, attr.func_info_cnt = A.addr(info), len(func_info[1]) // 8
        ret = _load(attr)
        if ret < 0:
            ret, log = _load_with_log(attr, log_level or 1)
            if ret < 0:
                raise _load_error(name, -ret, log)
        return cls(ret, prog_type, name, expected_attach_type)

    def test_run(self, ctx_in: bytes = b"", data_in: bytes = b"", repeat: int = 1,
                 flags: int = 0, cpu: int = 0) -> int:
        """Run the program once (or ``repeat`` times) with BPF_PROG_TEST_RUN; return r0.

        Raw-tracepoint programs (Linux 5.10+) take their arguments as ``ctx_in`` (u64 each)
        and refuse ``repeat``, so repetition is done here; pass BPF_F_TEST_RUN_ON_CPU in
        ``flags`` to run on ``cpu`` instead of the current CPU.
        """
        ctx = ctypes.create_string_buffer(ctx_in, max(len(ctx_in), 1))
        data = ctypes.create_string_buffer(data_in, max(len(data_in), 1))
        attr = A.TestRunAttr(prog_fd=self.fd, flags=flags, cpu=cpu)
        if ctx_in:
            attr.ctx_in, attr.ctx_size_in = A.addr(ctx), len(ctx_in)
        if data_in:
            attr.data_in, attr.data_size_in = A.addr(data), len(data_in)
        if self.prog_type in (sc.BPF_PROG_TYPE_RAW_TRACEPOINT, sc.BPF_PROG_TYPE_TRACING):
            for _ in range(max(repeat, 1) - 1):
                sc.bpf(sc.BPF_PROG_TEST_RUN, attr, ctypes.sizeof(attr))
        else:
            attr.repeat = repeat if repeat > 1 else 0
        sc.bpf(sc.BPF_PROG_TEST_RUN, attr, ctypes.sizeof(attr))
        self.duration_ns = attr.duration
        return attr.retval

    def info(self) -> ProgramInfo:
        """Id, type, tag, name and run statistics (BPF_OBJ_GET_INFO_BY_FD)."""
        raw = A.ProgInfo()
        attr = A.InfoAttr(bpf_fd=self.fd, info_len=ctypes.sizeof(raw), info=A.addr(raw))
        sc.bpf(sc.BPF_OBJ_GET_INFO_BY_FD, attr, ctypes.sizeof(attr))
        return ProgramInfo(raw)


    def __repr__(self) -> str:
        return f"Program(fd={self.fd}, type={self.prog_type}, name={self.name!r})"


def _load_error(name: str, err: int, log: str) -> KernelError:
    what = f"bpf(BPF_PROG_LOAD) failed: {os.strerror(err)}"
    if name:
        what = f"bpf(BPF_PROG_LOAD) failed for {name!r}: {os.strerror(err)}"
    if log.strip():
        return VerifierError(what, err, log)
    return KernelError(what, err)
