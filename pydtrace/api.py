"""The Python API: compile D, run it, read its output or its decoded records.

    from pydtrace.api import run_program
    status, text = run_program('BEGIN { printf("%d\\n", 6 * 7); exit(0); }', quiet=True)

The dtrace(1) command line is a thin layer over ``compile_invocation`` and
``Session``.
"""

from __future__ import annotations

import io
import sys
from typing import IO

from pydtrace.errors import DCompileError, DTraceError
from pydtrace.invocation import Invocation, ProgramSpec
from pydtrace.lang import ast as A
from pydtrace.options import Options


def parse_spec(spec: ProgramSpec, inv: Invocation, target: int | None):
    program, env, _ = parse_source(spec, inv, target)
    return program, env


class Source:
    """What the compiler read for one program spec: its text after ``-C``
    (else the spec's own) and the LineMap back to the script and its headers."""

    __slots__ = ("text", "linemap")

    def __init__(self, text: str, linemap=None) -> None:
        self.text = text
        self.linemap = linemap

    def relocate(self, err: DCompileError) -> DCompileError:
        return self.linemap.relocate(err) if self.linemap is not None else err


def parse_source(spec: ProgramSpec, inv: Invocation, target: int | None):
    """parse_spec, also returning the :class:`Source` (``-C`` runs cpp over scripts)."""
    from pydtrace.lang.macros import MacroEnv
    from pydtrace.lang.parser import parse_program

    args = inv.macro_args(spec)
    env = MacroEnv.for_process(args[1:], prog=args[0], target=target)
    env.defaultargs = bool(inv.options["defaultargs"])
    source = Source(spec.text)
    if spec.kind == "s" and inv.options["cpp"]:  # -C: scripts only, as dt_compile()
        from pydtrace.cpp import preprocess

        try:
            source = Source(*preprocess(spec.text, inv.options, inv.data_model, spec.name))
        except DTraceError as exc:
            raise DTraceError(f"failed to compile script {spec.name}: {exc.message}") from None
    try:
        program = parse_program(source.text, macros=env, kind=spec.kind)
    except DCompileError as err:
        raise source.relocate(err) from None
    return program, env, source


def apply_pragmas(program: A.Program, options: Options, registry=None) -> list:
    """#pragma D lines (sema.pragmas); returns the pragmas still pending."""
    from pydtrace.sema.pragmas import apply

    return apply(program, options, registry)


def match_clauses(program: A.Program, registry, zdefs: bool) -> list[list]:
    clause_probes = []
    for clause in program.clauses:
        probes: dict[int, object] = {}  # by probe id: a wide match has thousands
        for desc in clause.descs:
            found = match_desc(registry, desc)
            if not found and not zdefs:
                raise DCompileError("D_PDESC_ZERO", f"probe description {desc.provider}:"
                                    f"{desc.module}:{desc.function}:{desc.name} does not "
                                    "match any probes", desc.line or None)
            for p in found:
                probes.setdefault(p.id, p)
        clause_probes.append(list(probes.values()))
    return clause_probes


def match_desc(registry, desc: A.ProbeDesc) -> list:
    if is_probe_id(desc):
        return registry.match_id(int(desc.text))
    return registry.match((desc.provider, desc.module, desc.function, desc.name))


def is_probe_id(desc: A.ProbeDesc) -> bool:
    """An integer specifier (``123``, not ``:::123``): the parser leaves its fields empty."""
    return desc.text.isdigit() and not (desc.provider or desc.module or desc.function
                                        or desc.name)


def check_probe_ids(program: A.Program, registry) -> None:
    """dt_node_pdesc_by_id: an id that names no probe is an error, even under -Z or -l."""
    for clause in program.clauses:
        for desc in clause.descs:
            if is_probe_id(desc) and not registry.match_id(int(desc.text)):
                raise DCompileError("D_PDESC_INVAL", f"invalid probe identifier {desc.text}: "
                                    "Unknown probe identifier", desc.line or None)


def compile_invocation(inv: Invocation):
    """Parses, checks and compiles every program of ``inv`` into one.

    Returns the compiled program and, per program spec, how many probes it matched.
    ``compiled.registry`` holds the uprobes the pid/USDT providers opened while
    matching: the caller closes it (``registry.close()``) once attached or abandoned.
    """
    from pydtrace.providers.registry import ProbeRegistry

    registry = ProbeRegistry()
    registry.create = True
    try:
        return compile_with(inv, registry)
    except BaseException as exc:
        registry.close()
        if is_internal(exc):
            raise internal_error(inv, exc) from exc
        raise


