"""``dtrace -l``: list the probes that descriptions match, in dtrace's columns."""

from __future__ import annotations

import sys

from pydtrace.errors import DCompileError, DTraceError
from pydtrace.invocation import Invocation

KIND_FIELDS = {"P": 1, "m": 2, "f": 3, "n": 4}


def split_desc(text: str, kind: str) -> tuple[str, str, str, str]:
    """Fills the fields right to left (``-P``/``-m``/``-f`` anchor on the left)."""
    parts = text.split(":")
    if len(parts) > 4:
        raise DTraceError(f"invalid probe specifier {text}: Overspecified probe description")
    width = KIND_FIELDS.get(kind, 4)
    if kind in ("P", "m", "f"):
        parts = parts + [""] * (4 - len(parts)) if len(parts) >= width else \
            [""] * (width - len(parts)) + parts + [""] * (4 - width)
    else:
        parts = [""] * (4 - len(parts)) + parts
    return tuple(parts)  # type: ignore[return-value]


def list_probes(inv: Invocation) -> int:
    from pydtrace.output.records import listing_header, listing_row
    from pydtrace.providers.registry import ProbeRegistry

    registry = ProbeRegistry()
    out = sys.stdout
    probes = []
    if not inv.programs:
        probes = registry.list_all()
    seen = {p.fullname for p in probes}
    for spec in inv.programs:
        found = matches_of(registry, spec, inv.target_pids[0] if inv.target_pids else None)
        if not found:
            desc = ":".join(split_desc(spec_desc(spec), spec.kind))
            sys.stderr.write(f"dtrace: failed to match {desc}: No probe matches description\n")
        for p in found:
            if p.fullname not in seen:
                seen.add(p.fullname)
                probes.append(p)
    out.write(listing_header())
    for p in sorted(probes, key=lambda p: p.id):
        out.write(listing_row(p.id, p.provider, p.module, p.function, p.name))
        if inv.verbose:
            out.write(verbose_block(p))
    out.flush()
    return 0


def spec_desc(spec) -> str:
    text = spec.text
    for stop in ("/", "{"):
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    return text.strip()


def matches_of(registry, spec, target: int | None = None) -> list:
    if spec.kind == "s":
        from pydtrace.api import match_clauses, parse_spec

        try:
            program, _ = parse_spec(spec, Invocation(), target)
            return [p for ps in match_clauses(program, registry, True) for p in ps]
        except DCompileError as err:
            raise DTraceError(f"failed to compile script {spec.name}: {err.located()}") from err
    if spec.kind == "i":
        return registry.match_id(int(spec.text)) if spec.text.strip().isdigit() else []
    text = spec_desc(spec)
    if "$target" in text:  # the only macro a listed description uses in practice
        text = text.replace("$target", str(target or 0))
    return registry.match(split_desc(text, spec.kind))


def verbose_block(p) -> str:
    attrs = ("\n\tProbe Description Attributes\n\t\tIdentifier Names: Private\n"
             "\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n"
             "\n\tArgument Attributes\n\t\tIdentifier Names: Private\n"
             "\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n"
             "\n\tArgument Types\n")
    if not p.arg_types:
        return attrs + "\t\tNone\n\n"
    from pydtrace.sema.kernel import arg_display

    return attrs + "".join(f"\t\targs[{i}]: {arg_display(t)}\n"
                           for i, t in enumerate(p.arg_types)) + "\n"
