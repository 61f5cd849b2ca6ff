"""``dtrace -C``: the C preprocessor over scripts (pydtrace.cpp), no kernel needed.

Compile-only runs (``-e``) through ``cli.main``; cpp must be installed.
"""

from __future__ import annotations

import shutil

import pytest

from pydtrace import cli
from pydtrace.cpp import LineMap, cpp_argv, strip_markers
from pydtrace.errors import DCompileError
from pydtrace.options import Options

pytestmark = pytest.mark.skipif(shutil.which("cpp") is None, reason="no cpp installed")

HEADER = """\
/* inc.h: a local header */
#define GREETING "hello"
#define TWICE(x) ((x) * 2)

inline int answer = 42;
#ifdef BAD
/* 7 */
/* 8 */
/* 9 */
/* 10 */
/* 11 */
BEGIN { y = nosuchvariable; }
#endif
"""

SCRIPT = """\
#include "inc.h"
#define N 21
#if N > 20
BEGIN { printf("%s %d %d\\n", GREETING, TWICE(N), answer); exit(0); }
#else
BEGIN { this is not D }
#endif
"""


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def scripts(tmp_path):
    (tmp_path / "inc.h").write_text(HEADER)
    (tmp_path / "x.d").write_text(SCRIPT)
    return tmp_path


def test_define_include_if_compile(scripts, capsys):
    status, out, err = run(capsys, "-C", "-e", "-s", str(scripts / "x.d"))
    assert (status, err) == (0, "")


def test_without_C_define_is_an_invalid_control_directive(scripts, capsys):
    status, _, err = run(capsys, "-e", "-s", str(scripts / "x.d"))
    assert status == 1
    assert "invalid control directive" in err


def test_error_in_included_file_names_file_and_line(scripts, capsys):
    path = scripts / "x.d"
    status, _, err = run(capsys, "-C", "-D", "BAD", "-e", "-s", str(path))
    assert status == 1
    assert err == (f'dtrace: failed to compile script {path}: "{scripts / "inc.h"}", '
                   "line 12: failed to resolve nosuchvariable: Unknown variable name\n")


def test_error_in_main_script_after_include_keeps_script_line(scripts, capsys):
    path = scripts / "y.d"
    path.write_text('#include "inc.h"\n\n/* 3 */\nBEGIN { x = ; }\n')
    status, _, err = run(capsys, "-C", "-x", "errtags", "-e", "-s", str(path))
    assert status == 1
    assert err == f'dtrace: failed to compile script {path}: [D_SYNTAX] line 4: ' \
                  'syntax error near ";"\n'


def test_checker_error_in_main_script_line(scripts, capsys):
    path = scripts / "z.d"
    path.write_text('#include "inc.h"\n#define V nosuch\n\nBEGIN { trace(V); }\n')
    status, _, err = run(capsys, "-C", "-e", "-s", str(path))
    assert status == 1
    assert f"failed to compile script {path}: line 4: failed to resolve nosuch" in err


def test_predefined_macros(tmp_path, capsys):
    path = tmp_path / "m.d"
    path.write_text("#if defined(__linux) && defined(__unix) && __SUNW_D == 1 && "
                    "defined(__SUNW_D_64) && __SUNW_D_VERSION >= 0x02000000 && "
                    "!defined(__GNUC__)\nBEGIN { exit(0); }\n#else\n#error wrong\n#endif\n")
    status, _, err = run(capsys, "-C", "-e", "-s", str(path))
    assert (status, err) == (0, "")


def test_D_and_U_and_I(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "h.h").write_text("#define FROM_H 1\n")
    path = tmp_path / "d.d"
    path.write_text("#include <h.h>\n#if FOO == 7 && !defined(__linux) && FROM_H\n"
                    "BEGIN { exit(0); }\n#endif\n")
    status, _, err = run(capsys, "-C", "-DFOO=7", "-U", "__linux", "-I", str(tmp_path / "sub"),
                         "-e", "-s", str(path))
    assert (status, err) == (0, "")


def test_cpp_failure_message(tmp_path, capsys):
    path = tmp_path / "e.d"
    path.write_text('#include "does-not-exist.h"\nBEGIN {}\n')
    status, _, err = run(capsys, "-C", "-e", "-s", str(path))
    assert status == 1
    assert err.endswith(f"dtrace: failed to compile script {path}: "
                        "Preprocessor failed to process input program\n")


def test_cpp_not_found(tmp_path, capsys):
    path = tmp_path / "e.d"
    path.write_text("BEGIN {}\n")
    status, _, err = run(capsys, "-C", "-x", "cpppath=/nonexistent/cpp", "-e", "-s", str(path))
    assert status == 1
    assert err == f"dtrace: failed to compile script {path}: Preprocessor not found\n"


def test_H_lists_includes(scripts, capfd):
    status, _, err = run(capfd, "-C", "-H", "-e", "-s", str(scripts / "x.d"))
    assert status == 0
    assert f". {scripts / 'inc.h'}" in err


def test_interpreter_line_is_skipped(tmp_path, capsys):
    path = tmp_path / "i.d"
    path.write_text("#!/usr/sbin/dtrace -Cs\n#define Z 0\nBEGIN { exit(Z); }\n")
    status, _, err = run(capsys, "-C", "-e", "-s", str(path))
    assert (status, err) == (0, "")


def test_cpp_only_for_scripts(capsys):
    # -n programs never go through cpp (dt_compile only preprocesses files)
    status, _, err = run(capsys, "-C", "-e", "-n", "BEGIN { exit(0); }")
    assert (status, err) == (0, "")


def test_flags_accepted_without_C(capsys):
    status, _, err = run(capsys, "-D", "X=1", "-U", "Y", "-I", "/tmp", "-H", "-e",
                         "-n", "BEGIN { exit(0); }")
    assert (status, err) == (0, "")


def test_strip_markers_maps_lines():
    text, lm = strip_markers('# 1 "/dev/stdin"\n# 1 "<built-in>"\n# 1 "<command-line>"\n'
                             '# 1 "/dev/stdin"\n# 1 "/x/inc.h" 1\nA\n\nB\n'
                             '# 3 "/dev/stdin" 2\nC\n')
    assert text.split("\n")[:4] == ["A", "", "B", "C"]
    assert lm.lookup(1) == ("/x/inc.h", 1)
    assert lm.lookup(3) == ("/x/inc.h", 3)
    assert lm.lookup(4) == (None, 3)
    err = lm.relocate(DCompileError("D_SYNTAX", "m", 3))
    assert (err.file, err.line) == ("/x/inc.h", 3)
    assert lm.relocate(err).line == 3  # only once


def test_linemap_default_is_identity():
    assert LineMap().lookup(7) == (None, 7)


def test_argv_modes():
    opts = Options()
    assert "-std=c99" in cpp_argv(opts)
    opts.set("stdc", "s")
    assert "-traditional-cpp" in cpp_argv(opts)
    opts.set("cpphdrs", None)
    assert "-H" in cpp_argv(opts)
