"""rawtp, typed sdt args, the D library (io.d, sched.d, errno.d, signal.d), io/proc/sched
DTrace arguments, fbt (verifier load; attach needs kprobes or fentry), the seed examples."""

from __future__ import annotations

import mmap
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FEATURE_PREFIX

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def dtrace(*args: str) -> str:
    res = subprocess.run(DTRACE + list(args), capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def traced(args: list[str], activity, wait: float = 2.0) -> str:
    """Runs dtrace, generates ``activity()`` once it is attached, returns its output."""
    dt = subprocess.Popen(DTRACE + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT)
    time.sleep(wait)
    activity()
    out, err = dt.communicate(timeout=60)
    assert dt.returncode == 0, err
    return out


def direct_io(n: int = 20) -> None:
    """O_DIRECT writes and reads of a file on the root disk (page-aligned mmap buffer)."""
    path = f"/var/tmp/pydtrace-dio-{os.getpid()}.dat"
    buf = mmap.mmap(-1, 65536)
    buf.write(b"x" * 65536)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_DIRECT, 0o600)
    try:
        for i in range(n):
            os.pwrite(fd, memoryview(buf)[:4096 * (1 + i % 4)], i * 65536)
            os.preadv(fd, [memoryview(buf)[:4096]], i * 65536)
    finally:
        os.close(fd)
        os.unlink(path)


def udp_to_lo(n: int = 5) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(n):
            s.sendto(b"x" * 100, ("127.0.0.1", 9))  # discard port: nobody listens


# ------------------------------------------------------------------ rawtp


def test_rawtp_typed_args_and_listing() -> None:
    out = dtrace("-lv", "-n", "rawtp:sched::sched_switch")
    assert "rawtp" in out and "args[1]: struct task_struct *" in out
    assert "args[0]: bool" in out and "args[3]: unsigned int" in out
    out = dtrace("-qn", "rawtp:sched::sched_switch { @[stringof(args[2]->comm) != \"\"] "
                 "= count(); } tick-1s { exit(0); }")
    assert int(out.split()[-1]) > 0


