"""The provider protocol: match probe descriptions, list probes, attach programs.

A provider never generates code. It names the *probe kind* of each probe (which
selects the program type and the trampoline that fills the machine state) and
knows how to attach a loaded program to one of its probes.
"""

from __future__ import annotations

import fnmatch
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Probe:
    """One probe: its four-part name, kind and attach data."""

    provider: str
    module: str
    function: str
    name: str
    kind: str  # begin, end, error, profile, tick, tracepoint, rawtp, uprobe, kprobe ...
    data: tuple = ()  # provider-specific attach data (hashable)
    arg_types: tuple[str, ...] = ()
    id: int = field(default=0, compare=False)

    @property
    def fullname(self) -> str:
        return f"{self.provider}:{self.module}:{self.function}:{self.name}"


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern), re.DOTALL)


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[\\")


def glob_match(pattern: str, value: str) -> bool:
    """DTrace glob semantics: an empty pattern matches anything."""
    if not pattern:
        return True
    if not is_glob(pattern):
        return pattern == value
    return _glob_regex(pattern.replace("[!", "[!")).match(value) is not None


def desc_matches(desc: tuple[str, str, str, str], probe: Probe) -> bool:
    prov, mod, func, name = desc
    return (glob_match(prov, probe.provider) and glob_match(mod, probe.module)
            and glob_match(func, probe.function) and glob_match(name, probe.name))


class Provider:
    """Base class; subclasses set ``name`` and override what they support."""

    name = ""

    def match(self, desc: tuple[str, str, str, str]) -> list[Probe]:
        return [p for p in self.list_probes() if desc_matches(desc, p)]

    def list_probes(self) -> list[Probe]:
        return []

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        raise NotImplementedError(f"{self.name} probes cannot be attached")
