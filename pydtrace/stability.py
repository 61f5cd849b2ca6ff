"""Interface stability of probes, for ``dtrace -v``'s stability report.

DTrace rates each provider's names and data (Internal .. Standard) and their
dependency class (Unknown .. Common); a program's report shows the minimum
over the probes it enables. The ratings follow DTrace's providers; kernel
tracepoints and functions are Private, as the kernel promises nothing there.
"""

from __future__ import annotations

STABILITY = ["Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable",
             "Standard"]
CLASSES = ["Unknown", "CPU", "Platform", "Group", "ISA", "Common"]

PROVIDER_ATTRS = {  # provider -> (identifier names, data semantics, dependency class)
    "dtrace": ("Stable", "Stable", "Common"),
    "profile": ("Evolving", "Evolving", "Common"),
    "syscall": ("Evolving", "Evolving", "Common"),
    "proc": ("Evolving", "Evolving", "ISA"),
    "sched": ("Evolving", "Evolving", "ISA"),
    "io": ("Evolving", "Evolving", "ISA"),
    "pid": ("Evolving", "Evolving", "ISA"),
    "fbt": ("Private", "Private", "ISA"),
}
DEFAULT_ATTRS = ("Private", "Private", "Unknown")  # sdt, rawtp, USDT providers
STATEMENT_ATTRS = ("Stable", "Stable", "Common")


def minimum(attrs: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    if not attrs:
        return STATEMENT_ATTRS
    return (min((a[0] for a in attrs), key=STABILITY.index),
            min((a[1] for a in attrs), key=STABILITY.index),
            min((a[2] for a in attrs), key=CLASSES.index))


def block(title: str, attrs: tuple[str, str, str]) -> str:
    return (f"\n\t{title}\n\t\tIdentifier Names: {attrs[0]}\n"
            f"\t\tData Semantics:   {attrs[1]}\n\t\tDependency Class: {attrs[2]}\n")


def report(desc: str, name: str, providers: list[str]) -> str:
    """The text dtrace -v prints for one program (to the output, after compiling)."""
    probe_attrs = minimum([PROVIDER_ATTRS.get(p, DEFAULT_ATTRS) for p in providers])
    return (f"\nStability attributes for {desc} {name}:\n"
            + block("Minimum Probe Description Attributes", probe_attrs)
            + block("Minimum Statement Attributes", STATEMENT_ATTRS) + "\n")
