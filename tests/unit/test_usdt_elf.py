"""ELF reading, SDT operand parsing and pid-provider naming (no root needed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pydtrace.codegen.uprobe import SdtArgError, parse_sdt_arg, parse_sdt_args
from pydtrace.elf import ElfError, ElfFile, demangle, open_elf
from pydtrace.providers.pid import module_matches
from pydtrace.providers.usdt import USDT_RE

PYTHON = "/usr/bin/python3.11"


def test_sdt_register_operands():
    assert parse_sdt_arg("8@%rdi") == ("reg", 112, 0, 8, False)
    assert parse_sdt_arg("-4@%eax") == ("reg", 80, 0, 4, True)
    assert parse_sdt_arg("1@%ah") == ("reg", 80, 8, 1, False)
    assert parse_sdt_arg("-4@%r14d") == ("reg", 8, 0, 4, True)
    assert parse_sdt_arg("1@%sil") == ("reg", 104, 0, 1, False)


def test_sdt_constants_and_memory():
    assert parse_sdt_arg("-4@$5") == ("imm", 5, 4, True)
    assert parse_sdt_arg("-4@$-3") == ("imm", -3, 4, True)
    assert parse_sdt_arg("8@-16(%rbp)") == ("mem", 32, -1, 1, -16, 8, False)
    assert parse_sdt_arg("-4@112(%rsp)") == ("mem", 152, -1, 1, 112, 4, True)
    assert parse_sdt_arg("8@(%rdi)") == ("mem", 112, -1, 1, 0, 8, False)
    assert parse_sdt_arg("8@8(%rax,%rbx,4)") == ("mem", 80, 40, 4, 8, 8, False)


def test_sdt_rip_relative_uses_symbols_and_pc():
    syms = {"Stats": 0x5000}.get
    args = parse_sdt_args("8@52+Stats(%rip) 4@Stats(%rip)", 0x1000, syms)
    assert args[0] == ("mem", -2, -1, 1, 0x5000 + 52 - 0x1000, 8, False)
    assert args[1] == ("mem", -2, -1, 1, 0x4000, 4, False)


def test_sdt_bad_operands():
    for bad in ("8@%xyz", "3@%rax", "8@foo(%rip)", "8@junk"):
        with pytest.raises(SdtArgError):
            parse_sdt_args(bad, 0, {}.get)


def test_module_aliases():
    assert module_matches("a.out", "fib", True)
    assert not module_matches("a.out", "libc.so.6", False)
    assert module_matches("libc", "libc.so.6", False)
    assert module_matches("libc.so.6", "libc.so.6", False)
    assert module_matches("lib*", "libc.so.6", False)
    assert not module_matches("lib?", "libc.so.6", False)
    assert module_matches("", "anything", False)


def test_usdt_provider_names():
    assert USDT_RE.match("python1234").groups() == ("python", "1234")
    assert USDT_RE.match("postgresql77").groups() == ("postgresql", "77")
    assert USDT_RE.match("python") is None


def test_not_elf(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"not an elf file at all" * 4)
    with pytest.raises(ElfError):
        ElfFile(str(p))


@pytest.mark.skipif(not os.path.exists(PYTHON), reason="python3.11 not installed")
def test_python_stapsdt_notes():
    elf = open_elf(PYTHON)
    names = {n.name for n in elf.sdt_notes if n.provider == "python"}
    assert {"function__entry", "function__return", "gc__start"} <= names
    entry = next(n for n in elf.sdt_notes if n.name == "function__entry")
    assert entry.semaphore and elf.data_offset(entry.semaphore)
    assert elf.vaddr_to_offset(entry.pc) is not None
    assert len(parse_sdt_args(entry.args, entry.pc, elf.data_symbol)) == 3


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc")
def test_symbols_pie_and_non_pie(tmp_path):
    src = tmp_path / "t.c"
    src.write_text("__attribute__((noinline)) int work(int x) { return x * 3; }\n"
                   "static __attribute__((noinline)) int hidden(int x) { return x + 1; }\n"
                   "int main(int c, char **v) { return work(c) + hidden(c); }\n")
    for flags in (["-pie", "-fPIE"], ["-no-pie", "-fno-PIE"]):
        exe = tmp_path / f"t{flags[0]}"
        subprocess.run(["gcc", "-O1", *flags, "-o", str(exe), str(src)], check=True)
        elf = open_elf(str(exe))
        assert elf.is_pie == (flags[0] == "-pie")
        work = elf.functions["work"]
        assert "hidden" in elf.functions
        off = elf.vaddr_to_offset(work.value)
        assert elf.offset_to_vaddr(off) == work.value
        assert elf.symbolize(work.value + 1).name == "work"
        assert elf.symbolize(0) is None


@pytest.mark.skipif(shutil.which("c++filt") is None, reason="no c++filt")
def test_demangle():
    assert demangle(["_ZN3foo3barEv", "main"]) == {"_ZN3foo3barEv": "foo::bar()"}
