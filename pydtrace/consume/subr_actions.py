"""Consumer side of tracemem(), system(), freopen() and ftruncate()."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

from pydtrace.output import records as R


def consumer_action(printer, act) -> Callable[[memoryview], None]:
    from pydtrace.consume import actions as C

    session = printer.session
    if isinstance(act, C.TracememAct):
        start, size = act.field.offset, act.field.size
        dyn = act.dyn

        def tracemem(mv: memoryview) -> None:
            n = size
            if dyn is not None:
                # as dt_consume: an unsigned count; 0 or more than nbytes prints nbytes
                want = int.from_bytes(mv[dyn.offset:dyn.offset + 8], "little")
                n = size if want == 0 or want > size else want
            session.write(R.format_tracemem(bytes(mv[start:start + n])))
        return tracemem
    return lambda mv: ftruncate(session)


def formatted_action(printer, act, fmt, readers) -> Callable[[memoryview], None]:
    session = printer.session

    def text(mv: memoryview) -> str:
        return fmt((readers[0](mv),)) if len(readers) == 1 else fmt([r(mv) for r in readers])

    if act.func == "system":
        return lambda mv: run_system(session, text(mv))
    return lambda mv: freopen(session, text(mv))


def run_system(session, command: str) -> None:
    """Runs the command through the shell, its output in order with ours."""
    session.flush()
    out = session.out
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is not None:
        subprocess.run(["/bin/sh", "-c", command], stdout=fd, check=False)
    else:
        done = subprocess.run(["/bin/sh", "-c", command], stdout=subprocess.PIPE, check=False)
        out.write(done.stdout)
        out.flush()


def freopen(session, path: str) -> None:
    """Redirects further output to ``path`` (append); "" restores the original."""
    session.flush()
    original = session.__dict__.setdefault("original_out", session.out)
    if session.out is not original:
        session.out.close()
    if path in ("", "."):
        session.out = original
        return
    try:
        session.out = open(path, "ab")  # noqa: SIM115 (kept open until the next freopen)
    except OSError as exc:
        session.out = original
        session.warn(f'couldn\'t freopen() "{path}": {os.strerror(exc.errno or 0)}')


def ftruncate(session) -> None:
    session.flush()
    try:
        session.out.truncate(0)
        session.out.seek(0)
    except (OSError, ValueError):
        pass
