"""Limits of the compiler and its last resort: D_NOREG, D_ID_OFLOW, D_UNKNOWN.

* D_NOREG: values live at once beyond R0-R9 and the 512-byte frame's spill slots.
* D_ID_OFLOW: globals and thread-locals take ids from DIF_VAR_OTHER_UBASE (0x500)
  up to DIF_VAR_OTHER_MAX (0xffff), as dt_idhash_nextid hands them out.
* D_UNKNOWN: libctf's refusals (duplicate member / enumerator names) and any
  unexpected exception while compiling (``internal error -- ...``).
* Loads and stores beyond the 16-bit offset field (big global arrays).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pydtrace import cli
from pydtrace.bpf import insn as I
from pydtrace.bpf.opcodes import ADD, ALU64, DW, MOV, R1, K, X
from pydtrace.codegen.emit import Emitter
from pydtrace.codegen.regalloc import RegistersExhausted, assign
from pydtrace.sema.symbols import MAX_USER_VARS

IDS = 0xFFFF - 0x500  # user variables per class


def compile_d(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str,
              *flags: str) -> tuple[int, str]:
    path = tmp_path / "t.d"
    path.write_text(program)
    status = cli.main(["-e", *flags, "-s", str(path)])
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    return status, err.replace(f"dtrace: failed to compile script {path}: ", "")


def nested(n: int) -> str:
    """``a * 1 + (a * 2 + (... + a * n))``: the left operands stay live."""
    return " + (".join(f"a * {i}" for i in range(1, n + 1)) + ")" * (n - 1)


# ---------------------------------------------------------------- D_NOREG


def test_register_exhaustion_is_d_noreg(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status, err = compile_d(tmp_path, capsys, f"BEGIN\n{{\n\ta = 1;\n\tx = {nested(80)};\n}}\n",
                            "-x", "errtags")
    assert status == 1
    assert err == "[D_NOREG] line 1: Insufficient registers to generate code\n"


def test_spilling_up_to_the_frame_limit_compiles(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, err = compile_d(tmp_path, capsys, f"BEGIN {{ a = 1; trace({nested(72)}); }}")
    assert (status, err) == (0, "")


def test_only_exhaustion_is_registers_exhausted() -> None:
    with pytest.raises(ValueError, match="unknown label") as info:
        assign([I.ja("x"), I.exit_insn()], frame_size=0)
    assert not isinstance(info.value, RegistersExhausted)


# ---------------------------------------------------------------- D_ID_OFLOW


def test_id_space_matches_dif() -> None:
    assert MAX_USER_VARS == IDS == 64255


def test_last_global_id_is_usable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decl = "int " + ", ".join(f"v{i}" for i in range(IDS)) + ";\n"
    status, err = compile_d(tmp_path, capsys, decl + f"BEGIN {{ v{IDS - 1} = 1; }}")
    assert (status, err) == (0, "")


@pytest.mark.parametrize(("decl", "use", "space"), [
    ("int", "w = 1;", "global"),  # implicit scalar
    ("int", "w[1] = 1;", "global"),  # associative array
    ("self int", "self->w = 1;", "thread local"),
    ("self int", "self->w[1] = 1;", "thread local"),
])
def test_identifier_space_overflow(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   decl: str, use: str, space: str) -> None:
    decls = f"{decl} " + ", ".join(f"v{i}" for i in range(IDS)) + ";\n"
    status, err = compile_d(tmp_path, capsys, decls + f"BEGIN\n{{\n\t{use}\n}}\n",
                            "-x", "errtags")
    assert status == 1
    assert err == (f"[D_ID_OFLOW] line 4: cannot create w: limit on number of {space} "
                   "variables exceeded\n")


def test_clause_locals_have_their_own_space(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    decls = "int " + ", ".join(f"v{i}" for i in range(IDS)) + ";\n"
    status, err = compile_d(tmp_path, capsys, decls + "BEGIN { this->w = 1; self->t = 2; }")
    assert (status, err) == (0, "")


# ---------------------------------------------------------------- D_UNKNOWN


@pytest.mark.parametrize(("program", "message"), [
    ("struct s {\n\tint a;\n\tint a;\n};", "line 3: failed to define member 'a'"),
    ("union u {\n\tint a;\n\tchar a;\n};", "line 3: failed to define member 'a'"),
    ("struct s {\n\tint a : 3;\n\tint a : 2;\n};", "line 3: failed to define member 'a'"),
    ("enum e { A, B, A };", "line 1: failed to define enumerator 'A'"),
])
def test_duplicate_names_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     program: str, message: str) -> None:
    status, err = compile_d(tmp_path, capsys, program + "\nBEGIN { }", "-x", "errtags")
    assert status == 1
    assert err == f"[D_UNKNOWN] {message}: Duplicate member name definition\n"


def test_distinct_names_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = ("struct s { int a : 3; int : 2; int : 3; int b; };\n"
               "struct t { int a; struct s a2; };\nenum e { A, B };\nenum f { C, D } x, y;\n"
               "BEGIN { }")
    assert compile_d(tmp_path, capsys, program) == (0, "")


def test_bit_field_errors_come_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = compile_d(tmp_path, capsys, "struct s { int a; string a : 3; };\nBEGIN { }",
                            "-x", "errtags")
    assert status == 1 and err.startswith("[D_DECL_BFTYPE]")


def test_internal_error_is_d_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pydtrace.sema.check import Checker

    def broken(self, program):
        raise RuntimeError("boom")

    monkeypatch.delenv("PYDTRACE_DEBUG", raising=False)
    monkeypatch.setattr(Checker, "check", broken)
    status, err = compile_d(tmp_path, capsys, "BEGIN { }", "-x", "errtags")
    assert status == 1
    assert err == "[D_UNKNOWN] internal error -- RuntimeError: boom\n"
    assert cli.main(["-e", "-n", "BEGIN { }"]) == 1
    assert capsys.readouterr().err == ("dtrace: invalid probe specifier BEGIN { }: "
                                       "internal error -- RuntimeError: boom\n")
    monkeypatch.setenv("PYDTRACE_DEBUG", "1")  # the raw exception, traceback and all
    assert cli.main(["-e", "-n", "BEGIN { }"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("dtrace: internal error: RuntimeError: boom\n")


# ---------------------------------------------------------------- far loads and stores


@pytest.mark.parametrize("off", [0x8000, -0x8001, 4_000_000, 1 << 33])
def test_far_offsets_go_through_the_base(off: int) -> None:
    em = Emitter("t")
    base, val = em.vreg(), em.vreg()
    em.emit(I.stx(DW, base, off, val))
    *setup, store = em.items
    assert store.code == I.stx(DW, 0, 0, 0).code and store.off == 0 and store.src == val
    copy = setup[0]
    assert copy.code == ALU64 | MOV | X and copy.src == base and copy.dst == store.dst
    if -(1 << 31) <= off < 1 << 31:
        assert setup[1].code == ALU64 | ADD | K and setup[1].imm == off
    else:
        assert setup[-1].code == ALU64 | ADD | X and setup[-1].dst == store.dst
    em.emit(I.ldx(DW, val, R1, off))
    assert em.items[-1].off == 0 and em.items[-1].src != R1


def test_near_offsets_are_untouched() -> None:
    em = Emitter("t")
    em.emit(I.ldx(DW, em.vreg(), R1, 0x7FFF))
    em.emit(I.st_imm(DW, R1, -0x8000, 1))
    assert [i.off for i in em.items] == [0x7FFF, -0x8000]
