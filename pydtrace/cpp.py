"""``dtrace -C``: run the C preprocessor over a script, as Oracle's dt_preproc() does.

The script goes to cpp on its standard input (named ``/dev/stdin`` on the
command line, as libdtrace names it), with libdtrace's predefined macros
(``__linux``, ``__unix``, ``__SVR4``, ``__SUNW_D=1``, ``__SUNW_D_64``,
``__Linux``, ``__amd64`` on x86-64, ``__SUNW_D_VERSION``; ``__GNUC__``
undefined), then ``-D``/``-U``/``-I``/``-H`` and ``-x cppargs``, and the
``-X`` conformance mode (``a``, the default, is ``-std=c99``; ``s`` is
``-traditional-cpp``).

cpp's line markers (``# N "file" flags``) are taken out of the text and kept
in a :class:`LineMap`: the compiler sees plain D whose line numbers are
output lines, and any error (from the lexer, the parser, the checker or code
generation) is moved back to its real place, ``line N`` in the script or
``"inc.h", line N`` in an included file, as dtrace reports it.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from bisect import bisect_right

from pydtrace.errors import DCompileError, DTraceError

# DT_VERSION_NUMBER(2, 0, 0): major << 24 | minor << 12 | micro ("Oracle D 2.0").
D_VERSION = (2 << 24) | (0 << 12) | 0
MAIN_NAME = "/dev/stdin"
DEFAULT_CPP = "/usr/bin/cpp"

_MARKER = re.compile(r'#(?:line)? *(\d+)(?: +"((?:[^"\\]|\\.)*)")?((?: +\d+)*) *$')

# libdtrace's messages for preprocessor failures (dt_error.c)
CPP_NOT_FOUND = "Preprocessor not found"
CPP_EXEC = "Failed to exec preprocessor"
CPP_FAILED = "Preprocessor failed to process input program"


class LineMap:
    """Output line -> (file, line) of its source; file None is the script itself."""

    def __init__(self) -> None:
        self._starts: list[int] = []   # first output line of each run
        self._where: list[tuple[str | None, int]] = []  # (file, source line) at that start

    def add(self, out_line: int, file: str | None, src_line: int) -> None:
        if self._starts and self._starts[-1] == out_line:
            self._where[-1] = (file, src_line)
            return
        self._starts.append(out_line)
        self._where.append((file, src_line))

    def lookup(self, out_line: int) -> tuple[str | None, int]:
        i = bisect_right(self._starts, out_line) - 1
        if i < 0:
            return None, out_line
        file, src = self._where[i]
        return file, src + (out_line - self._starts[i])

    def relocate(self, err: DCompileError) -> DCompileError:
        """Moves ``err`` (in place) from its output line to its source; returns it."""
        if err.line is not None and err.file is None and not getattr(err, "_cpp_mapped", False):
            err.file, err.line = self.lookup(err.line)
            err._cpp_mapped = True  # type: ignore[attr-defined]
        return err


def cpp_argv(options, data_model: int = 64) -> list[str]:
    """The preprocessor command line, without the input name."""
    path = str(options["cpppath"] or DEFAULT_CPP)
    if not options.is_set("cpppath") and not os.path.exists(path):
        path = shutil.which("cpp") or path
    argv = [path, "-D__linux", "-D__unix", "-D__SVR4", "-D__SUNW_D=1", "-U__GNUC__",
            f"-D__SUNW_D_{data_model}", "-D__" + platform.system()]
    if platform.machine() in ("x86_64", "i386", "i686", "amd64"):
        argv.append("-D__amd64" if data_model == 64 else "-D__i386")
    argv += ["-D" + d for d in options["define"]]
    argv += ["-U" + u for u in options["undef"]]
    argv += ["-I" + i for i in options["incdir"]]
    if options["cpphdrs"]:
        argv.append("-H")
    for extra in options["cppargs"]:
        argv += extra.split()
    argv.append(f"-D__SUNW_D_VERSION=0x{D_VERSION:08x}")
    stdc = options["stdc"]
    if stdc == "a":
        argv.append("-std=c99")
    elif stdc == "s":
        argv.append("-traditional-cpp")
    return argv


def preprocess(text: str, options, data_model: int = 64,
               path: str | None = None) -> tuple[str, LineMap]:
    """Runs cpp over ``text``; returns the D text (markers removed) and its LineMap.

    ``path`` is the script's file name: its directory is searched for
    ``#include "..."`` files after the ``-I`` directories, as a C compiler
    searches the including file's directory (cpp itself reads ``/dev/stdin``).

    Raises DTraceError with libdtrace's message when cpp is missing or fails
    (cpp's own diagnostics go to our stderr, as with dtrace).
    """
    if text.startswith("#!"):
        # dt_preproc starts cpp just before the interpreter line's newline
        nl = text.find("\n")
        text = "" if nl < 0 else text[nl:]
    argv = cpp_argv(options, data_model)
    if path:
        argv += ["-iquote", os.path.dirname(os.path.abspath(path))]
    argv.append(MAIN_NAME)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        proc = subprocess.run(argv, input=text.encode("utf-8", "surrogateescape"),
                              stdout=subprocess.PIPE, check=False)
    except FileNotFoundError:
        raise DTraceError(CPP_NOT_FOUND) from None
    except OSError:
        raise DTraceError(CPP_EXEC) from None
    if proc.returncode != 0:
        raise DTraceError(CPP_FAILED)
    return strip_markers(proc.stdout.decode("utf-8", "surrogateescape"))


def strip_markers(output: str) -> tuple[str, LineMap]:
    """Removes cpp line markers from ``output``, recording where each line came from."""
    lines: list[str] = []
    linemap = LineMap()
    file: str | None = None
    src = 1
    linemap.add(1, None, 1)
    for raw in output.split("\n"):
        stripped = raw.lstrip(" \t")
        m = _MARKER.match(stripped) if stripped.startswith("#") else None
        if m:
            src = int(m.group(1))
            if m.group(2) is not None:
                name = _unescape(m.group(2))
                file = None if name == MAIN_NAME else name
            linemap.add(len(lines) + 1, file, src)
            continue
        lines.append(raw)
        src += 1
    return "\n".join(lines), linemap


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)
