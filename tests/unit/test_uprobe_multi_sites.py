"""pid probes on uprobe_multi links: refused sites found by bisection, kinds, constants."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from pydtrace.errors import KernelError
from pydtrace.providers import pid as P
from pydtrace.providers.base import Probe
from pydtrace.sys import syscall as sc
from pydtrace.sys.links import Link


def test_uapi_values() -> None:
    # include/uapi/linux/bpf.h: ... BPF_PERF_EVENT (41), BPF_TRACE_KPROBE_MULTI,
    # BPF_LSM_CGROUP, BPF_STRUCT_OPS, BPF_NETFILTER, BPF_TCX_INGRESS, BPF_TCX_EGRESS,
    # BPF_TRACE_UPROBE_MULTI
    assert sc.BPF_TRACE_UPROBE_MULTI == sc.BPF_PERF_EVENT + 7 == 48
    assert sc.BPF_F_UPROBE_MULTI_RETURN == 1


class FakeKernel:
    """Link.uprobe_multi that refuses any link holding a refused offset."""

    def __init__(self, refused: set[int], errno: int = sc.ENOTSUPP) -> None:
        self.refused = refused
        self.errno = errno
        self.tries = 0
        self.open: list[tuple] = []  # the links alive now
        self.made: list[tuple] = []

    def __call__(self, prog_fd, path, offsets, cookies, pid=0, retprobe=False):  # noqa: ANN001, ANN204
        self.tries += 1
        if self.refused & set(offsets):
            raise KernelError("bpf(BPF_LINK_CREATE) failed", self.errno)
        entry = (path, pid, retprobe, tuple(zip(offsets, cookies, strict=True)))
        self.open.append(entry)
        self.made.append(entry)
        kernel = self

        class FakeLink:
            def __enter__(self):  # noqa: ANN204
                return self

            def __exit__(self, *exc):  # noqa: ANN002, ANN204
                kernel.open.remove(entry)

        return FakeLink()


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    def install(refused: set[int], errno: int = sc.ENOTSUPP) -> FakeKernel:
        fake = FakeKernel(refused, errno)
        monkeypatch.setattr(Link, "uprobe_multi", staticmethod(fake))
        monkeypatch.setattr(P, "suspect_sites", lambda path, offsets: set())
        return fake
    return install


def test_all_accepted_is_one_link(kernel) -> None:  # noqa: ANN001
    fake = kernel(set())
    sites = [(0x1000 + 16 * i, i) for i in range(2000)]
    with ExitStack() as stack:
        assert P.link_sites(3, "/lib/x", 42, False, sites, stack) == []
        assert fake.tries == 1 and len(fake.open) == 1
    assert fake.open == []


@pytest.mark.parametrize("bad", [{0x1000}, {0x1000 + 16 * 1999}, {0x1010, 0x5000, 0x5010}])
def test_refused_sites_are_dropped(kernel, bad: set[int]) -> None:  # noqa: ANN001
    fake = kernel(bad)
    sites = [(0x1000 + 16 * i, i) for i in range(2000)]
    with ExitStack() as stack:
        refused = P.link_sites(3, "/lib/x", 42, False, sites, stack)
        assert {off for off, _ in refused} == bad
        linked = sorted(s for link in fake.open for s in link[3])
        assert linked == [s for s in sites if s[0] not in bad]  # each good site once
        assert fake.tries <= 2 * len(bad) * 12 + 1  # bisection: ~log2(2000) per site
    assert fake.open == []  # every link released with the stack


def test_other_errors_end_the_attach(kernel) -> None:  # noqa: ANN001
    import errno

    fake = kernel({0x1000}, errno.ESRCH)  # the process is gone: no bisection
    with ExitStack() as stack, pytest.raises(KernelError):
        P.link_sites(3, "/lib/x", 42, False, [(0x1000, 1), (0x2000, 2)], stack)
    assert fake.tries == 1 and fake.open == []


def test_suspects_are_tried_apart(kernel, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    fake = kernel({0x1000})
    monkeypatch.setattr(P, "suspect_sites", lambda path, offsets: {0x1000})
    sites = [(0x1000 + 16 * i, i) for i in range(500)]
    with ExitStack() as stack:
        assert P.link_sites(3, "/lib/x", 42, False, sites, stack) == [(0x1000, 0)]
        assert fake.tries == 2 and len(fake.open) == 1  # the good ones in one link


def test_attach_multi_groups_by_file_pid_and_return(kernel) -> None:  # noqa: ANN001
    fake = kernel(set())
    probes = [
        Probe("pid7", "libc.so.6", "a", "entry", "umulti_entry", ("/lib/c", 0x100, 7), id=4),
        Probe("pid7", "libc.so.6", "a", "return", "umulti_ret", ("/lib/c", 0x100, 7, (5, 9)),
              id=5),
        Probe("pid7", "libc.so.6", "b", "return", "umulti_return", ("/lib/c", 0x200, 7), id=6),
        Probe("pid7", "a.out", "m", "entry", "umulti_entry", ("/bin/t", 0x40, 7), id=7),
    ]
    with ExitStack() as stack:
        P.PidProvider().attach_multi(probes, 3, stack)
        links = {link[:3]: link[3] for link in fake.open}
    assert links == {
        ("/lib/c", 7, False): ((0x100, 4), (0x105, 5 << 32 | 5), (0x109, 9 << 32 | 5)),
        ("/lib/c", 7, True): ((0x200, 6),),
        ("/bin/t", 7, False): ((0x40, 7),),
    }


def test_multi_kinds_load_as_uprobe_multi() -> None:
    from pydtrace.codegen.trampoline import KINDS

    for plain, multi in P.MULTI_KINDS.items():
        assert KINDS[multi].prog_type == KINDS[plain].prog_type == sc.BPF_PROG_TYPE_KPROBE
        assert KINDS[multi].fill_args is KINDS[plain].fill_args
        assert KINDS[multi].attach_type == sc.BPF_TRACE_UPROBE_MULTI
