"""ctypes layouts and constants of pydtrace.sys against the UAPI headers.

The numbers below were measured with gcc against /usr/include/linux/bpf.h and
perf_event.h; when gcc and the headers are present, the last tests re-measure them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess

import pytest

from pydtrace.sys import attr as A
from pydtrace.sys import syscall as sc
from pydtrace.sys.perf import PERF_ATTR_SIZE, PerfEventAttr


@pytest.mark.parametrize("struct,size", [
    (PerfEventAttr, 128), (A.ProgInfo, 232), (A.MapInfo, 88), (A.LinkCreateAttr, 64),
])
def test_sizes(struct: type, size: int) -> None:
    assert ctypes.sizeof(struct) == size


def test_perf_event_attr_offsets() -> None:
    assert PERF_ATTR_SIZE == 128  # PERF_ATTR_SIZE_VER7, the newest in the header
    expect = {"config": 8, "sample_period": 16, "sample_freq": 16, "read_format": 32,
              "flags": 40, "wakeup_events": 48, "bp_type": 52, "config1": 56,
              "uprobe_path": 56, "config2": 64, "probe_offset": 64,
              "branch_sample_type": 72, "sample_stack_user": 88, "clockid": 92,
              "sample_regs_intr": 96, "aux_watermark": 104, "sample_max_stack": 108,
              "aux_sample_size": 112, "sig_data": 120}
    assert {k: getattr(PerfEventAttr, k).offset for k in expect} == expect


@pytest.mark.parametrize("struct,field,offset", [
    (A.MapCreateAttr, "map_name", 28), (A.MapCreateAttr, "map_ifindex", 44),
    (A.MapCreateAttr, "map_extra", 64),
    (A.MapElemAttr, "key", 8), (A.MapElemAttr, "value", 16), (A.MapElemAttr, "flags", 24),
    (A.MapBatchAttr, "count", 32), (A.MapBatchAttr, "map_fd", 36),
    (A.MapBatchAttr, "elem_flags", 40), (A.MapBatchAttr, "flags", 48),
    (A.ProgLoadAttr, "insns", 8), (A.ProgLoadAttr, "log_buf", 32),
    (A.ProgLoadAttr, "kern_version", 40), (A.ProgLoadAttr, "prog_name", 48),
    (A.ProgLoadAttr, "expected_attach_type", 68), (A.ProgLoadAttr, "func_info", 80),
    (A.ProgLoadAttr, "line_info", 96), (A.ProgLoadAttr, "attach_btf_id", 108),
    (A.ProgLoadAttr, "attach_prog_fd", 112), (A.ProgLoadAttr, "fd_array", 120),
    (A.ProgLoadAttr, "core_relo_rec_size", 136),
    (A.TestRunAttr, "data_in", 16), (A.TestRunAttr, "repeat", 32),
    (A.TestRunAttr, "ctx_size_in", 40), (A.TestRunAttr, "ctx_in", 48),
    (A.TestRunAttr, "flags", 64), (A.TestRunAttr, "cpu", 68),
    (A.TestRunAttr, "batch_size", 72),
    (A.GetIdAttr, "next_id", 4), (A.GetIdAttr, "open_flags", 8),
    (A.InfoAttr, "info", 8), (A.RawTracepointAttr, "prog_fd", 8),
    (A.LinkCreateAttr, "attach_type", 8), (A.LinkCreateAttr, "target", 16),
    (A.ProgInfo, "name", 64), (A.ProgInfo, "netns_dev", 88), (A.ProgInfo, "btf_id", 128),
    (A.ProgInfo, "run_cnt", 200), (A.ProgInfo, "attach_btf_id", 224),
    (A.MapInfo, "map_extra", 80),
])
def test_bpf_attr_offsets(struct: type, field: str, offset: int) -> None:
    assert getattr(struct, field).offset == offset


def test_link_create_inner_union() -> None:
    a = A.LinkCreateAttr()
    a.perf_event.bpf_cookie = 0x1122334455667788
    raw = bytes(a)
    assert raw[16:24] == (0x1122334455667788).to_bytes(8, "little")
    a = A.LinkCreateAttr()
    a.tracing.cookie = 7
    assert bytes(a)[24:32] == (7).to_bytes(8, "little")
    assert A._LinkKprobeMulti.cookies.offset == 40 - 16
    # link_create.uprobe_multi as pahole prints the kernel's (path at 16 ... pid at 56)
    um = A._LinkUprobeMulti
    assert [um.path.offset + 16, um.offsets.offset + 16, um.ref_ctr_offsets.offset + 16,
            um.cookies.offset + 16, um.cnt.offset + 16, um.flags.offset + 16,
            um.pid.offset + 16] == [16, 24, 32, 40, 48, 52, 56]


def test_enum_spot_checks() -> None:
    assert (sc.BPF_PERF_EVENT, sc.BPF_TRACE_FENTRY, sc.BPF_TRACE_KPROBE_MULTI) == (41, 24, 42)
    assert (sc.BPF_LINK_CREATE, sc.BPF_LINK_GET_NEXT_ID, sc.BPF_MAP_LOOKUP_BATCH) == (28, 31, 24)
    assert (sc.BPF_MAP_TYPE_RINGBUF, sc.BPF_PROG_TYPE_TRACING) == (27, 26)
    assert sc.PERF_EVENT_IOC_SET_BPF == 0x40042408
    assert sc.BPF_CMD_NAMES[0] == "BPF_MAP_CREATE"
    assert sc.BPF_CMD_NAMES[10] == "BPF_PROG_TEST_RUN"


def _constants() -> dict[str, int]:
    skip = {"BPF_CMD_NAMES", "BPF_OBJ_NAME_LEN", "BPF_TAG_SIZE"}
    return {k: v for k, v in vars(sc).items()
            if isinstance(v, int) and k.startswith(("BPF_", "PERF_")) and k not in skip}


HEADERS = "/usr/include/linux/bpf.h"


@pytest.mark.skipif(shutil.which("gcc") is None or not os.path.exists(HEADERS),
                    reason="needs gcc and the kernel UAPI headers")
def test_constants_match_header(tmp_path) -> None:
    """Every BPF_*/PERF_* constant of syscall.py equals the header's (gcc measures them)."""
    consts = _constants()
    with open(HEADERS) as f:  # names newer than the installed header are checked elsewhere
        header = f.read()
    consts = {k: v for k, v in consts.items() if k in header or k.startswith("PERF_")}
    lines = [f'printf("{k} %lld\\n", (long long)({k}));' for k in consts]
    src = tmp_path / "c.c"
    src.write_text("#include <stdio.h>\n#include <linux/bpf.h>\n#include <linux/perf_event.h>\n"
                   "int main(void) {\n" + "\n".join(lines) + "\nreturn 0; }\n")
    exe = tmp_path / "c"
    subprocess.run(["gcc", "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    measured = {k: int(v) for k, v in (line.split() for line in out.splitlines())}
    assert measured == consts
