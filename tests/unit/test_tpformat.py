"""Tracepoint format parsing (providers.tpformat)."""

from __future__ import annotations

from pydtrace.providers import tpformat as T

OPENAT = """name: sys_enter_openat
ID: 782
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;
\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;

print fmt: "dfd: 0x%08lx", ((unsigned long)(REC->dfd))
"""

SWITCH = """format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] comm;\toffset:28;\tsize:4;\tsigned:0;
\tfield:short prio;\toffset:32;\tsize:2;\tsigned:1;
"""


def test_parse_all_fields_in_order() -> None:
    fields = T.parse_format(OPENAT)
    assert [f.name for f in fields] == ["common_type", "common_flags",
                                       "common_preempt_count", "common_pid", "__syscall_nr",
                                       "dfd", "filename", "flags", "mode"]
    filename = fields[6]
    assert (filename.ctype, filename.offset, filename.size, filename.signed) == \
        ("const char *", 24, 8, False)
    assert fields[3].signed and fields[3].ctype == "int"


def test_event_fields_drop_common() -> None:
    names = [f.name for f in T.event_fields(OPENAT)]
    assert names == ["__syscall_nr", "dfd", "filename", "flags", "mode"]


def test_split_decl_arrays_and_pointers() -> None:
    assert T.split_decl("char prev_comm[16]") == ("char", "prev_comm[16]")
    assert T.split_decl("const char * filename") == ("const char *", "filename")
    assert T.split_decl("__data_loc char[] comm") == ("__data_loc char[]", "comm")
    assert T.split_decl("unsigned long long x") == ("unsigned long long", "x")


def test_arg_layout_modes() -> None:
    fields = T.event_fields(SWITCH)
    assert T.arg_layout(fields) == ((8, 8, False, T.ADDRESS), (24, 4, True, T.VALUE),
                                    (28, 4, False, T.DATA_LOC), (32, 2, True, T.VALUE))
    assert [T.arg_type(f) for f in fields] == ["char *", "pid_t", "char *", "short"]


def test_arg_layout_limit() -> None:
    text = "\n".join(f"\tfield:int a{i};\toffset:{8 + 4 * i};\tsize:4;\tsigned:1;"
                     for i in range(12))
    layout = T.arg_layout(T.event_fields(text))
    assert len(layout) == 10
    assert layout[9] == (44, 4, True, T.VALUE)
