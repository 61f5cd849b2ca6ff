"""Kernel symbols against the running kernel (pydtrace.sema.ksyms): typing from
BTF, ``-x linkmode``/``-x knodefs`` relocations, ``-x amin`` on a symbol."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def dtrace(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DTRACE, *args], capture_output=True, text=True, timeout=60,
                          check=False)
    assert "Traceback" not in proc.stderr
    return proc


def kallsyms_address(name: str) -> int:
    with open("/proc/kallsyms") as f:
        for line in f:
            parts = line.split()
            if parts[2] == name and len(parts) == 3:
                return int(parts[0], 16)
    raise AssertionError(f"{name} not in /proc/kallsyms")


ADDR_PROG = 'BEGIN { printf("%x\\n", (uint64_t)&`vfs_read); exit(0); }'


def test_dynamic_linkmode_leaves_a_relocation(tmp_path) -> None:
    script = tmp_path / "t.d"
    script.write_text("BEGIN\n{\n\ttrace(&`vfs_read);\n}\n")
    proc = dtrace("-x", "errtags", "-e", "-x", "linkmode=dynamic", "-s", str(script))
    assert proc.returncode == 1
    assert re.fullmatch(rf"dtrace: failed to compile script {re.escape(str(script))}: "
                        r"\[D_ASRELO\] line 3: relocation remains against primary kernel "
                        r"symbol vmlinux`vfs_read \(offset 0x[0-9a-f]+\)\n", proc.stderr), \
        proc.stderr


@pytest.mark.parametrize("flags", [(), ("-x", "linkmode=primary"), ("-x", "linkmode=static"),
                                   ("-x", "linkmode=dynamic", "-x", "knodefs")])
def test_symbol_address_is_resolved_at_compile_time(flags: tuple[str, ...]) -> None:
    proc = dtrace("-q", *flags, "-n", ADDR_PROG)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip(), 16) == kallsyms_address("vfs_read")


def test_function_symbol_has_a_function_pointer_type() -> None:
    proc = dtrace("-q", "-n", 'BEGIN { x = `vfs_read; y = &`vfs_read; '
                  'printf("%d %d\\n", sizeof (x), sizeof (*y)); exit(0); }')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "8 8"
    # libdtrace types a function symbol int (*)(): its value is a function pointer
    proc = dtrace("-x", "errtags", "-e", "-n", "BEGIN { trace(*`vfs_read); }")
    assert "[D_DEREF_FUNC] cannot dereference pointer to function" in proc.stderr


def test_amin_applies_to_symbols() -> None:
    proc = dtrace("-x", "errtags", "-e", "-x", "amin=Private/Private/ISA", "-n",
                  "BEGIN { trace(&`vfs_read); }")
    assert proc.returncode == 1
    assert proc.stderr.endswith("[D_ATTR_MIN] attributes for symbol vmlinux`vfs_read "
                                "(Private/Private/Unknown) are less than predefined "
                                "minimum\n"), proc.stderr
    assert dtrace("-e", "-x", "amin=Private/Private/Unknown", "-n",
                  "BEGIN { trace(&`vfs_read); }").returncode == 0


def test_probe_attributes_against_amin() -> None:
    ok = dtrace("-e", "-x", "amin=Evolving/Evolving/Common", "-n", "syscall::read:entry")
    assert ok.returncode == 0, ok.stderr
    bad = dtrace("-x", "errtags", "-e", "-x", "amin=Evolving/Evolving/Common", "-n",
                 "sched:::on-cpu")
    assert bad.returncode == 1
    assert "[D_ATTR_MIN] attributes for clause (Evolving/Evolving/ISA) are less than " \
        "predefined minimum" in bad.stderr
