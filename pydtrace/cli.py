"""The ``dtrace`` command: argv in, exit status out.

The only place that prints diagnostics: every error reaches the user as
``dtrace: <message>`` on stderr, never as a Python traceback (set
``PYDTRACE_DEBUG=1`` to see one for internal errors). Exit status follows
dtrace(1): 0 success (or the program's ``exit(n)``), 1 failure, 2 usage.

Start-up time matters (``dtrace -qn 'BEGIN { exit(0); }'`` is benchmarked):
this module imports only what parsing needs; the compiler and the kernel
side load in :func:`pydtrace.driver.run`.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from pydtrace.errors import DTraceError, UsageError
from pydtrace.invocation import PROGNAME, USAGE, VERSION_STRING, Invocation, parse_argv

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """Run dtrace with ``argv`` (the arguments after the program name).

    ``None`` means ``sys.argv[1:]``, with ``sys.argv[0]`` as ``$0``.
    Returns the exit status.
    """
    if argv is None:
        argv0, argv = _argv0(sys.argv[0] if sys.argv else PROGNAME), sys.argv[1:]
    else:
        argv0 = PROGNAME
    try:
        return _run(argv, argv0)
    except UsageError as exc:
        _print_usage_error(exc)
        return EXIT_USAGE
    except DTraceError as exc:
        print_error(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks
        return _internal_error(exc)


def _run(argv: list[str], argv0: str) -> int:
    invocation = parse_argv(argv, argv0=argv0)
    if invocation.mode == "version":
        sys.stdout.write(f"{PROGNAME}: {VERSION_STRING}\n")
        sys.stdout.flush()
        return EXIT_OK
    return _drive(invocation)


def _drive(invocation: Invocation) -> int:
    """Hand the invocation to the driver, imported only now (it is heavy)."""
    try:
        from pydtrace import driver
    except ModuleNotFoundError as exc:
        if exc.name != "pydtrace.driver":
            raise
        raise DTraceError("tracing is not available: pydtrace.driver is missing") from None
    return driver.run(invocation)


def _argv0(path: str) -> str:
    """``$0`` for D: the command as invoked, or ``dtrace`` under ``python -m``."""
    base = os.path.basename(path)
    return PROGNAME if base in ("__main__.py", "-c", "") else path


def print_error(message: str) -> None:
    """Print ``dtrace: message`` to stderr."""
    _write(sys.stderr, f"{PROGNAME}: {message}\n")
    sys.stderr.flush()


def _write(stream: TextIO, text: str) -> None:
    # argv can hold undecodable bytes (as surrogate escapes): show them, don't crash.
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def print_usage(file: TextIO | None = None) -> None:
    """Print the usage text (to stderr by default)."""
    (sys.stderr if file is None else file).write(USAGE)


def _print_usage_error(exc: UsageError) -> None:
    if exc.message:
        print_error(exc.message)
    if getattr(exc, "show_usage", True):
        print_usage()
    sys.stderr.flush()


def _silence_stdout() -> None:
    # The reader went away (dtrace -l | head): drop further output quietly.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _internal_error(exc: Exception) -> int:
    if os.environ.get("PYDTRACE_DEBUG"):
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)
    print_error(f"internal error: {type(exc).__name__}: {exc}")
    return EXIT_ERROR
