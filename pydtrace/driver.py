"""dtrace(1) behind the command line: compile, list, run. Errors become DTraceError
with dtrace's exact wording; the CLI prints them."""

from __future__ import annotations

import sys

from pydtrace.errors import DCompileError, DTraceError
from pydtrace.invocation import Invocation, ProgramSpec


def run(inv: Invocation) -> int:
    procs = start_processes(inv) if inv.processes and inv.mode in ("run", "list") else None
    try:
        return run_mode(inv, procs)
    finally:
        if procs is not None:
            procs.release()


def start_processes(inv: Invocation):
    """-c/-p in command-line order: created stopped, or grabbed; sets $target."""
    from pydtrace.proc import ProcessSet

    procs = ProcessSet()
    try:
        for letter, arg in inv.processes:
            if letter == "c":
                procs.create(arg, str(inv.options["evaltime"]))
            else:
                from pydtrace.invocation import parse_pid

                procs.grab(parse_pid(arg))
    except BaseException:
        procs.release()
        raise
    inv.target_pids = procs.pids
    return procs


def run_mode(inv: Invocation, procs) -> int:
    if inv.mode == "list":
        from pydtrace.listing import list_probes

        return list_probes(inv)
    if inv.mode in ("header", "object"):
        from pydtrace import usdtgen

        return usdtgen.write_header(inv) if inv.mode == "header" else usdtgen.write_object(inv)
    if inv.mode == "anon":
        raise DTraceError(f"-{ {'header': 'h', 'object': 'G', 'anon': 'A'}[inv.mode] } "
                          "is not supported yet")
    if not inv.programs:
        raise DTraceError("no probes specified")
    from pydtrace.api import compile_invocation

    compiled, matched = compile_invocation(inv)
    try:
        return run_compiled(inv, compiled, matched, procs)
    finally:
        compiled.registry.close()  # the uprobes opened while matching and never attached


def run_compiled(inv: Invocation, compiled, matched, procs) -> int:
    if inv.disasm:
        print_disassembly(compiled)
    if inv.mode == "compile":
        return 0  # dtrace -e: no "matched" notice (dtrace(1) prints it when enabling)
    quiet = bool(inv.options["quiet"])
    if not quiet:
        for spec, count in matched:
            plural = "" if count == 1 else "s"
            sys.stderr.write(f"dtrace: {spec.desc} '{spec.name}' matched {count} "
                             f"probe{plural}\n")
        sys.stderr.flush()
    if inv.verbose:
        print_stability(compiled, matched)
    if "destructive" in compiled.analysis.uses and not inv.options["destructive"]:
        raise DTraceError("could not enable tracing: Destructive actions not allowed")
    if inv.options["destructive"] and not quiet:
        sys.stderr.write("dtrace: allowing destructive actions\n")
        sys.stderr.flush()
    return execute(inv, compiled, procs)


def print_stability(compiled, matched) -> None:
    """dtrace -v: the stability report of each program (written to stdout)."""
    from pydtrace.stability import report

    providers = sorted({p.provider for p in compiled.probes.values()})
    for spec, _ in matched:
        sys.stdout.write(report(spec.desc, spec.name, providers))
    sys.stdout.flush()


def execute(inv: Invocation, compiled, procs=None) -> int:
    from pydtrace.api import open_output
    from pydtrace.consume.session import Session
    from pydtrace.providers.registry import ProbeRegistry

    out = open_output(inv.output_path)
    session = Session(compiled, inv.options, out)
    on_go = None
    if procs is not None:
        session.targets_alive = procs.alive_hook(session, bool(inv.options["quiet"]))
        on_go = procs.resume
    try:
        session.open()
        return session.run(compiled.registry if hasattr(compiled, "registry")
                           else ProbeRegistry(), on_go=on_go)
    finally:
        session.close()


def print_disassembly(compiled) -> None:
    from pydtrace.bpf.disasm import disasm

    for prog in compiled.programs:
        sys.stderr.write(f"\nDIFO program {prog.name} ({prog.kind}, "
                         f"{len(prog.insns)} instructions):\n")
        sys.stderr.write("\n".join(disasm(prog.insns)) + "\n")


def compile_error(spec: ProgramSpec, err: DCompileError, errtags: bool) -> DTraceError:
    """dtrace's two framings of a compile error (script file vs. probe specifier)."""
    if spec.kind == "s":
        return DTraceError(f"failed to compile script {spec.name}: {err.located(errtags)}")
    # dtrace names no line for a program given on the command line
    prefix = f"[{err.tag}] " if errtags else ""
    where = f"{err.where}: " if err.where else ""
    return DTraceError(f"invalid probe specifier {spec.text}: {prefix}{where}{err.message}")
