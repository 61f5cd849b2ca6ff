"""``-x amin`` (D_ATTR_MIN) and the kernel-symbol rules of pydtrace.sema.ksyms
(linkmode relocations, data model, missing types) that need no kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from pydtrace import cli
from pydtrace.lang import ast as A
from pydtrace.options import OptionError, Options
from pydtrace.sema import ksyms
from pydtrace.sema.check import Checker
from pydtrace.stability import below, parse_attrs


@pytest.mark.parametrize(("text", "attrs"), [
    ("", ("Standard", "Standard", "Common")),
    ("Stable", ("Stable", "Standard", "Common")),
    ("stable/", ("Stable", "Standard", "Common")),
    ("Evolving/private/isa", ("Evolving", "Private", "ISA")),
    ("Stable/Stable/Common/", ("Stable", "Stable", "Common")),
])
def test_amin_parsing(text: str, attrs: tuple[str, str, str]) -> None:
    assert parse_attrs(text) == attrs


@pytest.mark.parametrize("text", ["Bogus", "Stable//Common", "Stable/Stable/Common/x",
                                  "Stable/Stable/Stable", "Stable/Stable/Common//"])
def test_bad_amin_is_refused(text: str) -> None:
    assert parse_attrs(text) is None
    with pytest.raises(OptionError) as info:
        Options().set("amin", text)
    assert info.value.message == "failed to set -x amin: Invalid value for specified option"


def test_below_compares_each_part() -> None:
    assert below(("Stable", "Stable", "Common"), ("Stable", "Standard", "Common"))
    assert below(("Stable", "Stable", "ISA"), ("Private", "Private", "Common"))
    assert not below(("Stable", "Stable", "Common"), ("Evolving", "Evolving", "ISA"))


def compile_status(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str,
                   *flags: str) -> tuple[int, str]:
    path = tmp_path / "t.d"
    path.write_text(program)
    status = cli.main(["-x", "errtags", "-e", *flags, "-s", str(path)])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("amin", ["Stable/Stable/Common", "Private/Private/Unknown",
                                  "Evolving/Evolving"])
def test_amin_at_or_below_the_clause_compiles(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              amin: str) -> None:
    status, err = compile_status(tmp_path, capsys, "BEGIN { }", f"-xamin={amin}")
    assert status == 0, err


def test_amin_leaves_out_parts_at_their_maximum(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # "Evolving" is Evolving/Standard/Common: the clause's Stable data is below it
    status, err = compile_status(tmp_path, capsys, "BEGIN { }", "-xamin=Evolving")
    assert status == 1 and "(Stable/Stable/Common) are less than" in err


def test_amin_by_pragma(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = compile_status(tmp_path, capsys,
                                 "#pragma D option amin=Standard\nBEGIN { }")
    assert status == 1
    assert "[D_ATTR_MIN] line 2: attributes for clause (Stable/Stable/Common)" in err


def test_amin_unset_checks_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_status(tmp_path, capsys, "BEGIN { }")[0] == 0


# ---------------------------------------------------------------- sema.ksyms, kernel faked


def checker(*options: tuple[str, str | None], model: int = 64) -> Checker:
    ck = Checker()
    ck.options = Options()
    for name, value in options:
        ck.options.set(name, value)
    ck.data_model = model
    return ck


@pytest.fixture
def fake_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """`vfs_read in vmlinux, `mod_fn in module 'kmod', both typed; `_stext untyped."""
    from pydtrace.sema import kernel

    mods = {"vfs_read": "vmlinux", "mod_fn": "kmod", "_stext": "vmlinux"}
    monkeypatch.setattr(kernel, "kernel_module_of", mods.get)
    monkeypatch.setattr(ksyms, "btf_type",
                        lambda mod, name: None if name == "_stext" else ksyms.FUNC_PTR)


def sym(name: str) -> A.ExternIdent:
    return A.ExternIdent(name=name, module=None, line=3)


@pytest.mark.usefixtures("fake_kernel")
@pytest.mark.parametrize(("linkmode", "name", "kind"), [
    ("kernel", "vfs_read", None), ("static", "mod_fn", None),
    ("primary", "vfs_read", None), ("primary", "mod_fn", "loadable kernel"),
    ("dynamic", "vfs_read", "primary kernel"), ("dynamic", "mod_fn", "loadable kernel"),
])
def test_linkmode_relocations(linkmode: str, name: str, kind: str | None) -> None:
    ck = checker(("linkmode", linkmode))
    n = sym(name)
    assert ksyms.symbol_type(ck, n) is ksyms.FUNC_PTR
    if kind is None:
        assert n not in ck.an.relocs
        return
    mod = "vmlinux" if name == "vfs_read" else "kmod"
    err = ksyms.relocation_error(ck.an, n, 0x1c)
    assert err is not None and err.tag == "D_ASRELO" and err.line == 3
    assert err.message == f"relocation remains against {kind} symbol {mod}`{name} (offset 0x1c)"


@pytest.mark.usefixtures("fake_kernel")
def test_knodefs_permits_relocations() -> None:
    ck = checker(("linkmode", "dynamic"), ("knodefs", None))
    n = sym("mod_fn")
    ksyms.symbol_type(ck, n)
    assert not ck.an.relocs and ksyms.relocation_error(ck.an, n, 0) is None


@pytest.mark.usefixtures("fake_kernel")
def test_symbol_rules_in_order() -> None:
    with pytest.raises(Exception) as info:
        ksyms.symbol_type(checker(model=32), sym("_stext"))  # the model is checked first
    assert info.value.tag == "D_SYM_MODEL"
    assert info.value.message == "cannot use 64-bit symbol vmlinux`_stext in a 32-bit D program"
    with pytest.raises(Exception) as info:
        ksyms.symbol_type(checker(), sym("_stext"))
    assert info.value.tag == "D_SYM_NOTYPES"
    with pytest.raises(Exception) as info:
        ksyms.symbol_type(checker(("amin", "Private/Private/ISA")), sym("vfs_read"))
    assert info.value.tag == "D_ATTR_MIN"
    assert info.value.message == ("attributes for symbol vmlinux`vfs_read "
                                  "(Private/Private/Unknown) are less than predefined minimum")
    assert ksyms.symbol_type(checker(("amin", "Private/Private/Unknown")), sym("vfs_read"))
