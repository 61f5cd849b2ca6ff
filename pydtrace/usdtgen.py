"""``dtrace -h`` and ``dtrace -G``: USDT probes for Linux applications.

``dtrace -h -s prov.d`` writes a C header. For each probe of each
``provider`` declaration it defines

* ``PROVIDER_PROBE(args...)``: an inline probe point. It assembles a ``nop``
  and a SystemTap SDT note (section ``.note.stapsdt``, note type 3, owner
  ``stapsdt``) holding the probe's address, the ``.stapsdt.base`` address, the
  semaphore's address, the provider and probe names and the argument
  specification (``-4@%eax 8@%rdx``: size, negative when signed, ``@``,
  the operand the compiler chose with the ``nor`` constraint). It is the
  format sys/sdt.h writes, so any SDT consumer (pydtrace's usdt provider,
  bpftrace, perf, gdb) finds the probes without a DOF section;
* ``PROVIDER_PROBE_ENABLED()``: true while a tracer has the probe enabled: it
  reads the probe's semaphore ``unsigned short provider_probe_semaphore``
  (section ``.probes``), which tracers increment (uprobe reference counter).

The header defines the semaphores itself (weak, hidden: one per executable or
shared object), so programs build with the header alone. Probe names keep
their ``__`` in the notes (SDT convention); D sees them with ``-`` as usual.

``dtrace -G -s prov.d [file.o ...]`` exists for build systems that run it
between compiling and linking: the probes are already complete in the objects
(nothing needs rewriting, unlike DOF-based USDT), so the objects are only
checked to be readable, and the output (``-o``, else ``prov.o``, else
``d.out``) is a small object, built with ``cc -c``, holding strong
definitions of the semaphores.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from pydtrace.errors import DCompileError, DTraceError
from pydtrace.lang import ast as A

NOTE_TYPE = 3

# Builtin type words -> (size, signed); anything unknown is a 64-bit signed value.
_INT_WORDS = {"char": 1, "short": 2, "int": 4, "long": 8}
_TYPEDEFS = {
    "int8_t": (1, True), "uint8_t": (1, False), "int16_t": (2, True), "uint16_t": (2, False),
    "int32_t": (4, True), "uint32_t": (4, False), "int64_t": (8, True), "uint64_t": (8, False),
    "intptr_t": (8, True), "uintptr_t": (8, False), "size_t": (8, False),
    "ssize_t": (8, True), "off_t": (8, True), "pid_t": (4, True), "uid_t": (4, False),
    "gid_t": (4, False), "string": (8, False), "uchar_t": (1, False), "ushort_t": (2, False),
    "uint_t": (4, False), "ulong_t": (8, False), "longlong_t": (8, True),
    "u_longlong_t": (8, False), "boolean_t": (4, True), "bool": (1, False),
}
_C_TYPE = {(1, True): "signed char", (1, False): "unsigned char", (2, True): "short",
           (2, False): "unsigned short", (4, True): "int", (4, False): "unsigned int",
           (8, True): "long long", (8, False): "unsigned long long"}


class ProbeDef:
    """One probe of a provider, as the generated C needs it."""

    def __init__(self, provider: str, name: str, args: list[tuple[int, bool]]) -> None:
        self.provider = provider
        self.name = name          # as written: foo__bar
        self.args = args          # (size, signed) per argument

    @property
    def macro(self) -> str:
        return f"{self.provider}_{self.name.replace('__', '_')}".upper()

    @property
    def semaphore(self) -> str:
        return f"{self.provider}_{self.name}_semaphore"


def arg_kind(t: A.TypeName) -> tuple[int, bool]:
    """(size in bytes, signed) of a probe argument type, as the SDT note records it."""
    if t.derived:
        return 8, False  # pointers (and arrays, which decay to them)
    spec = t.spec
    if spec.kind == "builtin":
        words = [w for w in spec.words if w not in ("const", "volatile")]
        unsigned = "unsigned" in words
        if words.count("long") >= 1:
            return 8, not unsigned
        for w, size in _INT_WORDS.items():
            if w in words:
                return size, not unsigned
        return (4, not unsigned) if words else (8, True)
    if spec.kind == "typedef":
        return _TYPEDEFS.get(str(spec.name).split("`")[-1], (8, True))
    if spec.kind == "enum":
        return 4, True
    return 8, False


def providers_of(programs: list[A.Program]) -> list[tuple[str, list[ProbeDef]]]:
    """The provider declarations of the programs, in order."""
    out = []
    for program in programs:
        for item in program.items:
            if isinstance(item, A.ProviderDecl):
                probes = [ProbeDef(item.name, p.name, [arg_kind(a.type) for a in p.args])
                          for p in item.probes]
                out.append((item.name, probes))
    return out


def _c_string(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def probe_macro(p: ProbeDef) -> str:
    """``#define PROV_PROBE(arg0, ...)``: a nop plus its SDT note (asm, x86-64 and arm64)."""
    params = ", ".join(f"arg{i}" for i in range(len(p.args)))
    spec = " ".join(f"%c[_s{i}]@%[_a{i}]" for i in range(len(p.args)))
    operands = ", ".join(
        f'[_s{i}] "n" ({-size if signed else size}), '
        f'[_a{i}] "nor" (({_C_TYPE[(size, signed)]})(arg{i}))'
        for i, (size, signed) in enumerate(p.args))
    asm = [
        "990: nop",
        '.pushsection .note.stapsdt,\\"\\",\\"note\\"',
        ".balign 4",
        f".4byte 992f-991f, 994f-993f, {NOTE_TYPE}",
        '991: .asciz \\"stapsdt\\"',
        "992: .balign 4",
        "993: .8byte 990b",
        ".8byte _.stapsdt.base",
        f".8byte {p.semaphore}",
        f'.asciz \\"{_c_string(p.provider)}\\"',
        f'.asciz \\"{_c_string(p.name)}\\"',
        f'.asciz \\"{spec}\\"',
        "994: .balign 4",
        ".popsection",
        ".ifndef _.stapsdt.base",
        '.pushsection .stapsdt.base,\\"aG\\",\\"progbits\\",.stapsdt.base,comdat',
        ".weak _.stapsdt.base",
        ".hidden _.stapsdt.base",
        "_.stapsdt.base: .space 1",
        ".size _.stapsdt.base, 1",
        ".popsection",
        ".endif",
    ]
    body = " \\\n".join(f'\t    "{line}\\n"' for line in asm)
    return (f"#define\t{p.macro}({params}) \\\n"
            "do { \\\n"
            "\t__asm__ __volatile__ ( \\\n"
            f"{body} \\\n"
            f"\t    :: {operands}); \\\n"
            "} while (0)\n"
            f"#define\t{p.macro}_ENABLED() \\\n"
            f"\t__builtin_expect({p.semaphore} != 0, 0)\n")


