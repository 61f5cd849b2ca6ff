"""``dtrace -l``: list the probes that descriptions match, in dtrace's columns."""

from __future__ import annotations

import sys

from pydtrace.errors import DCompileError
from pydtrace.invocation import Invocation


def list_probes(inv: Invocation) -> int:
    """dtrace -l: compile every program first (errors end the run before the
    header), then list each probe description's matches in order, as list_stmt
    does: a description that matches nothing gets ``failed to match``, the exit
    status stays 0, and a probe two descriptions match is listed twice."""
    from pydtrace.output.records import listing_header, listing_row
    from pydtrace.providers.registry import ProbeRegistry

    registry = ProbeRegistry()
    listed = [found for spec in inv.programs for found in matched_descs(inv, spec, registry)]
    out = sys.stdout
    out.write(listing_header())
    if not inv.programs:
        listed = [(None, registry.list_all())]
    for desc, probes in listed:
        if desc is not None and not probes:
            out.flush()
            sys.stderr.write(f"dtrace: failed to match {desc.provider}:{desc.module}:"
                             f"{desc.function}:{desc.name}: No probe matches description\n")
            sys.stderr.flush()
        for p in probes:
            out.write(listing_row(p.id, p.provider, p.module, p.function, p.name))
            if inv.verbose:
                out.write(verbose_block(p))
    out.flush()
    return 0


def matched_descs(inv: Invocation, spec, registry) -> list[tuple[object, list]]:
    """(description, its probes by id) for each probe description of ``spec``,
    compiled like dtrace -l compiles it (dtrace_program_strcompile or
    fcompile; -l implies -Z). Compile errors come back framed as dtrace frames them."""
    from pydtrace.api import Source, check_probe_ids, match_desc, parse_source
    from pydtrace.driver import compile_error

    target = inv.target_pids[0] if inv.target_pids else (inv.pids[0] if inv.pids else None)
    source = Source(spec.text)
    try:
        program, _, source = parse_source(spec, inv, target)
        check_probe_ids(program, registry)
        return [(desc, sorted(match_desc(registry, desc), key=lambda p: p.id))
                for clause in program.clauses for desc in clause.descs]
    except DCompileError as err:
        raise compile_error(spec, source.relocate(err), bool(inv.options["errtags"])) from err


def verbose_block(p) -> str:
    from pydtrace.stability import ARG_ATTRS, DEFAULT_ATTRS, block

    attrs = ("\n\tProbe Description Attributes\n\t\tIdentifier Names: Private\n"
             "\t\tData Semantics:   Private\n\t\tDependency Class: Unknown\n"
             + block("Argument Attributes", ARG_ATTRS.get(p.provider, DEFAULT_ATTRS))
             + "\n\tArgument Types\n")
    if not p.arg_types:
        return attrs + "\t\tNone\n\n"
    from pydtrace.sema.kernel import arg_display

    return attrs + "".join(f"\t\targs[{i}]: {arg_display(t)}\n"
                           for i, t in enumerate(p.arg_types)) + "\n"