def test_rawtp_probes_share_a_program() -> None:
    out = dtrace("-qn", "rawtp:sched::sched_wakeup, rawtp:sched::sched_waking "
                 "{ @[probename] = count(); } tick-1s { exit(0); }")
    assert "sched_waking" in out
    res = subprocess.run(DTRACE + ["-eS", "-n", "rawtp:sched::sched_wakeup, "
                                   "rawtp:sched::sched_waking { @ = count(); }"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert (res.stdout + res.stderr).count("dt_rawtp_") == 1


def test_rawtp_signed_args() -> None:
    # signal_generate(int sig, ...): sign-extended from 32 bits
    out = traced(["-qn", "rawtp:signal::signal_generate /args[0] == SIGUSR2/ "
                  "{ printf(\"%d %d\\n\", arg0, args[0]); exit(0); }"],
                 lambda: subprocess.run(["/bin/sh", "-c", "trap '' USR2; kill -USR2 $$"]))
    assert out.split() == ["12", "12"]


# ------------------------------------------------------------------ sdt typed args


def test_sdt_data_loc_string_arg() -> None:
    out = traced(["-qn", "sdt:sched::sched_process_exec /args[1] == args[2]/ "
                  "{ printf(\"%s\\n\", stringof(args[0])); } tick-3s { exit(0); }"],
                 lambda: subprocess.run(["/bin/true"]))
    assert "/bin/true" in out.split()


def test_sdt_inline_array_arg() -> None:
    out = dtrace("-qn", "sdt:sched::sched_switch { @[stringof(args[0])] = count(); } "
                 "tick-1s { exit(0); }")
    assert out.strip()


# ------------------------------------------------------------------ D library


def test_dlib_constants_and_curcpu() -> None:
    out = dtrace("-qn", "BEGIN { printf(\"%d %d %d %d %d %d %d\\n\", EPERM, ENOENT, EAGAIN, "
                 "SIGHUP, SIGKILL, B_WRITE, curcpu->cpu_id == cpu); exit(0); }")
    assert out.split() == ["1", "2", "11", "1", "9", "256", "1"]


# ------------------------------------------------------------------ io, proc, sched


def test_io_start_done_args() -> None:
    out = traced(["-qn", "io:::start /args[0]->b_flags & B_WRITE/ "
                  "{ printf(\"%d %d %s %s\\n\", args[0]->b_bcount, args[1]->dev_major, "
                  "args[1]->dev_statname, args[2]->fi_name); } "
                  "io:::done /args[0]->b_flags & B_READ/ { @reads = count(); } "
                  "tick-4s { exit(0); }"], direct_io)
    rows = [line.split() for line in out.splitlines() if len(line.split()) == 4]
    assert rows and any(int(r[0]) >= 4096 and r[3] == "<unknown>" for r in rows)
    assert int(out.split()[-1]) >= 1  # reads done


def test_io_latency_quantize() -> None:
    out = traced(["-qn", "io:::start { ts[arg0] = timestamp; } io:::done /ts[arg0]/ "
                  "{ @ = quantize(timestamp - ts[arg0]); ts[arg0] = 0; } tick-4s { exit(0); }"],
                 direct_io)
    assert "Distribution" in out and "@" in out


def test_proc_exec_exit_signal_args() -> None:
    script = ("proc:::exec /args[0] == \"/bin/sh\"/ { printf(\"exec %s\\n\", args[0]); } "
              "proc:::exit /execname == \"sh\"/ { printf(\"exit %d\\n\", args[0]); } "
              "proc:::signal-send /args[2] == SIGUSR1/ "
              "{ printf(\"send %d %s\\n\", args[1]->pr_pid > 0, args[1]->pr_fname); } "
              "tick-4s { exit(0); }")
    out = traced(["-qn", script], lambda: subprocess.run(
        ["/bin/sh", "-c", "trap '' USR1; kill -USR1 $$; exit 3"]))
    assert "exec /bin/sh" in out
    assert "send 1 sh" in out
    assert "exit 1" in out  # CLD_EXITED


def test_sched_off_cpu_args() -> None:
    out = dtrace("-qn", "sched:::off-cpu { @[args[1]->pr_pid == args[0]->pr_lwpid || "
                 "args[1]->pr_pid != args[0]->pr_lwpid] = count(); } sched:::on-cpu "
                 "{ @on = count(); } tick-1s { exit(0); }")
    nums = [int(w) for w in out.split()]
    assert nums and all(n > 0 for n in nums)


# ------------------------------------------------------------------ fbt


def test_fbt_listing_and_types() -> None:
    start = time.monotonic()
    out = dtrace("-l", "-n", "fbt::vfs_*:entry")
    assert time.monotonic() - start < 5.0
    assert "vfs_read" in out and "vmlinux" in out
    out = dtrace("-lv", "-n", "fbt:vmlinux:vfs_read:")
    assert "args[0]: struct file *" in out and "args[2]: size_t" in out
    assert "args[1]: ssize_t" in out


def test_fbt_kprobe_program_loads() -> None:
    """The kprobe-type program passes the verifier; attaching needs the kprobe PMU."""
    from contextlib import ExitStack
    from io import BytesIO

    from pydtrace import api
    from pydtrace.consume.session import Session
    from pydtrace.errors import KernelError
    from pydtrace.invocation import Invocation, ProgramSpec
    from pydtrace.providers import fbt
    from pydtrace.sys.features import Feature, have_kprobes

    if fbt.use_fentry():
        pytest.skip(f"{FEATURE_PREFIX} fentry is used instead of kprobes here")
    inv = Invocation(programs=[ProgramSpec("n", "fbt::vfs_read:entry { @[execname] = "
                                           "quantize(args[2]); } fbt::vfs_read:return "
                                           "/arg1 > 0/ { @r = sum(arg1); }", "<test>")])
    compiled, _ = api.compile_invocation(inv)
    kinds = {p.kind for p in compiled.programs}
    assert {"kprobe_entry", "kprobe_return"} <= kinds
    session = Session(compiled, inv.options, BytesIO())
    try:
        session.open()  # loads every program through the verifier
        assert all(session.progs[p.name].fd > 0 for p in compiled.programs)
        prog = next(p for p in compiled.programs if p.kind == "kprobe_entry")
        provider = compiled.registry.provider("fbt")
        with ExitStack() as stack:
            if have_kprobes() is not Feature.OK:
                with pytest.raises(KernelError, match="no kprobe PMU"):
                    provider.attach(prog.probes[0], session.progs[prog.name].fd, stack)
                pytest.skip(f"{FEATURE_PREFIX} kprobes (no kprobe PMU): attach refused "
                            "as expected")
            provider.attach(prog.probes[0], session.progs[prog.name].fd, stack)
    finally:
        session.close()


def test_fbt_attach_error_names_the_feature() -> None:
    from pydtrace.providers import fbt
    from pydtrace.sys.features import Feature, have_kprobes

    if fbt.use_fentry() or have_kprobes() is Feature.OK:
        pytest.skip(f"{FEATURE_PREFIX} none missing: fbt attaches here")
    res = subprocess.run(DTRACE + ["-qn", "fbt:vmlinux:vfs_read:entry { @ = count(); }"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert ("dtrace: failed to enable 'fbt:vmlinux:vfs_read:entry': kprobes are not "
            "available on this kernel (no kprobe PMU)") in res.stderr


# ------------------------------------------------------------------ examples


def test_example_dropmon() -> None:
    out = traced(["-qs", "examples/dropmon.d", "-n", "tick-3s { exit(0); }"], udp_to_lo)
    assert "vmlinux`" in out


def test_example_tracex1() -> None:
    out = traced(["-qs", "examples/tracex1.d", "-n", "tick-3s { exit(0); }"], udp_to_lo)
    assert "skb " in out and " len " in out


def test_example_tracex2() -> None:
    def writes() -> None:
        with open(os.devnull, "wb") as f:
            for n in (1, 10, 100, 1000, 10000):
                f.write(b"x" * n)
                f.flush()
    out = traced(["-qs", "examples/tracex2.d", "-n", "tick-3s { exit(0); }"], writes)
    assert "write size (bytes)" in out and "Distribution" in out


def test_example_tracex3(tmp_path) -> None:
    svg = tmp_path / "heat.svg"
    dt = subprocess.Popen([sys.executable, str(EXAMPLES / "tracex3.py"), "4", str(svg)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(2.0)
    direct_io()
    out, err = dt.communicate(timeout=60)
    assert dt.returncode == 0, err
    assert "I/O latency (us)" in out and "heatmap of" in out
    text = svg.read_text()
    assert text.startswith("<svg") and "<rect" in text


def test_example_tracex4() -> None:
    from pydtrace.providers import fbt
    from pydtrace.sys.features import Feature, have_kprobes

    if not fbt.use_fentry() and have_kprobes() is not Feature.OK:
        res = subprocess.run(DTRACE + ["-qs", "examples/tracex4.d"], capture_output=True,
                             text=True, timeout=60, cwd=ROOT)
        assert "kprobes are not available" in res.stderr
        pytest.skip(f"{FEATURE_PREFIX} kprobes or fentry (fbt::vfs_write:entry)")
    out = traced(["-qs", "examples/tracex4.d", "-n", "tick-3s { exit(0); }"],
                 lambda: Path(os.devnull).write_bytes(b"x" * 100))
    assert "vfs_write size (bytes)" in out
