"""D libraries: ``-x nolibs``, ``-L DIR`` user libraries, ``-x syslibdir`` (sema.libs).

Compile-only (``-e``) runs: a library's inline resolves or the program fails
with DTrace's wording. The kernel counterparts (running programs, translated
``args[]``) are in tests/kernel/test_dlibs_kernel.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pydtrace import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(["-x", "errtags", "-e", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert out == ""
    return status, err


def libdir(tmp_path: Path, name: str, files: dict[str, str]) -> str:
    d = tmp_path / name
    d.mkdir()
    for fname, text in files.items():
        (d / fname).write_text(text)
    return str(d)


def test_user_library_inline_and_dependency_order(tmp_path, capsys) -> None:
    # z.d sorts first but depends on y.d: y.d must be loaded before it
    d = libdir(tmp_path, "lib", {"z.d": "#pragma D depends_on library y.d\n"
                                 "inline int zz = yy + 1;\n",
                                 "y.d": "inline int yy = 41;\n",
                                 "notes.txt": "inline int ignored = ;\n"})
    assert run(capsys, "-L", d, "-n", "BEGIN { trace(zz); }") == (0, "")
    status, err = run(capsys, "-n", "BEGIN { trace(zz); }")
    assert status == 1 and "[D_IDENT_UNDEF] failed to resolve zz" in err


def test_library_with_unmet_dependency_is_skipped(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "lib", {"p.d": "#pragma D depends_on provider nosuchprov\n"
                                 "inline int fromp = 1;\n",
                                 "q.d": "#pragma D depends_on library p.d\n"
                                 "inline int fromq = 2;\n",
                                 "ok.d": "inline int fromok = 3;\n"})
    assert run(capsys, "-L", d, "-n", "BEGIN { trace(fromok); }") == (0, "")
    for name in ("fromp", "fromq"):  # q.d needs p.d, which failed to load
        status, err = run(capsys, "-L", d, "-n", f"BEGIN {{ trace({name}); }}")
        assert status == 1 and f"failed to resolve {name}" in err


def test_first_directory_wins_and_shadows_bundled(tmp_path, capsys) -> None:
    a = libdir(tmp_path, "a", {"x.d": "inline int which = 1;\n"})
    b = libdir(tmp_path, "b", {"x.d": "inline int which = 2;\ninline int onlyb = 3;\n",
                               "procfs.d": "inline int mine = 4;\n"})
    assert run(capsys, "-L", a, "-L", b, "-n", "BEGIN { trace(which); }") == (0, "")
    status, err = run(capsys, "-L", a, "-L", b, "-n", "BEGIN { trace(onlyb); }")
    assert status == 1 and "failed to resolve onlyb" in err  # b/x.d was skipped
    # a user procfs.d replaces the bundled one: curpsinfo is gone, mine is there
    assert run(capsys, "-L", b, "-n", "BEGIN { trace(mine); }") == (0, "")
    status, err = run(capsys, "-L", b, "-n", "BEGIN { trace(curpsinfo->pr_pid); }")
    assert status == 1 and "failed to resolve curpsinfo" in err


def test_nolibs_loads_no_library(tmp_path, capsys) -> None:
    assert run(capsys, "-n", "BEGIN { trace(EINVAL); }") == (0, "")
    status, err = run(capsys, "-xnolibs", "-n", "BEGIN { trace(EINVAL); }")
    assert status == 1 and "[D_IDENT_UNDEF] failed to resolve EINVAL" in err
    d = libdir(tmp_path, "lib", {"u.d": "inline int fromu = 1;\n"})
    status, err = run(capsys, "-xnolibs", "-L", d, "-n", "BEGIN { trace(fromu); }")
    assert status == 1 and "failed to resolve fromu" in err
    # the program's own declarations still work
    assert run(capsys, "-xnolibs", "-n", "inline int mine = 5;\nBEGIN { trace(mine); }") \
        == (0, "")


def test_syslibdir_replaces_bundled_library(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "sys", {"s.d": "inline int fromsys = 1;\n"})
    assert run(capsys, "-xsyslibdir=" + d, "-n", "BEGIN { trace(fromsys); }") == (0, "")
    status, err = run(capsys, "-xsyslibdir=" + d, "-n", "BEGIN { trace(EINVAL); }")
    assert status == 1 and "failed to resolve EINVAL" in err
    assert run(capsys, "-xsyslibdir=/usr/lib/dtrace", "-n", "BEGIN { trace(EINVAL); }") \
        == (0, "")


def test_library_errors_name_the_file(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "bad", {"bad.d": "\ninline int bad = ;\n"})
    script = tmp_path / "s.d"
    script.write_text("BEGIN { }\n")
    status, err = run(capsys, "-L", d, "-s", str(script))
    assert status == 1
    assert err == (f"dtrace: failed to compile script {script}: [D_SYNTAX] "
                   f'"{d}/bad.d", line 2: syntax error near ";"\n')
    missing = libdir(tmp_path, "missing", {"m.d": "#pragma D depends_on library n.d\n"})
    status, err = run(capsys, "-L", missing, "-s", str(script))
    assert status == 1
    assert f"Invalid library dependency in {missing}/m.d: {missing}/n.d" in err
    cyc = libdir(tmp_path, "cyc", {"c1.d": "#pragma D depends_on library c2.d\n",
                                   "c2.d": "#pragma D depends_on library c1.d\n"})
    status, err = run(capsys, "-L", cyc, "-s", str(script))
    assert status == 1 and "Cyclic dependency detected: " in err


def test_user_library_may_depend_on_bundled_library(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "lib", {"u.d": "#pragma D depends_on library errno.d\n"
                                 "inline int myerr = EINVAL + 1000;\n"})
    assert run(capsys, "-L", d, "-n", "BEGIN { trace(myerr); }") == (0, "")


def test_library_uses_typedef_of_its_dependency(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "lib", {"a.d": "#pragma D depends_on library b.d\n"
                                 "inline mycount_t mv = 3;\n",
                                 "b.d": "typedef unsigned int mycount_t;\n"})
    assert run(capsys, "-L", d, "-n", "BEGIN { trace(mv); }") == (0, "")


def test_library_error_location_on_command_line_programs(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "bad", {"bad.d": "inline int bad = ;\n"})
    status, err = run(capsys, "-L", d, "-n", "BEGIN { }")
    assert status == 1
    assert err == ('dtrace: invalid probe specifier BEGIN { }: [D_SYNTAX] '
                   f'"{d}/bad.d", line 1: syntax error near ";"\n')


def test_user_library_uses_bundled_types(tmp_path, capsys) -> None:
    d = libdir(tmp_path, "lib", {"ps.d": "inline psinfo_t *myps = curpsinfo;\n"})
    assert run(capsys, "-L", d, "-n", "BEGIN { trace(myps->pr_pid); }") == (0, "")
