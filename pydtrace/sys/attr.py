"""``union bpf_attr`` sections and the ``bpf_*_info`` structs, as ctypes structures.

One structure per command family, each laid out exactly as its anonymous struct in
``/usr/include/linux/bpf.h`` (``tests/unit/test_sys_attr.py`` checks sizes and offsets that
were measured with the C compiler against that header). We pass ``sizeof`` of the section
we fill: the kernel zero-extends a shorter attr, so the other union members need no space.
``__aligned_u64`` fields are ``c_uint64``, which ctypes aligns to 8 on 64-bit targets.
"""

from __future__ import annotations

import ctypes

u32 = ctypes.c_uint32
u64 = ctypes.c_uint64
NAME = ctypes.c_char * 16  # BPF_OBJ_NAME_LEN


class MapCreateAttr(ctypes.Structure):
    """BPF_MAP_CREATE."""

    _fields_ = [
        ("map_type", u32), ("key_size", u32), ("value_size", u32), ("max_entries", u32),
        ("map_flags", u32), ("inner_map_fd", u32), ("numa_node", u32), ("map_name", NAME),
        ("map_ifindex", u32), ("btf_fd", u32), ("btf_key_type_id", u32),
        ("btf_value_type_id", u32), ("btf_vmlinux_value_type_id", u32), ("map_extra", u64),
    ]


class MapElemAttr(ctypes.Structure):
    """BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY (``value`` doubles as ``next_key``)."""

    _fields_ = [("map_fd", u32), ("key", u64), ("value", u64), ("flags", u64)]


class MapBatchAttr(ctypes.Structure):
    """BPF_MAP_*_BATCH (``batch`` in the union)."""

    _fields_ = [
        ("in_batch", u64), ("out_batch", u64), ("keys", u64), ("values", u64),
        ("count", u32), ("map_fd", u32), ("elem_flags", u64), ("flags", u64),
    ]


class ProgLoadAttr(ctypes.Structure):
    """BPF_PROG_LOAD."""

    _fields_ = [
        ("prog_type", u32), ("insn_cnt", u32), ("insns", u64), ("license", u64),
        ("log_level", u32), ("log_size", u32), ("log_buf", u64), ("kern_version", u32),
        ("prog_flags", u32), ("prog_name", NAME), ("prog_ifindex", u32),
        ("expected_attach_type", u32), ("prog_btf_fd", u32), ("func_info_rec_size", u32),
        ("func_info", u64), ("func_info_cnt", u32), ("line_info_rec_size", u32),
        ("line_info", u64), ("line_info_cnt", u32), ("attach_btf_id", u32),
        ("attach_prog_fd", u32), ("core_relo_cnt", u32), ("fd_array", u64),
        ("core_relos", u64), ("core_relo_rec_size", u32),
    ]


class TestRunAttr(ctypes.Structure):
    """BPF_PROG_TEST_RUN (``test`` in the union)."""

    __test__ = False  # not a pytest class, despite the name
    _fields_ = [
        ("prog_fd", u32), ("retval", u32), ("data_size_in", u32), ("data_size_out", u32),
        ("data_in", u64), ("data_out", u64), ("repeat", u32), ("duration", u32),
        ("ctx_size_in", u32), ("ctx_size_out", u32), ("ctx_in", u64), ("ctx_out", u64),
        ("flags", u32), ("cpu", u32), ("batch_size", u32),
    ]


class GetIdAttr(ctypes.Structure):
    """BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (``start_id`` is also prog/map/link id)."""

    _fields_ = [("start_id", u32), ("next_id", u32), ("open_flags", u32)]


class InfoAttr(ctypes.Structure):
    """BPF_OBJ_GET_INFO_BY_FD (``info`` in the union)."""

    _fields_ = [("bpf_fd", u32), ("info_len", u32), ("info", u64)]


class RawTracepointAttr(ctypes.Structure):
    """BPF_RAW_TRACEPOINT_OPEN (``raw_tracepoint`` in the union)."""

    _fields_ = [("name", u64), ("prog_fd", u32), ("_pad", u32), ("cookie", u64)]


class _LinkPerfEvent(ctypes.Structure):
    _fields_ = [("bpf_cookie", u64)]


class _LinkKprobeMulti(ctypes.Structure):
    _fields_ = [("flags", u32), ("cnt", u32), ("syms", u64), ("addrs", u64), ("cookies", u64)]


class _LinkTracing(ctypes.Structure):
    _fields_ = [("target_btf_id", u32), ("cookie", u64)]


class _LinkUprobeMulti(ctypes.Structure):
    _fields_ = [("path", u64), ("offsets", u64), ("ref_ctr_offsets", u64), ("cookies", u64),
                ("cnt", u32), ("flags", u32), ("pid", u32)]


class _LinkTarget(ctypes.Union):
    _fields_ = [
        ("target_btf_id", u32), ("perf_event", _LinkPerfEvent),
        ("kprobe_multi", _LinkKprobeMulti), ("tracing", _LinkTracing),
        ("uprobe_multi", _LinkUprobeMulti),
    ]


class LinkCreateAttr(ctypes.Structure):
    """BPF_LINK_CREATE (``link_create`` in the union; the inner union is anonymous)."""

    _anonymous_ = ("target",)
    _fields_ = [
        ("prog_fd", u32), ("target_fd", u32), ("attach_type", u32), ("flags", u32),
        ("target", _LinkTarget),
    ]


class ProgInfo(ctypes.Structure):
    """``struct bpf_prog_info`` (the ``gpl_compatible`` bitfield is bit 0 of ``flags``)."""

    _fields_ = [
        ("type", u32), ("id", u32), ("tag", ctypes.c_uint8 * 8), ("jited_prog_len", u32),
        ("xlated_prog_len", u32), ("jited_prog_insns", u64), ("xlated_prog_insns", u64),
        ("load_time", u64), ("created_by_uid", u32), ("nr_map_ids", u32), ("map_ids", u64),
        ("name", NAME), ("ifindex", u32), ("flags", u32), ("netns_dev", u64),
        ("netns_ino", u64), ("nr_jited_ksyms", u32), ("nr_jited_func_lens", u32),
        ("jited_ksyms", u64), ("jited_func_lens", u64), ("btf_id", u32),
        ("func_info_rec_size", u32), ("func_info", u64), ("nr_func_info", u32),
        ("nr_line_info", u32), ("line_info", u64), ("jited_line_info", u64),
        ("nr_jited_line_info", u32), ("line_info_rec_size", u32),
        ("jited_line_info_rec_size", u32), ("nr_prog_tags", u32), ("prog_tags", u64),
        ("run_time_ns", u64), ("run_cnt", u64), ("recursion_misses", u64),
        ("verified_insns", u32), ("attach_btf_obj_id", u32), ("attach_btf_id", u32),
        ("_pad", u32),
    ]


class MapInfo(ctypes.Structure):
    """``struct bpf_map_info``."""

    _fields_ = [
        ("type", u32), ("id", u32), ("key_size", u32), ("value_size", u32),
        ("max_entries", u32), ("map_flags", u32), ("name", NAME), ("ifindex", u32),
        ("btf_vmlinux_value_type_id", u32), ("netns_dev", u64), ("netns_ino", u64),
        ("btf_id", u32), ("btf_key_type_id", u32), ("btf_value_type_id", u32),
        ("_pad", u32), ("map_extra", u64),
    ]


def addr(buf: ctypes.Array | ctypes.Structure | None) -> int:
    """Address of a ctypes object as the u64 the kernel wants (0 for None)."""
    return 0 if buf is None else ctypes.addressof(buf)
