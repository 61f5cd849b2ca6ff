"""Pure helpers of pydtrace.sys: CPU lists, names, the BTF function lookup, tracefs listing."""

from __future__ import annotations

import struct

import pytest

from pydtrace.errors import KernelError
from pydtrace.sys import features, tracefs
from pydtrace.sys.features import Feature
from pydtrace.sys.maps import _round8, sanitize_name
from pydtrace.sys.perf import _cpu_list


@pytest.mark.parametrize("text,cpus", [
    ("0\n", [0]), ("0-3\n", [0, 1, 2, 3]), ("0-1,4,6-7\n", [0, 1, 4, 6, 7]),
])
def test_cpu_list(tmp_path, text: str, cpus: list[int]) -> None:
    path = tmp_path / "online"
    path.write_text(text)
    assert _cpu_list(str(path)) == cpus


def test_sanitize_name() -> None:
    assert sanitize_name("@counts[probefunc]") == b"_counts_probefu"
    assert sanitize_name("ok.name_1") == b"ok.name_1"
    assert len(sanitize_name("x" * 40)) == 15


def test_round8() -> None:
    assert [_round8(n) for n in (1, 8, 9, 16)] == [8, 8, 16, 16]


def test_feature_truthiness() -> None:
    assert Feature.OK
    assert not Feature.UNSUPPORTED
    assert not Feature.INCONCLUSIVE


def test_probe_insn_encoding() -> None:
    assert features._insn(0xB7, 0, imm=0) == bytes.fromhex("b700000000000000")
    assert features._insn(0x85, imm=174) == bytes.fromhex("85000000ae000000")
    assert features.RETURN_0[8:] == bytes.fromhex("9500000000000000")


def btf_blob(types: list[bytes], strings: bytes) -> bytes:
    """A synthetic BTF file: header, type section, string section."""
    type_sec = b"".join(types)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(type_sec), len(type_sec),
                      len(strings))
    return hdr + type_sec + strings


def btf_type(name_off: int, kind: int, vlen: int, size_or_type: int, extra: bytes = b"") -> bytes:
    return struct.pack("<III", name_off, (kind << 24) | vlen, size_or_type) + extra


def test_btf_func_id(tmp_path) -> None:
    strings = b"\0int\0s\0a\0b\0my_func\0other\0"
    name = strings.index(b"my_func")
    types = [
        btf_type(1, 1, 0, 4, struct.pack("<I", 32)),                   # 1: INT int
        btf_type(5, 4, 2, 8, b"\0" * 24),                               # 2: STRUCT s {a, b}
        btf_type(0, 13, 1, 1, struct.pack("<II", 0, 1)),                # 3: FUNC_PROTO
        btf_type(strings.index(b"other"), 12, 1, 3),                    # 4: FUNC other
        btf_type(name, 12, 1, 3),                                       # 5: FUNC my_func
    ]
    path = tmp_path / "vmlinux"
    path.write_bytes(btf_blob(types, strings))
    assert features.btf_func_id("my_func", str(path)) == 5
    assert features.btf_func_id("other", str(path)) == 4
    assert features.btf_func_id("int", str(path)) is None  # an INT, not a FUNC
    assert features.btf_func_id("missing", str(path)) is None


def test_tracefs_listing(tmp_path, monkeypatch) -> None:
    events = tmp_path / "events"
    for group, name, tp_id in [("sched", "sched_switch", 300), ("sched", "sched_wakeup", 301),
                               ("syscalls", "sys_enter_read", 600)]:
        d = events / group / name
        d.mkdir(parents=True)
        (d / "id").write_text(f"{tp_id}\n")
        (d / "format").write_text(f"name: {name}\n")
    (events / "enable").write_text("0\n")  # files at the top are not groups
    (tmp_path / "uprobe_events").write_text("p:uprobes/x /bin/true:0x10\n\n")
    monkeypatch.setattr(tracefs, "tracefs_root", lambda: str(tmp_path))
    assert tracefs.list_groups() == ["sched", "syscalls"]
    assert tracefs.list_events("sched") == ["sched_switch", "sched_wakeup"]
    assert tracefs.list_events("nope") == []
    assert tracefs.tracepoint_id("syscalls", "sys_enter_read") == 600
    assert tracefs.tracepoint_format("sched", "sched_switch") == "name: sched_switch\n"
    assert tracefs.read_lines("uprobe_events") == ["p:uprobes/x /bin/true:0x10"]
    assert tracefs.read_lines("kprobe_events") == []
    with pytest.raises(KernelError, match="tracepoint sched:nope does not exist") as e:
        tracefs.tracepoint_id("sched", "nope")
    assert e.value.errno == 2
