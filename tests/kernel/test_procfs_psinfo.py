"""dlib/procfs.d: psinfo_t pr_argc/pr_argv/pr_envp/pr_dmodel/pr_pgid/pr_sid/pr_ttydev,
lwpsinfo_t pr_name/pr_nice/pr_sname, and members without a translation."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]


def dtrace(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60)


def traced_exec(script: str, argv: list[str], env: dict[str, str]) -> str:
    dt = subprocess.Popen(DTRACE + ["-qn", script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # compile and attach
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL)
        out, err = dt.communicate(timeout=30)
    finally:
        if dt.poll() is None:
            dt.kill()
            dt.wait()
    assert dt.returncode == 0, err
    return out


def test_argv_envp_argc_lp64(tmp_path) -> None:
    prog = tmp_path / "psargvtest"
    os.symlink("/bin/true", prog)
    script = (
        'proc:::exec-success /execname == "psargvtest"/ {'
        " this->argv = (uintptr_t *)copyin(curpsinfo->pr_argv,"
        " curpsinfo->pr_argc * sizeof(uintptr_t));"
        ' printf("%d %d %d|%s|%s|%s|%s\\n", curpsinfo->pr_argc,'
        " curpsinfo->pr_dmodel == PR_MODEL_LP64, curpsinfo->pr_dmodel,"
        " copyinstr(this->argv[0]), copyinstr(this->argv[2]),"
        " copyinstr(*(uintptr_t *)copyin(curpsinfo->pr_envp, sizeof(uintptr_t))),"
        " curlwpsinfo->pr_name); exit(0); }")
    out = traced_exec(script, [str(prog), "first", "second arg"], {"PSENV": "one"})
    assert out.rstrip("\n") == f"3 1 2|{prog}|second arg|PSENV=one|psargvtest"


def _elf32_exit0(path) -> None:
    """A static i386 ELF executable that only calls exit(0) (int $0x80)."""
    code = bytes.fromhex("b801000000" "31db" "cd80")
    base, ehsize, phsize = 0x08048000, 52, 32
    total = ehsize + phsize + len(code)
    eh = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 3, 1,
                     base + ehsize + phsize, ehsize, 0, 0, ehsize, phsize, 1, 0, 0, 0)
    ph = struct.pack("<IIIIIIII", 1, 0, base, base, total, total, 5, 0x1000)
    path.write_bytes(eh + ph + code)
    path.chmod(0o755)


def test_argv_envp_dmodel_ilp32(tmp_path) -> None:
    if os.uname().machine != "x86_64":
        pytest.skip("missing kernel feature: i386 executables")
    prog = tmp_path / "tiny32"
    _elf32_exit0(prog)
    if subprocess.run([str(prog)]).returncode != 0:
        pytest.skip("missing kernel feature: IA32 emulation")
    script = (
        'proc:::exec-success /execname == "tiny32"/ {'
        ' printf("%d %d|%s|%s\\n", curpsinfo->pr_argc, curpsinfo->pr_dmodel == PR_MODEL_ILP32,'
        " copyinstr(((uint32_t *)copyin(curpsinfo->pr_argv, 8))[1]),"
        " copyinstr(*(uint32_t *)copyin(curpsinfo->pr_envp, 4))); exit(0); }")
    out = traced_exec(script, [str(prog), "hello", "there"], {"A": "1"})
    assert out.rstrip("\n") == "3 1|hello|A=1"


def test_ids_tty_and_lwp_members() -> None:
    res = dtrace("-qn", 'BEGIN { printf("%d %d %d %d %c %d %d %d\\n", curpsinfo->pr_pid,'
                 " curpsinfo->pr_pgid, curpsinfo->pr_sid, curpsinfo->pr_ttydev == "
                 "(struct tty_struct *)-1, curlwpsinfo->pr_sname, curlwpsinfo->pr_state == SRUN,"
                 " curlwpsinfo->pr_nice, curpsinfo->pr_argc); exit(0); }",
                 )
    assert res.returncode == 0, res.stderr
    pid, pgid, sid, notty, sname, srun, nice, argc = res.stdout.split()
    assert int(pid) > 0 and int(pgid) == os.getpgid(0)  # a child: same process group
    assert int(sid) == os.getsid(0)  # capture_output: same session, no new one
    assert notty in ("0", "1") and sname == "R" and srun == "1"
    assert int(nice) == os.getpriority(os.PRIO_PROCESS, 0)
    assert int(argc) >= 3  # python -m pydtrace -qn SCRIPT


def test_member_without_translation_is_noconv() -> None:
    res = dtrace("-qn", "BEGIN { trace(curpsinfo->pr_size); exit(0); }")
    assert res.returncode != 0
    assert "translator does not define conversion for member: pr_size" in res.stderr