def is_internal(exc: BaseException) -> bool:
    """A compiler bug rather than a D or system error (PYDTRACE_DEBUG: keep its traceback)."""
    import os

    return (isinstance(exc, Exception) and not isinstance(exc, DTraceError | OSError)
            and not os.environ.get("PYDTRACE_DEBUG"))


def internal_error(inv: Invocation, exc: BaseException) -> DTraceError:
    """libdtrace's last resort for the unexpected: ``[D_UNKNOWN] internal error -- ...``."""
    from pydtrace.driver import compile_error

    err = DCompileError("D_UNKNOWN", f"internal error -- {type(exc).__name__}: {exc}")
    return compile_error(inv.programs[0], err, bool(inv.options["errtags"]))


def compile_with(inv: Invocation, registry):
    """compile_invocation's work, matching probes through ``registry``."""
    from pydtrace.codegen.program import ProgramBuilder
    from pydtrace.driver import compile_error
    from pydtrace.lang.macros import check_unused
    from pydtrace.sema.check import Checker

    errtags = bool(inv.options["errtags"])
    items: list = []
    all_probes: list[list] = []
    matched = []
    lines: list[str] = []
    target = inv.target_pids[0] if inv.target_pids else (inv.pids[0] if inv.pids else None)
    sources: list[Source] = []  # per program: its text and -C line map
    pending: list = []  # #pragma attributes/binding waiting for their identifier
    for spec in inv.programs:
        source = Source(spec.text)
        try:
            program, env, source = parse_source(spec, inv, target)
            check_probe_ids(program, registry)
            pending += [(p, spec, source) for p in apply_pragmas(program, inv.options, registry)]
            if not inv.options["argref"]:
                check_unused(env)
            probes = match_clauses(program, registry, bool(inv.options["zdefs"]))
        except DCompileError as err:
            raise compile_error(spec, source.relocate(err), errtags) from err
        items.extend(program.items)
        sources.append(source)
        all_probes.extend(probes)
        matched.append((spec, sum(len(ps) for ps in probes)))  # per clause, like enablings
        lines = source.text.splitlines()
    whole = A.Program(items)
    spec0 = inv.programs[0]
    try:
        checker = Checker(inv.options["strsize"])
        checker.options, checker.data_model = inv.options, inv.data_model
        checker.clause_probes = dict(zip(whole.clauses, all_probes, strict=False))
        from pydtrace.sema.libs import load_libraries

        load_libraries(checker)  # -L DIR user libraries, before the program
        analysis = checker.check(whole)
        if not whole.clauses:  # after the declarations, whose errors dtrace's parser reports
            raise DCompileError("D_EMPTY", "empty D program translation unit")
        if pending:
            from pydtrace.sema.pragmas import check_unused

            for p, spec, source in pending:
                try:
                    check_unused([p], analysis)
                except DCompileError as err:
                    raise compile_error(spec, source.relocate(err), errtags) from err
        compiled = ProgramBuilder(analysis, inv.options, lines).build(whole, all_probes)
    except DCompileError as err:
        if len(sources) == 1:  # -C: back to the script's (or its header's) line
            sources[0].relocate(err)
        raise compile_error(spec0, err, errtags) from err
    compiled.registry = registry  # type: ignore[attr-defined]
    return compiled, matched


def open_output(path: str | None) -> IO[bytes]:
    if path is None:
        return sys.stdout.buffer
    try:
        return open(path, "ab")  # noqa: SIM115 - lives as long as the run
    except OSError as exc:
        raise DTraceError(f"failed to open output file '{path}': {exc.strerror}") from exc


def run_program(source: str, *, quiet: bool = True, on_record=None,
                **options: str | int | bool) -> tuple[int, str]:
    """Compiles and runs a D program; returns (exit status, output text).

    ``on_record(epid, probe, values)`` receives each firing's decoded trace()
    and printf() values (ints and bytes) as the consumer reads them.
    """
    from pydtrace.consume.session import Session

    inv = Invocation(programs=[ProgramSpec("s", source, "<api>")])
    if quiet:
        inv.options.set("quiet", None)
    for name, value in options.items():
        inv.options.set(name, None if value is True else str(value))
    compiled, _ = compile_invocation(inv)
    out = io.BytesIO()
    session = Session(compiled, inv.options, out)
    session.record_hook = on_record
    try:
        session.open()
        status = session.run(compiled.registry)
    finally:
        session.close()
        compiled.registry.close()
    return status, out.getvalue().decode("utf-8", "surrogateescape")
