"""Errors as data: every stage raises these; only the CLI turns them into text."""

from __future__ import annotations


class DTraceError(Exception):
    """A failure reported to the user as ``dtrace: <message>`` (exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(DTraceError):
    """A command-line usage error (exit status 2)."""


class DCompileError(DTraceError):
    """A D compile-time error with its ``D_*`` tag and, when known, its line.

    ``where`` replaces ``line N`` when an error has no line (``in action list``).
    """

    def __init__(self, tag: str, message: str, line: int | None = None,
                 where: str | None = None, file: str | None = None) -> None:
        super().__init__(message)
        self.tag = tag
        self.line = line
        self.where = where
        self.file = file

    def located(self, errtags: bool = False) -> str:
        """``[D_TAG] line N: message`` as dtrace prints it after the program name."""
        prefix = f"[{self.tag}] " if errtags else ""
        if self.line is not None:
            loc = f'"{self.file}", line {self.line}: ' if self.file else f"line {self.line}: "
        elif self.where:
            loc = f"{self.where}: "
        else:
            loc = ""
        return f"{prefix}{loc}{self.message}"


class KernelError(DTraceError):
    """A syscall failed; ``errno`` is kept so callers can tell causes apart."""

    def __init__(self, message: str, errno: int = 0) -> None:
        super().__init__(message)
        self.errno = errno


class VerifierError(KernelError):
    """The BPF verifier refused a program; ``log`` holds its full log."""

    def __init__(self, message: str, errno: int, log: str) -> None:
        super().__init__(message, errno)
        self.log = log
