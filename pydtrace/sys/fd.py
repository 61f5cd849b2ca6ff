"""The one lifetime rule of every kernel object we hold: an fd, closed once."""

from __future__ import annotations

from typing import TypeVar

from pydtrace.sys import syscall as sc

Self = TypeVar("Self", bound="FdOwner")


class FdOwner:
    """Owns ``self.fd``; a context manager; ``close()`` is idempotent.

    Closing the last fd is what releases a map, program, link or perf event in
    the kernel, so every exit path (including garbage collection) closes it.
    """

    fd: int

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            sc.close_fd(fd)

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "fd", -1) >= 0:
            self.close()