def semaphore_decl(p: ProbeDef, weak: bool) -> str:
    attrs = 'section(".probes"), used'
    if weak:
        attrs += ', weak, visibility("hidden")'
    return f"__extension__ unsigned short {p.semaphore} __attribute__(({attrs}));\n"


def header_text(provs: list[tuple[str, list[ProbeDef]]], path: str) -> str:
    guard = "_" + "".join(c if c.isalnum() else "_" for c in os.path.basename(path)).upper()
    out = ["/*\n * Generated by dtrace(1M).\n */\n\n",
           f"#ifndef\t{guard}\n#define\t{guard}\n\n",
           "#ifdef\t__cplusplus\nextern \"C\" {\n#endif\n\n"]
    for name, probes in provs:
        out.append(f"/* provider {name} */\n\n")
        for p in probes:
            out.append(semaphore_decl(p, weak=True))
        out.append("\n")
        for p in probes:
            out.append(probe_macro(p))
            out.append("\n")
    out.append("#ifdef\t__cplusplus\n}\n#endif\n\n")
    out.append(f"#endif\t/* {guard} */\n")
    return "".join(out)


def object_source(provs: list[tuple[str, list[ProbeDef]]]) -> str:
    out = ["/* Generated by dtrace(1M) -G: USDT semaphores. */\n"]
    for _, probes in provs:
        out.extend(semaphore_decl(p, weak=False) for p in probes)
    return "".join(out)


# ---------------------------------------------------------------- the two modes


def parse_programs(inv) -> list[tuple[object, A.Program]]:
    from pydtrace.api import parse_source
    from pydtrace.driver import compile_error

    parsed = []
    for spec in inv.programs:
        try:
            program, _, _ = parse_source(spec, inv, None)
        except DCompileError as err:
            raise compile_error(spec, err, bool(inv.options["errtags"])) from err
        parsed.append((spec, program))
    return parsed


def write_header(inv) -> int:
    """``dtrace -h``: the header (``-o``, else NAME.h for NAME.d)."""
    provs = providers_of([p for _, p in parse_programs(inv)])
    path = inv.output_path
    text = header_text(provs, path)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        raise DTraceError(f"failed to open header file '{path}'") from None
    return 0


def default_object_path(inv) -> str:
    spec = inv.programs[0]
    arg = spec.name if spec.kind == "s" else spec.text
    if len(inv.programs) == 1 and arg.endswith(".d"):
        return os.path.basename(arg[:-2]) + ".o"
    return "d.out"


def write_object(inv) -> int:
    """``dtrace -G``: check the objects, write the semaphore object."""
    parsed = parse_programs(inv)
    for obj in inv.objects:
        try:
            with open(obj, "rb") as f:
                f.read(4)
        except OSError as exc:
            raise DTraceError(f"failed to open {obj}: {os.strerror(exc.errno or 0)}") from None
    provs = providers_of([p for _, p in parsed])
    out = inv.output_path or default_object_path(inv)
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or "cc"
    argv = [*cc.split(), "-c", "-fPIC", "-x", "c", "-o", out, "-"]
    try:
        proc = subprocess.run(argv, input=object_source(provs).encode(), check=False,
                              stdout=subprocess.DEVNULL)
    except OSError as exc:
        raise DTraceError(f"failed to link {out}: cannot run {argv[0]}: "
                          f"{os.strerror(exc.errno or 0)}") from None
    if proc.returncode != 0:
        raise DTraceError(f"failed to link {out}: {argv[0]} exited with status "
                          f"{proc.returncode}")
    return 0
