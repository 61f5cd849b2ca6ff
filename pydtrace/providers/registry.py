"""Providers by name, imported only when a probe description can name them."""

from __future__ import annotations

import importlib

from pydtrace.providers.base import Probe, Provider, glob_match

PROVIDERS = {
    "dtrace": ("pydtrace.providers.dtrace", "DTraceProvider"),
    "profile": ("pydtrace.providers.profile", "ProfileProvider"),
    "syscall": ("pydtrace.providers.syscall", "SyscallProvider"),
    "sdt": ("pydtrace.providers.sdt", "SdtProvider"),
    "rawtp": ("pydtrace.providers.rawtp", "RawtpProvider"),
    "fbt": ("pydtrace.providers.fbt", "FbtProvider"),
    "proc": ("pydtrace.providers.proc", "ProcProvider"),
    "sched": ("pydtrace.providers.sched", "SchedProvider"),
    "io": ("pydtrace.providers.io", "IoProvider"),
    "lockstat": ("pydtrace.providers.lockstat", "LockstatProvider"),
    # user space: pidPID and PROVIDERpid / PROVIDER* (USDT) are matched by these two
    "pid": ("pydtrace.providers.pid", "PidProvider"),
    "usdt": ("pydtrace.providers.usdt", "UsdtProvider"),
}

DTRACE_NAMES = ("BEGIN", "END", "ERROR")


class ProbeRegistry:
    """Matches descriptions against providers and numbers probes as it meets them."""

    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}
        self._ids: dict[tuple, Probe] = {}
        self.by_id: dict[int, Probe] = {}
        self._next_id = 4  # 1-3 are dtrace:::BEGIN/END/ERROR
        self.create = False  # a compilation: user providers open their uprobes as they match
        self._all_numbered = False

    def provider(self, name: str) -> Provider:
        if name not in PROVIDERS:  # pid1234, python1234 ...
            name = "pid" if name.startswith("pid") and name[3:].isdigit() else "usdt"
        if name not in self._providers:
            module, cls = PROVIDERS[name]
            prov = self._providers[name] = getattr(importlib.import_module(module), cls)()
            if self.create and hasattr(prov, "create"):
                prov.create = True
        return self._providers[name]

    def close(self) -> None:
        """Releases what providers opened while matching and attach did not take."""
        for prov in self._providers.values():
            close = getattr(prov, "close", None)
            if close is not None:
                close()

    def number(self, probe: Probe) -> Probe:
        key = (probe.provider, probe.module, probe.function, probe.name)
        known = self._ids.get(key)
        if known is not None:
            return known
        if probe.id == 0:
            object.__setattr__(probe, "id", self._next_id)
            self._next_id += 1
        self._ids[key] = probe
        self.by_id[probe.id] = probe
        return probe

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        names = [n for n in PROVIDERS if glob_match(desc[0], n)]
        if desc[0] and desc[0] not in PROVIDERS:  # user space: pidN, pythonN, python*
            from pydtrace.providers.pid import check_provider_name

            check_provider_name(desc[0])
            names += [n for n in ("pid", "usdt") if n not in names]
        if desc[:3] == ("", "", "") and desc[3] in DTRACE_NAMES:
            names = ["dtrace"]  # no other provider names a probe BEGIN/END/ERROR
        probes: list[Probe] = []
        for name in names:
            probes.extend(self.number(p) for p in self.provider(name).match(desc))
        return probes

    def match_id(self, probe_id: int) -> list[Probe]:
        if probe_id not in self.by_id and not self._all_numbered:
            self.list_all()  # ids are numbered as probes are met: meet them all, once
            self._all_numbered = True
        probe = self.by_id.get(probe_id)
        return [probe] if probe else []

    def list_all(self) -> list[Probe]:
        probes: list[Probe] = []
        for name in PROVIDERS:
            probes.extend(self.number(p) for p in self.provider(name).list_probes())
        return sorted(probes, key=lambda p: p.id)
