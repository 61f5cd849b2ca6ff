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
    "lockstat": ("Evolving", "Evolving", "ISA"),
    "pid": ("Evolving", "Evolving", "ISA"),
    "fbt": ("Private", "Private", "ISA"),
}
DEFAULT_ATTRS = ("Private", "Private", "Unknown")  # sdt, rawtp, USDT providers
# dtrace -lv "Argument Attributes" where a provider rates its arguments above Private
# (sched, proc and io share the SDT providers' stable attribute table)
ARG_ATTRS = {"lockstat": ("Evolving", "Evolving", "ISA"), "sched": ("Evolving", "Evolving", "ISA"),
             "proc": ("Evolving", "Evolving", "ISA"), "io": ("Evolving", "Evolving", "ISA")}
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


# ---------------------------------------------------------------- -x amin (D_ATTR_MIN)

MAX_ATTRS = ("Standard", "Standard", "Common")
SYMBOL_ATTRS = ("Private", "Private", "Unknown")  # a `` `sym `` reference
UNMATCHED_ATTRS = ("Unstable", "Unstable", "Common")  # a description matching no probe (-Z)


def parse_attrs(text: str) -> tuple[str, str, str] | None:
    """``name/data/class`` as ``-x amin`` takes it (libdtrace dtrace_str2attr):
    any case, trailing parts may be left out (they stay at the maximum); None if
    a part names no stability level or class, or a fourth part follows."""
    out = list(MAX_ATTRS)
    rest: str | None = text
    for i in range(4):
        if not rest:  # nothing left: the remaining parts keep their maximum
            break
        if i == 3:
            return None  # a fourth part
        part, sep, tail = rest.partition("/")
        rest = tail if sep else ""
        names = CLASSES if i == 2 else STABILITY
        found = next((n for n in names if n.lower() == part.lower()), None)
        if found is None:
            return None
        out[i] = found
    return out[0], out[1], out[2]


def below(attrs: tuple[str, str, str], amin: tuple[str, str, str]) -> bool:
    """Whether any of ``attrs`` is less than its counterpart in ``amin``."""
    return (STABILITY.index(attrs[0]) < STABILITY.index(amin[0])
            or STABILITY.index(attrs[1]) < STABILITY.index(amin[1])
            or CLASSES.index(attrs[2]) < CLASSES.index(amin[2]))


def check_minimum(what: str, attrs: tuple[str, str, str], options, line: int | None) -> None:
    """D_ATTR_MIN when ``-x amin`` is set and ``attrs`` fall below it."""
    text = options.get("amin") if options is not None else None
    if text is None:
        return
    amin = parse_attrs(str(text))
    if amin is not None and below(attrs, amin):
        from pydtrace.errors import DCompileError

        raise DCompileError("D_ATTR_MIN", f"attributes for {what} ({'/'.join(attrs)}) are "
                            "less than predefined minimum", line)


def clause_attrs(clause, probes: list) -> tuple[str, str, str]:
    """The attributes dt_cook_clause gives a clause: those of its first probe
    description's provider (the minimum over the providers it matched)."""
    from fnmatch import fnmatchcase

    desc = clause.descs[0] if clause.descs else None
    pattern = (desc.provider if desc is not None else "") or "*"
    providers = {p.provider for p in probes if fnmatchcase(p.provider, pattern)}
    if not providers:
        return UNMATCHED_ATTRS
    return minimum([PROVIDER_ATTRS.get(p, DEFAULT_ATTRS) for p in sorted(providers)])
