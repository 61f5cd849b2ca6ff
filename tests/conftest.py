"""Shared test plumbing: the ``kernel`` marker and fixture.

Tests that need the real kernel (root and a working ``bpf()``) are marked
``@pytest.mark.kernel`` or live under ``tests/kernel/`` (marked
automatically). Without root or BPF they skip with a reason starting with
``kernel:``.

Under CI (``CI=true``) or ``PYDTRACE_STRICT=1`` such a skip is turned into
a failure: CI machines have the kernel, so a ``kernel:`` skip there means
broken set-up, not a missing machine. Features our machines lack by design
(kprobes, fentry) skip with ``missing kernel feature: ...`` instead, which
is allowed everywhere: use :func:`skip_missing_feature`.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import struct
from pathlib import Path

import pytest

KERNEL_PREFIX = "kernel:"
FEATURE_PREFIX = "missing kernel feature:"

_TESTS_DIR = Path(__file__).resolve().parent
_KERNEL_DIR = _TESTS_DIR / "kernel"

# __NR_bpf per architecture (asm/unistd.h).
_NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "s390x": 351}
_BPF_MAP_CREATE = 0
_BPF_MAP_TYPE_ARRAY = 2


def strict_mode() -> bool:
    """Whether a ``kernel:`` skip must fail (CI=true or PYDTRACE_STRICT=1)."""
    return (os.environ.get("CI", "").lower() == "true"
            or os.environ.get("PYDTRACE_STRICT", "") == "1")


@functools.lru_cache(maxsize=1)
def kernel_unavailable_reason() -> str | None:
    """Why kernel tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return f"{KERNEL_PREFIX} needs root (euid is {os.geteuid()})"
    return _bpf_unavailable_reason()


def _bpf_unavailable_reason() -> str | None:
    """Create and close a one-slot array map: the cheapest proof that bpf() works."""
    nr = _NR_BPF.get(os.uname().machine)
    if nr is None:
        return f"{KERNEL_PREFIX} unknown bpf() syscall number on {os.uname().machine}"
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(
        struct.pack("=IIII", _BPF_MAP_TYPE_ARRAY, 4, 4, 1), 64)
    fd = libc.syscall(nr, _BPF_MAP_CREATE, attr, ctypes.sizeof(attr))
    if fd < 0:
        err = ctypes.get_errno()
        return f"{KERNEL_PREFIX} bpf(BPF_MAP_CREATE) failed: {errno.errorcode.get(err, err)}"
    os.close(fd)
    return None


def require_kernel() -> None:
    """Skip the calling test (reason ``kernel: ...``) unless root with a working bpf()."""
    reason = kernel_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)


def require_tracefs(path: str = "/sys/kernel/tracing") -> None:
    """Skip (``kernel: ...``) unless tracefs is mounted at ``path``."""
    require_kernel()
    if not os.path.isdir(os.path.join(path, "events")):
        pytest.skip(f"{KERNEL_PREFIX} tracefs is not mounted at {path}")


def skip_missing_feature(feature: str) -> None:
    """Skip because the machine lacks ``feature`` by design (allowed under CI too)."""
    pytest.skip(f"{FEATURE_PREFIX} {feature}")


@pytest.fixture
def kernel() -> None:
    """Fixture form of :func:`require_kernel`."""
    require_kernel()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/kernel/ as ``kernel``."""
    for item in items:
        if _KERNEL_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.kernel)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Kernel tests skip (or, under CI, fail) before they start when the kernel is absent."""
    if item.get_closest_marker("kernel") is not None:
        require_kernel()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    """Under CI, turn a skip whose reason starts with ``kernel:`` into a failure."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and strict_mode()) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if reason is not None and reason.startswith(KERNEL_PREFIX):
        report.outcome = "failed"
        report.longrepr = f"kernel test skipped under CI (CI=true / PYDTRACE_STRICT=1): {reason}"


def _skip_reason(report: pytest.TestReport) -> str | None:
    """The reason text of a skip report, without pytest's ``Skipped: `` prefix."""
    longrepr = report.longrepr
    if not (isinstance(longrepr, tuple) and len(longrepr) == 3):
        return None
    reason = str(longrepr[2])
    return reason.removeprefix("Skipped: ")
