"""A minimal program BTF: one static function type, so programs whose
subprograms are bpf_loop callbacks can carry the func_info the verifier wants."""

from __future__ import annotations

import ctypes
import struct

from pydtrace.sys import syscall as sc

BTF_MAGIC = 0xEB9F
KIND_INT, KIND_FUNC_PROTO, KIND_FUNC = 1, 13, 12
FUNC_TYPE_ID = 3


def minimal_btf() -> bytes:
    strings = b"\0int\0f\0"
    types = struct.pack("<III", 1, KIND_INT << 24, 4) + struct.pack("<I", (1 << 24) | 32)
    types += struct.pack("<III", 0, KIND_FUNC_PROTO << 24, 1)  # int (void)
    types += struct.pack("<III", 5, KIND_FUNC << 24, 2)  # static int f(void)
    header = struct.pack("<HBBIIIII", BTF_MAGIC, 1, 0, 24, 0, len(types), len(types),
                         len(strings))
    return header + types + strings


class BtfAttr(ctypes.Structure):
    _fields_ = [("btf", ctypes.c_uint64), ("btf_log_buf", ctypes.c_uint64),
                ("btf_size", ctypes.c_uint32), ("btf_log_size", ctypes.c_uint32),
                ("btf_log_level", ctypes.c_uint32)]


def load_minimal_btf() -> int:
    """The fd of the loaded minimal BTF (the caller closes it)."""
    blob = minimal_btf()
    buf = ctypes.create_string_buffer(blob, len(blob))
    attr = BtfAttr(btf=ctypes.addressof(buf), btf_size=len(blob))
    return sc.bpf(sc.BPF_BTF_LOAD, attr, ctypes.sizeof(attr))


def func_info(starts: list[int]) -> bytes:
    return b"".join(struct.pack("<II", s, FUNC_TYPE_ID) for s in starts)
