"""A lazy reader of kernel BTF (``/sys/kernel/btf/vmlinux`` and module BTF).

Nothing is decoded that a script does not use. Opening a blob builds (or loads
from the on-disk cache) two flat indexes:

- ``offsets``: type id -> byte offset of its ``struct btf_type`` in the blob;
- ``names``: (name_off, type id) pairs of named types, sorted by name_off.

A name lookup finds the name's string offset with one ``bytes.find`` on the
string section, then binary-searches the pairs. Types are decoded to the D type
model (``pydtrace.types.model``) on demand; struct and union members (and their
types) are decoded only when first asked for.

The cache file is keyed by the blob's size, mtime and a hash of its header and
first/last bytes, so a new kernel (or module build) gets a new index.

BTF layout (include/uapi/linux/btf.h)::

    header: magic u16 (0xeB9F), version u8, flags u8, hdr_len u32,
            type_off u32, type_len u32, str_off u32, str_len u32
    type:   name_off u32, info u32 (vlen:16 | kind:5<<24 | kflag<<31), size_or_type u32,
            then kind-specific data
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from pydtrace.types import model as T

VMLINUX = "/sys/kernel/btf/vmlinux"
BTF_DIR = "/sys/kernel/btf"
MAGIC = 0xEB9F

(INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC,
 FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64) = range(1, 20)
KIND_NAMES = {INT: "int", PTR: "ptr", ARRAY: "array", STRUCT: "struct", UNION: "union",
              ENUM: "enum", FWD: "fwd", TYPEDEF: "typedef", VOLATILE: "volatile",
              CONST: "const", RESTRICT: "restrict", FUNC: "func", FUNC_PROTO: "func_proto",
              VAR: "var", DATASEC: "datasec", FLOAT: "float", DECL_TAG: "decl_tag",
              TYPE_TAG: "type_tag", ENUM64: "enum64"}
# bytes of kind-specific data: (fixed, per vlen entry)
EXTRA = {INT: (4, 0), ARRAY: (12, 0), STRUCT: (0, 12), UNION: (0, 12), ENUM: (0, 8),
         FUNC_PROTO: (0, 8), VAR: (4, 0), DATASEC: (0, 12), DECL_TAG: (4, 0),
         ENUM64: (0, 12)}
NAMED_KINDS = {INT, STRUCT, UNION, ENUM, FWD, TYPEDEF, FUNC, VAR, FLOAT, ENUM64, DATASEC}
QUALIFIERS = {VOLATILE, CONST, RESTRICT, TYPE_TAG}
HEADER = struct.Struct("<HBBIIIII")
TYPE = struct.Struct("<III")
CACHE_VERSION = b"PDBTF002"


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "pydtrace")


def _blob_key(path: str, blob: bytes | mmap.mmap) -> str:
    st = os.stat(path)
    check = zlib.crc32(blob[-4096:], zlib.crc32(blob[:4096]))
    return f"{os.path.basename(path)}-{len(blob)}-{int(st.st_mtime)}-{check:08x}"


def read_blob(path: str) -> bytes | mmap.mmap:
    """The BTF blob, mapped when the kernel allows it (Linux 6.x maps vmlinux BTF
    privately, read-only): pages are read only where types are decoded."""
    with open(path, "rb") as f:
        try:
            return mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
        except (OSError, ValueError):
            return f.read()


@dataclass(frozen=True)
class Param:
    name: str
    type: T.DType


@dataclass(frozen=True)
class FuncProto:
    """A function prototype: return type and parameters (``...`` as a trailing None)."""

    ret: T.DType
    params: tuple[Param, ...]
    varargs: bool = False


class BtfMember(T.StructMember):
    """A struct/union member whose type is decoded on first use."""

    def __init__(self, reader: BtfReader, name: str, type_id: int, bit_off: int,
                 bits: int) -> None:
        self.name = name
        self._reader = reader
        self.type_id = type_id
        self.offset = bit_off // 8
        self.bit_offset = bit_off % 8 if bits else 0
        self.bits = bits
        self._type: T.DType | None = None

    @property
    def type(self) -> T.DType:  # type: ignore[override]
        if self._type is None:
            self._type = self._reader.decode(self.type_id)
        return self._type


class BtfStruct(T.StructType):
    """A kernel struct or union; members are decoded on first access."""

    def __init__(self, reader: BtfReader, type_id: int, kind: str, name: str | None,
                 size: int) -> None:
        self.kind = kind
        self.name = name
        self.size = size
        self.complete = True
        self._reader = reader
        self.type_id = type_id
        self._members: list[T.StructMember] | None = None
        self._align = 0

    @property
    def members(self) -> list[T.StructMember]:  # type: ignore[override]
        if self._members is None:
            self._members = self._reader.members(self.type_id)
        return self._members

    @property
    def align(self) -> int:  # type: ignore[override]
        if not self._align:
            self._align = max([1] + [min(8, max(1, m.type.align)) for m in self.members
                                     if not m.bits])
        return self._align

    def __repr__(self) -> str:
        return f"<BtfStruct {self} #{self.type_id}>"


class BtfReader:
    """One BTF blob (vmlinux, or a module's with vmlinux as its base)."""

    def __init__(self, path: str = VMLINUX, base: BtfReader | None = None) -> None:
        self.path = path
        self.base = base
        self._func_ids: dict[str, int] | None = None
        self.blob = read_blob(path)
        magic, _, _, hdr_len, type_off, type_len, str_off, str_len = \
            HEADER.unpack_from(self.blob)
        if magic != MAGIC:
            raise ValueError(f"{path}: not BTF")
        self.types_start = hdr_len + type_off
        self.types_end = self.types_start + type_len
        self.str_start = hdr_len + str_off
        self.str_end = self.str_start + str_len
        # split BTF (modules): ids and string offsets continue the base's
        self.first_id = (base.last_id + 1) if base else 1
        self.str_base = (base.str_end - base.str_start) if base else 0
        self._decoded: dict[int, T.DType] = {}
        self.offsets, self.name_offs, self.name_ids = self._index()
        self.last_id = self.first_id + len(self.offsets) - 1

    # ---------------------------------------------------------------- index

    def _index(self) -> tuple[array, array, array]:
        cache = os.path.join(_cache_dir(), "btf-" + _blob_key(self.path, self.blob) + ".idx")
        try:
            with open(cache, "rb") as f:
                data = f.read()
            if data[:8] == CACHE_VERSION:
                n1, n2 = struct.unpack_from("<II", data, 8)
                pos = 16
                offsets = array("I")
                offsets.frombytes(data[pos:pos + 4 * n1])
                pos += 4 * n1
                name_offs = array("I")
                name_offs.frombytes(data[pos:pos + 4 * n2])
                pos += 4 * n2
                name_ids = array("I")
                name_ids.frombytes(data[pos:pos + 4 * n2])
                if len(name_ids) == n2:
                    return offsets, name_offs, name_ids
        except OSError:
            pass
        offsets, name_offs, name_ids = self._scan()
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            tmp = f"{cache}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(CACHE_VERSION + struct.pack("<II", len(offsets), len(name_offs)))
                f.write(offsets.tobytes())
                f.write(name_offs.tobytes())
                f.write(name_ids.tobytes())
            os.replace(tmp, cache)
        except OSError:
            pass
        return offsets, name_offs, name_ids

    def _scan(self) -> tuple[array, array, array]:
        blob, unpack = self.blob, TYPE.unpack_from
        pos, end = self.types_start, self.types_end
        offsets = array("I")
        named: list[tuple[int, int]] = []
        tid = self.first_id
        extra = EXTRA
        while pos < end:
            name_off, info, _ = unpack(blob, pos)
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            offsets.append(pos)
            if name_off and kind in NAMED_KINDS:
                named.append((name_off, tid))
            fixed, per = extra.get(kind, (0, 0))
            pos += 12 + fixed + per * vlen
            tid += 1
        named.sort()
        return (offsets, array("I", [n for n, _ in named]), array("I", [i for _, i in named]))

    # ---------------------------------------------------------------- raw access

    def reader_for(self, tid: int) -> BtfReader:
        if self.base is not None and tid < self.first_id:
            return self.base.reader_for(tid)
        return self

    def raw(self, tid: int) -> tuple[int, int, int, int, int, int]:
        """(kind, vlen, kflag, name_off, size_or_type, offset) of type ``tid``."""
        r = self.reader_for(tid)
        off = r.offsets[tid - r.first_id]
        name_off, info, st = TYPE.unpack_from(r.blob, off)
        return (info >> 24) & 0x1F, info & 0xFFFF, info >> 31, name_off, st, off

    def string(self, off: int) -> str:
        if off < self.str_base and self.base is not None:
            return self.base.string(off)
        start = self.str_start + off - self.str_base
        end = self.blob.find(b"\0", start)
        return self.blob[start:end].decode("utf-8", "replace")

    def kind(self, tid: int) -> int:
        return 0 if tid == 0 else self.raw(tid)[0]

    def name(self, tid: int) -> str:
        if tid == 0:
            return ""
        r = self.reader_for(tid)
        return r.string(r.raw(tid)[3])

    # ---------------------------------------------------------------- lookup

    def _string_offsets(self, name: str) -> list[int]:
        want = b"\0" + name.encode() + b"\0"
        out = []
        pos = self.blob.find(want, self.str_start, self.str_end)
        while pos >= 0:
            out.append(pos + 1 - self.str_start + self.str_base)
            pos = self.blob.find(want, pos + 1, self.str_end)
        return out

    def find(self, name: str, kinds: tuple[int, ...]) -> int | None:
        """The first type id named ``name`` of one of ``kinds`` (in that preference)."""
        found: list[int] = []
        for soff in self._string_offsets(name):
            lo = bisect_left(self.name_offs, soff)
            hi = bisect_right(self.name_offs, soff)
            found.extend(self.name_ids[lo:hi])
        for k in kinds:
            for tid in found:
                if self.raw(tid)[0] == k:
                    return tid
        if self.base is not None:
            return self.base.find(name, kinds)
        return None

    def skip_qualifiers(self, tid: int) -> int:
        while tid:
            kind, _, _, _, st, _ = self.raw(tid)
            if kind not in QUALIFIERS and kind != TYPEDEF:
                return tid
            tid = st
        return tid

    # ---------------------------------------------------------------- decoding

    def decode(self, tid: int) -> T.DType:
        if tid == 0:
            return T.VOID
        r = self.reader_for(tid)
        if r is not self:
            return r.decode(tid)
        t = self._decoded.get(tid)
        if t is None:
            t = self._decode(tid)
            self._decoded[tid] = t
        return t

    def _decode(self, tid: int) -> T.DType:
        kind, vlen, kflag, name_off, st, off = self.raw(tid)
        name = self.string(name_off) if name_off else None
        if kind == INT:
            (enc,) = struct.unpack_from("<I", self.blob, off + 12)
            return int_type(name or "int", st, bool((enc >> 24) & 1), bool((enc >> 24) & 4))
        if kind == PTR:
            if self.kind(st) == FUNC_PROTO:
                return T.PointerType(T.VOID)
            target = self.decode(st)
            return T.PointerType(target)
        if kind == ARRAY:
            elem, _, count = struct.unpack_from("<III", self.blob, off + 12)
            return T.ArrayType(self.decode(elem), count)
        if kind in (STRUCT, UNION):
            return BtfStruct(self, tid, "struct" if kind == STRUCT else "union", name, st)
        if kind in (ENUM, ENUM64):
            return self._enum(tid, name, vlen, st, off, kind, kflag)
        if kind == FWD:
            sou = "union" if kflag else "struct"
            full = self.find(name or "", (UNION,) if kflag else (STRUCT,))
            if full is not None:
                return self.decode(full)
            return T.StructType(sou, name)
        if kind == TYPEDEF:
            return T.Typedef(name or "", self.decode(st))
        if kind in QUALIFIERS:
            return self.decode(st)
        if kind == FLOAT:
            return T.FloatType(name or "float", st)
        if kind in (FUNC, FUNC_PROTO, VAR):
            return self.decode(st) if kind == VAR else T.VOID
        return T.VOID

    def _enum(self, tid: int, name: str | None, vlen: int, size: int, off: int, kind: int,
              kflag: int) -> T.EnumType:
        values: dict[str, int] = {}
        pos = off + 12
        for _ in range(vlen):
            if kind == ENUM:
                noff, val = struct.unpack_from("<Ii" if kflag else "<II", self.blob, pos)
                pos += 8
            else:
                noff, lo, hi = struct.unpack_from("<III", self.blob, pos)
                val = lo | (hi << 32)
                pos += 12
            values[self.string(noff)] = val
        return T.EnumType(name, values, size or 4, size or 4)

    def members(self, tid: int) -> list[T.StructMember]:
        kind, vlen, kflag, _, _, off = self.raw(tid)
        out: list[T.StructMember] = []
        pos = off + 12
        for _ in range(vlen):
            noff, mtype, moff = struct.unpack_from("<III", self.blob, pos)
            pos += 12
            bits = (moff >> 24) if kflag else 0
            bit_off = (moff & 0xFFFFFF) if kflag else moff
            if not kflag and self.kind(mtype) == INT:
                # old-style bit-field: the INT encoding carries offset and width
                ik, _, _, _, isz, ioff = self.raw(mtype)
                (enc,) = struct.unpack_from("<I", self.reader_for(mtype).blob, ioff + 12)
                if (enc & 0xFF) != isz * 8 or (enc >> 16) & 0xFF:
                    bits = enc & 0xFF
                    bit_off += (enc >> 16) & 0xFF
            out.append(BtfMember(self, self.string(noff) if noff else "", mtype, bit_off, bits))
        return out

    def func_proto(self, tid: int) -> FuncProto | None:
        """The prototype of a FUNC, FUNC_PROTO, or a typedef/pointer leading to one."""
        seen = 0
        while tid and seen < 16:
            kind, vlen, _, _, st, off = self.raw(tid)
            if kind == FUNC_PROTO:
                r = self.reader_for(tid)
                params = []
                varargs = False
                for i in range(vlen):
                    noff, ptype = struct.unpack_from("<II", r.blob, off + 12 + 8 * i)
                    if ptype == 0:
                        varargs = True
                        continue
                    params.append(Param(r.string(noff) if noff else "", self.decode(ptype)))
                return FuncProto(self.decode(st), tuple(params), varargs)
            if kind in (FUNC, TYPEDEF, PTR) or kind in QUALIFIERS:
                tid = st
                seen += 1
                continue
            return None
        return None

    def datasec_var(self, name: str) -> T.DType | None:
        tid = self.find(name, (VAR,))
        return None if tid is None else self.decode(tid)

    def typedefs_with_prefix(self, prefix: str) -> dict[str, int]:
        """{name without ``prefix``: type id} of this blob's typedefs named ``prefix...``,
        from one pass over the string section (no per-name search)."""
        import re

        pat = re.compile(b"\\0" + re.escape(prefix.encode()) + b"([^\\0]*)")
        out: dict[str, int] = {}
        for m in pat.finditer(self.blob, self.str_start - 1, self.str_end):
            soff = m.start() + 1 - self.str_start + self.str_base
            lo = bisect_left(self.name_offs, soff)
            hi = bisect_right(self.name_offs, soff)
            for tid in self.name_ids[lo:hi]:
                if self.raw(tid)[0] == TYPEDEF:
                    out.setdefault(m.group(1).decode("utf-8", "replace"), tid)
        return out

    def functions(self, prefix: str = "") -> list[str]:
        """Names of all FUNC types (for fbt listing)."""
        return list(self.function_ids())

    def function_ids(self) -> dict[str, int]:
        """Name -> type id of every FUNC, built once: a wide fbt match looks up
        thousands of functions, and ``find`` scans the string table each time."""
        if self._func_ids is None:
            ids: dict[str, int] = {}
            for tid in range(self.first_id, self.last_id + 1):
                kind, _, _, noff, _, _ = self.raw(tid)
                if kind == FUNC:
                    ids.setdefault(self.string(noff), tid)
            self._func_ids = ids
        return self._func_ids


_INT_NAMES = {
    "long unsigned int": T.ULONG, "long int": T.LONG, "long long int": T.LLONG,
    "long long unsigned int": T.ULLONG, "short int": T.SHORT, "short unsigned int": T.USHORT,
    "unsigned int": T.UINT, "int": T.INT, "char": T.CHAR, "signed char": T.CHAR,
    "unsigned char": T.UCHAR, "_Bool": T.BOOL, "long": T.LONG, "unsigned long": T.ULONG,
    "long long": T.LLONG, "unsigned long long": T.ULLONG, "short": T.SHORT,
    "unsigned short": T.USHORT,
}


def int_type(name: str, size: int, signed: bool, is_bool: bool) -> T.DType:
    known = _INT_NAMES.get(name)
    if known is not None and known.size == size:
        return known
    if is_bool:
        return T.BOOL
    if size in (1, 2, 4, 8):
        return T.IntType(name, size, signed)
    return T.ArrayType(T.UCHAR, size)  # __int128 and friends: raw bytes


_VMLINUX: BtfReader | None = None
_MODULES: dict[str, BtfReader | None] = {}


def vmlinux() -> BtfReader:
    """The kernel's BTF (opened once per process)."""
    global _VMLINUX
    if _VMLINUX is None:
        _VMLINUX = BtfReader(VMLINUX)
    return _VMLINUX


def module(name: str) -> BtfReader | None:
    """A kernel module's split BTF, or None if the module has none."""
    if name == "vmlinux":
        return vmlinux()
    if name not in _MODULES:
        path = os.path.join(BTF_DIR, name)
        _MODULES[name] = BtfReader(path, vmlinux()) if os.path.exists(path) else None
    return _MODULES[name]


def available() -> bool:
    return os.path.exists(VMLINUX)


def find_type(name: str, kinds: tuple[int, ...]) -> T.DType | None:
    """A kernel type by name from vmlinux, then module BTF; None if absent."""
    if not available():
        return None
    r = vmlinux()
    tid = r.find(name, kinds)
    if tid is not None:
        return r.decode(tid)
    try:
        mods = [m for m in os.listdir(BTF_DIR) if m != "vmlinux"]
    except OSError:
        mods = []
    for m in sorted(mods):
        mr = module(m)
        if mr is None:
            continue
        tid = mr.find(name, kinds)
        if tid is not None and tid >= mr.first_id:
            return mr.decode(tid)
    return None


def find_member(sou: T.StructType, name: str) -> tuple[int, T.StructMember] | None:
    """(byte offset, member) of ``name`` in ``sou``, looking into anonymous members."""
    for m in sou.members:
        if m.name == name:
            return m.offset, m
    for m in sou.members:
        if m.name:
            continue
        inner = m.type.resolve()
        if isinstance(inner, T.StructType):
            found = find_member(inner, name)
            if found is not None:
                return m.offset + found[0], found[1]
    return None
