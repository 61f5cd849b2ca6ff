"""The profile provider: ``profile-N`` fires on every CPU, ``tick-N`` on one.

Both are perf cpu-clock sampling events (software, so they work in VMs), one
per CPU for profile and one on the first online CPU for tick.
"""

from __future__ import annotations

import re
from contextlib import ExitStack

from pydtrace.providers.base import Probe, Provider, is_glob

UNITS_NS = {"ns": 1, "nsec": 1, "us": 1_000, "usec": 1_000, "ms": 1_000_000,
            "msec": 1_000_000, "s": 10**9, "sec": 10**9, "m": 60 * 10**9,
            "min": 60 * 10**9, "h": 3600 * 10**9, "hour": 3600 * 10**9,
            "d": 86400 * 10**9, "day": 86400 * 10**9}
MIN_INTERVAL_NS = 200_000
NAME_RE = re.compile(r"^(profile|tick)-(\d+)([a-zA-Z]*)$")
LISTED = ["profile-97", "profile-199", "profile-499", "profile-997", "profile-1999",
          "profile-4001", "profile-4999", "tick-1", "tick-10", "tick-100", "tick-500",
          "tick-1000", "tick-5000"]


def interval_ns(name: str) -> int | None:
    """The firing interval of a probe name, or None if it is not one of ours."""
    m = NAME_RE.match(name)
    if not m:
        return None
    count, unit = int(m.group(2)), m.group(3).lower()
    if count == 0:
        return None
    if unit in ("", "hz"):
        ns = 10**9 // count
    elif unit in UNITS_NS:
        ns = count * UNITS_NS[unit]
    else:
        return None
    return ns if ns >= MIN_INTERVAL_NS else None


def make_probe(name: str) -> Probe | None:
    ns = interval_ns(name)
    if ns is None:
        return None
    kind = "profile" if name.startswith("profile") else "tick"
    return Probe("profile", "", "", name, kind, (ns,), ("uint64_t", "uint64_t"))


class ProfileProvider(Provider):
    name = "profile"

    def list_probes(self) -> list[Probe]:
        return [p for p in (make_probe(n) for n in LISTED) if p is not None]

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        prov, mod, func, name = desc
        if name and not is_glob(name) and not mod and not func:
            probe = make_probe(name)
            return [probe] if probe is not None else []
        return super().match(desc)

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        from pydtrace.sys.links import Link
        from pydtrace.sys.perf import PerfEvent, online_cpus

        cpus = online_cpus()
        if probe.kind == "tick":
            cpus = cpus[:1]
        for cpu in cpus:
            event = stack.enter_context(PerfEvent.software_clock(cpu, period_ns=probe.data[0]))
            stack.enter_context(Link.perf_event(prog_fd, event.fd, cookie=probe.id))
