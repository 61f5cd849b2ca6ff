"""Shared helpers for the pydtrace-vs-bpftrace benchmarks (not a test suite).

Every benchmark times child processes itself (no hyperfine needed) so that wall time and
peak RSS come from the same run: ``os.wait4`` returns the child's ``rusage`` whose
``ru_maxrss`` (KiB on Linux) is the child's own peak resident set size.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


@dataclass
class Run:
    """One finished child: wall seconds, peak RSS in KiB, exit status, captured stderr."""

    wall: float
    maxrss_kib: int
    status: int
    stderr: str = ""


@dataclass
class Row:
    """One line of a result table; ``target`` is a maximum ratio to the reference or None."""

    tool: str
    median: float
    unit: str
    ratio: float | None = None
    target: float | None = None
    note: str = ""
    at_least: bool = False  # the target is a minimum ratio (throughput), not a maximum

    def verdict(self) -> str:
        """'pass'/'FAIL' against the target ratio, '-' when there is no target."""
        if self.target is None or self.ratio is None:
            return "-"
        if self.ratio <= 0:
            return "noisy"  # a negative added cost: the bare and traced runs overlap
        ok = self.ratio >= self.target if self.at_least else self.ratio <= self.target
        return "pass" if ok else "FAIL"


def child_env() -> dict[str, str]:
    """The environment for measured children.

    PYTHONDONTWRITEBYTECODE is dropped: with it set, every start-up would recompile any
    module whose .pyc is missing or stale, which is not what users see.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def precompile() -> None:
    """Byte-compile pydtrace so no measured run pays for compiling sources."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO_DIR / "pydtrace")],
                   check=False, env=child_env())


def run_child(argv: Sequence[str], env: dict[str, str] | None = None,
              stdout: int | None = subprocess.DEVNULL) -> Run:
    """Run ``argv`` to completion; stderr is captured (drop reports live there)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=subprocess.PIPE, env=env if env is not None else child_env())
    err = proc.stderr.read() if proc.stderr else b""
    # wait4 rather than proc.wait(): only wait4 hands back the child's own rusage.
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_maxrss, proc.returncode, err.decode(errors="replace"))


def median(values: Sequence[float]) -> float:
    """Median, NaN for no values (a tool that never ran)."""
    return statistics.median(values) if values else float("nan")


def ratio(value: float, reference: float) -> float | None:
    """value / reference, None when either side is missing."""
    if reference != reference or value != value or reference == 0:  # NaN checks
        return None
    return value / reference


def console_script(name: str) -> str | None:
    """The real console script next to this interpreter (not a pyenv shim, which adds a bash
    start-up and a ``pyenv exec`` to every run)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def require_root() -> None:
    """Exit with a clear message when not root: BPF needs CAP_BPF/CAP_PERFMON."""
    if os.geteuid() != 0:
        sys.exit("benchmarks load BPF programs: run them as root")


def _fmt(value: float | None, spec: str) -> str:
    if value is None or value != value:
        return "n/a"
    return format(value, spec)


def format_table(title: str, rows: Sequence[Row], reference: str = "bpftrace") -> str:
    """A fixed-width table: tool, median, ratio to ``reference``, target, verdict, note."""
    head = f"{'tool':<34} {'median':>14} {'ratio':>7} {'target':>8} {'result':>6}  note"
    lines = [title, head, "-" * len(head)]
    for r in rows:
        med = f"{_fmt(r.median, '.4g')} {r.unit}"
        sign = ">=" if r.at_least else "<="
        tgt = f"{sign}{r.target:.2f}" if r.target is not None else "-"
        lines.append(f"{r.tool:<34} {med:>14} {_fmt(r.ratio, '.3f'):>7} {tgt:>8} "
                     f"{r.verdict():>6}  {r.note}".rstrip())
    lines.append(f"(ratio = tool median / {reference} median; medians of one run)")
    return "\n".join(lines)


def save(name: str, text: str) -> Path:
    """Print ``text`` and keep it as the latest figures in bench/results/<name>.txt."""
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.txt"
    path.write_text(text + "\n")
    return path


def header(extra: str = "") -> str:
    """A provenance line: date, kernel, Python, CPUs."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    uname = os.uname()
    line = (f"# {stamp}  Linux {uname.release}  Python {sys.version.split()[0]}  "
            f"{os.cpu_count()} CPUs")
    return f"{line}  {extra}".rstrip()


def bpftrace_version() -> str:
    """``bpftrace --version`` or 'missing'."""
    if not shutil.which("bpftrace"):
        return "bpftrace missing (run bench/setup.sh)"
    out = subprocess.run(["bpftrace", "--version"], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


TRIGGER_SOURCE = BENCH_DIR / "getppid_loop.c"
NO_PROBES = "does not match any probes"
DROP_PATTERNS = (r"(\d+) drops? on CPU", r"Lost (\d+) events")


def build_trigger(workdir: str) -> str:
    """Compile bench/getppid_loop.c with gcc -O2 into ``workdir``; return the binary."""
    exe = os.path.join(workdir, "getppid_loop")
    subprocess.run(["gcc", "-O2", "-o", exe, str(TRIGGER_SOURCE)], check=True)
    return exe


def run_trigger(exe: str, calls: int) -> float:
    """Run the trigger once; nanoseconds per getppid() call as it measured itself."""
    out = subprocess.run([exe, str(calls)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / calls


def count_drops(text: str) -> int:
    """Sum every drop/lost-event report (pydtrace's and bpftrace's wording) in ``text``."""
    import re

    return sum(int(m) for pat in DROP_PATTERNS for m in re.findall(pat, text))


class Tracer:
    """A tracer child with stdout and stderr in files, started and stopped like a user would
    (SIGINT), with a readiness marker printed from BEGIN."""

    def __init__(self, argv: Sequence[str], workdir: str, tag: str) -> None:
        self.out_path = os.path.join(workdir, f"{tag}.out")
        self.err_path = os.path.join(workdir, f"{tag}.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=child_env())

    def wait_ready(self, marker: str = "READY", timeout: float = 30.0) -> bool:
        """True once ``marker`` is in the output; False if the tracer died first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if marker in Path(self.out_path).read_text(errors="replace"):
                # BEGIN may fire a moment before every other probe is attached.
                time.sleep(0.3)
                return True
            time.sleep(0.02)
        return False

    def out_size(self) -> int:
        """Bytes of output so far."""
        return os.path.getsize(self.out_path)

    def stop(self, timeout: float = 30.0) -> str:
        """SIGINT, wait, and return everything the tracer wrote (stdout then stderr)."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.output() + self.errors()

    def output(self) -> str:
        """The tracer's stdout so far."""
        return Path(self.out_path).read_text(errors="replace")

    def errors(self) -> str:
        """The tracer's stderr so far."""
        return Path(self.err_path).read_text(errors="replace")
