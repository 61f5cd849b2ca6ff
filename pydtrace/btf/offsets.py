"""Member offsets of kernel structs, read from the kernel's BTF.

A minimal reader until the full lazy BTF type reader exists: one pass over the
type section finds a named struct, and results are cached on disk keyed by
the BTF blob's size and modification time so later runs skip the scan.

BTF layout (include/uapi/linux/btf.h)::

    header: magic u16 (0xeB9F), version u8, flags u8, hdr_len u32,
            type_off u32, type_len u32, str_off u32, str_len u32
    type:   name_off u32, info u32 (vlen:16 | kind:5<<24 | kflag<<31), size_or_type u32,
            then kind-specific data (struct members: name_off, type, offset u32 each)
"""

from __future__ import annotations

import json
import os
import struct

VMLINUX = "/sys/kernel/btf/vmlinux"
STRUCT, UNION = 4, 5
# bytes of kind-specific data per type kind: (fixed, per vlen entry)
EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
         15: (0, 12), 17: (4, 0), 19: (0, 12)}


def _cache_path(path: str) -> str:
    st = os.stat(path)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "pydtrace", f"btf-offsets-{st.st_size}-{int(st.st_mtime)}.json")


def _load_cache(path: str) -> dict[str, int]:
    try:
        with open(_cache_path(path)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _save_cache(path: str, data: dict[str, int]) -> None:
    cache = _cache_path(path)
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(cache + ".tmp", cache)
    except OSError:
        pass


def _scan_struct(blob: bytes, name: str) -> dict[str, int]:
    """Byte offsets of the named members of ``struct name`` (anonymous members flattened)."""
    _, _, _, hdr_len, type_off, type_len, str_off, _ = struct.unpack_from("<HBBIIIII", blob)
    types_start = hdr_len + type_off
    strings = hdr_len + str_off
    want = name.encode() + b"\0"
    pos, end = types_start, types_start + type_len
    members: dict[int, list[tuple[int, int, int]]] = {}
    found: int | None = None
    type_id = 1
    while pos < end:
        name_off, info, _ = struct.unpack_from("<III", blob, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        fixed, per = EXTRA.get(kind, (0, 0))
        if kind in (STRUCT, UNION):
            raw = struct.unpack_from(f"<{3 * vlen}I", blob, pos + 12)
            members[type_id] = [(raw[i], raw[i + 1], raw[i + 2] & 0xFFFFFF if info >> 31
                                 else raw[i + 2]) for i in range(0, 3 * vlen, 3)]
            if kind == STRUCT and found is None and \
                    blob[strings + name_off:strings + name_off + len(want)] == want:
                found = type_id
        pos += 12 + fixed + per * vlen
        type_id += 1
    if found is None:
        raise LookupError(f"struct {name} not found in kernel BTF")
    return _flatten(blob, strings, members, found, 0)


def _flatten(blob: bytes, strings: int, members, type_id: int, base: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for name_off, mtype, bit_off in members.get(type_id, []):
        if name_off == 0:
            inner = _resolve_sou(blob, members, mtype)
            if inner is not None:
                out.update(_flatten(blob, strings, members, inner, base + bit_off // 8))
            continue
        end = blob.index(b"\0", strings + name_off)
        out[blob[strings + name_off:end].decode()] = base + bit_off // 8
    return out


def _resolve_sou(blob: bytes, members, type_id: int) -> int | None:
    return type_id if type_id in members else None


def member_offset(struct_name: str, member: str, path: str = VMLINUX) -> int:
    key = f"{struct_name}.{member}"
    cache = _load_cache(path)
    if key in cache:
        return cache[key]
    with open(path, "rb") as f:
        blob = f.read()
    offsets = _scan_struct(blob, struct_name)
    if member not in offsets:
        raise LookupError(f"struct {struct_name} has no member {member}")
    cache.update({f"{struct_name}.{m}": off for m, off in offsets.items()})
    _save_cache(path, cache)
    return offsets[member]
