"""Thread-local variables and speculations against real multi-threaded and
failing system calls (C triggers built with gcc in the test).

Each trigger waits for a line on stdin so tracing is live before it starts;
the script ends itself when the trigger calls exit_group.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.kernel

DTRACE = [sys.executable, "-m", "pydtrace"]
ATTACH_WAIT = 1.5

THREADS_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

static void *work(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i <= n; i++)
		syscall(SYS_getppid);
	syscall(SYS_getpgid, 0);   /* records self->n, then frees it */
	syscall(SYS_getsid, 0);    /* self->n must read 0 again */
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	char buf[8];
	if (!fgets(buf, sizeof buf, stdin))
		return 1;
	for (long i = 0; i < 4; i++) {
		pthread_create(&t[i], NULL, work, (void *)i);
		pthread_join(t[i], NULL);
	}
	return 0;
}
"""

OPENS_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[8];
	if (!fgets(buf, sizeof buf, stdin))
		return 1;
	for (int i = 0; i < 6; i++) {
		int fd = i % 2 ? open("/etc/hostname", O_RDONLY)
			: open("/nonexistent/pydtrace-spec", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
"""


def build(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("kernel: gcc is needed to build the trigger")
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    exe = tmp_path / name
    subprocess.run(["gcc", "-O1", "-o", str(exe), str(src), *flags], check=True)
    return exe


def run(exe: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    child = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    dt = subprocess.Popen(DTRACE + list(args) + ["-qn", script.replace("$CHILD",
                          str(child.pid))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    time.sleep(ATTACH_WAIT)
    assert child.stdin is not None
    child.stdin.write(b"go\n")
    child.stdin.close()
    child.wait(timeout=20)
    out, err = dt.communicate(timeout=30)
    return subprocess.CompletedProcess(dt.args, dt.returncode, out, err)


def test_self_per_thread_and_freed(tmp_path: Path) -> None:
    exe = build(tmp_path, "dvtrig", THREADS_C, "-pthread")
    script = """
    syscall::getppid:entry /execname == "dvtrig"/ { self->n++; }
    syscall::getpgid:entry /execname == "dvtrig"/ { @n[self->n] = count(); self->n = 0; }
    syscall::getsid:entry /execname == "dvtrig"/ { @z[self->n] = count(); }
    syscall::exit_group:entry /pid == $CHILD/ { exit(0); }
    END { printa("n %d %@d\\n", @n); printa("z %d %@d\\n", @z); }
    """
    res = run(exe, script)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stdout.splitlines() if ln]
    assert lines == ["n 1 1", "n 2 1", "n 3 1", "n 4 1", "z 0 4"], res.stdout


def test_speculation_commits_failures_only(tmp_path: Path) -> None:
    exe = build(tmp_path, "spectrig", OPENS_C)
    script = """
    syscall::openat:entry /pid == $CHILD/ {
        self->spec = speculation();
        speculate(self->spec);
        printf("open %x\\n", arg2);
    }
    syscall::openat:return /pid == $CHILD && self->spec && (int)arg0 < 0/ {
        commit(self->spec);
        self->spec = 0;
    }
    syscall::openat:return /pid == $CHILD && self->spec/ {
        discard(self->spec);
        self->spec = 0;
    }
    syscall::exit_group:entry /pid == $CHILD/ { exit(0); }
    """
    res = run(exe, script)
    assert res.returncode == 0, res.stderr
    opens = [ln for ln in res.stdout.splitlines() if ln.startswith("open ")]
    assert opens == ["open 80000"] * 3, res.stdout  # O_CLOEXEC: the failing opens
