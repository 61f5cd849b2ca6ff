"""dtrace(1)'s command line, parsed into an :class:`Invocation` (pure data).

The rules are dtrace.c's:

* getopt over ``3:6:aAb:Bc:CD:ef:FGhHi:I:lL:m:n:o:p:P:qs:SU:vVwx:X:Z``:
  flags cluster (``-qn``), an option's argument is the rest of its word or
  the next word (``-xquiet``, ``-x quiet``), and options may follow operands
  (dtrace restarts getopt after each operand). ``--`` ends the options.
* Pass 1 settles the mode: ``-A -G -h -l -V`` are exclusive (each use
  counts, so ``-l -l`` is refused too); ``-V`` needs nothing else.
* Pass 2 applies options in command-line order over the ``DTRACE_OPT_*``
  environment; a bad one is fatal (exit 1), not a usage error.
* Pass 3 checks ``-p`` pids; pass 4 reads ``-s`` scripts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydtrace.errors import DTraceError, UsageError
from pydtrace.options import Options

OPTSTRING = "3:6:aAb:Bc:CD:ef:FGhHi:I:lL:m:n:o:p:P:qs:SU:vVwx:X:Z"
VERSION_STRING = "Oracle D 2.0"
PROGNAME = "dtrace"

# Option letters that take an argument, and those that do not.
_WITH_ARG = frozenset(c for i, c in enumerate(OPTSTRING) if OPTSTRING[i + 1:i + 2] == ":")
_FLAGS = frozenset(OPTSTRING.replace(":", "")) - _WITH_ARG

_MODE_LETTERS = {"A": "anon", "G": "object", "h": "header", "l": "list", "V": "version"}
_PROGRAM_LETTERS = frozenset("nPmfis")

_PREDACT = "[[ predicate ] action ]"

USAGE = f"""\
Usage: {PROGNAME} [-32|-64] [-aACeFGhHlqSvVwZ] [-b bufsz] [-c cmd] [-D name[=def]]
\t[-I path] [-L path] [-o output] [-p pid] [-s script] [-U name]
\t[-x opt[=val]] [-X a|c|s|t]

\t[-P provider {_PREDACT}]
\t[-m [ provider: ] module {_PREDACT}]
\t[-f [[ provider: ] module: ] func {_PREDACT}]
\t[-n [[[ provider: ] module: ] func: ] name {_PREDACT}]
\t[-i probe-id {_PREDACT}] [ args ... ]

\tpredicate -> '/' D-expression '/'
\t   action -> '{{' D-statements '}}'

\t-32 compile for the 32-bit data model (ILP32)
\t-64 compile for the 64-bit data model (LP64, the default)

\t-a  claim anonymous tracing state
\t-A  write anonymous tracing directives (not supported on Linux)
\t-b  set the principal buffer size
\t-c  run the given command, and exit when it completes
\t-C  run the C preprocessor over script files
\t-D  define a preprocessor symbol
\t-e  exit once the programs are compiled, before enabling probes
\t-f  enable or list the probes of the given function
\t-F  indent output by function entry and return
\t-G  write an ELF object file holding the D program
\t-h  write a header file of macros for the given USDT providers
\t-H  print the files the preprocessor includes
\t-i  enable or list the probe with the given id
\t-I  add a directory to the preprocessor's include path
\t-l  list the probes that match, instead of enabling them
\t-L  add a directory to the D library path
\t-m  enable or list the probes of the given module
\t-n  enable or list the probes with the given name
\t-o  write output to the given file
\t-p  trace the given process id, and exit when it exits
\t-P  enable or list the probes of the given provider
\t-q  quiet: print only explicitly traced data
\t-s  enable or list the probes of the given D script
\t-S  print the generated BPF code
\t-U  undefine a preprocessor symbol
\t-v  verbose: report stability attributes and argument types
\t-V  print the D API version
\t-w  allow destructive actions
\t-x  set a compiler or tracing option
\t-X  choose the preprocessor's ISO C conformance mode
\t-Z  allow probe descriptions that match no probes
"""


class ArgvError(UsageError):
    """A usage error; ``show_usage`` says whether the usage text follows the message."""

    def __init__(self, message: str, show_usage: bool = True) -> None:
        super().__init__(message)
        self.show_usage = show_usage


@dataclass(frozen=True)
class ProgramSpec:
    """One D program from the command line, in command-line order.

    ``kind`` is the option letter: ``s`` (script file; ``text`` is its
    content, ``name`` its path as given), or ``n P m f i`` (``text`` is the
    argument, ``name`` the argument cut before its first ``{``, ``/`` or ``;``,
    as dtrace names it in "description 'NAME' matched N probes").
    """

    kind: str
    text: str
    name: str

    @property
    def desc(self) -> str:
        """``script`` or ``description``, as dtrace's messages call it."""
        return "script" if self.kind == "s" else "description"


@dataclass
class Invocation:
    """Everything dtrace(1)'s command line asked for."""

    programs: list[ProgramSpec] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    # run | compile (-e) | list (-l) | version (-V) | header (-h) | object (-G) | anon (-A)
    mode: str = "run"
    verbose: bool = False
    disasm: bool = False
    output_path: str | None = None
    commands: list[str] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    # (letter, argument) of each -c / -p in order: the first one is $target.
    processes: list[tuple[str, str]] = field(default_factory=list)
    # pids of the -c/-p processes once created/grabbed (driver); the first is $target
    target_pids: list[int] = field(default_factory=list)
    operands: list[str] = field(default_factory=list)
    # With -G, the operands are object files to process, not macro arguments.
    objects: list[str] = field(default_factory=list)
    argv0: str = PROGNAME
    data_model: int = 64
    buffer_debug: bool = False

    def macro_args(self, program: ProgramSpec) -> list[str]:
        """``$0 .. $N`` for ``program``: ``$0`` is the script path for ``-s``."""
        zero = program.name if program.kind == "s" else self.argv0
        return [zero, *self.operands]


def split_command(command: str) -> list[str]:
    """A ``-c`` argument as dtrace splits it: on blanks, no quoting."""
    words = command.split()
    return words or [command]


# ---------------------------------------------------------------- getopt


def scan_argv(args: list[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split ``args`` (without argv[0]) into ordered ``(letter, optarg)`` pairs and operands."""
    opts: list[tuple[str, str | None]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            operands.extend(args[i:])
            break
        if len(word) < 2 or not word.startswith("-"):
            operands.append(word)
            continue
        i = _scan_cluster(word, args, i, opts)
    return opts, operands


def _scan_cluster(word: str, args: list[str], i: int,
                  opts: list[tuple[str, str | None]]) -> int:
    """Scan one ``-abc`` word; returns the index of the next unread word."""
    for j in range(1, len(word)):
        letter = word[j]
        if letter in _FLAGS:
            opts.append((letter, None))
            continue
        if letter not in _WITH_ARG:
            raise ArgvError(f"illegal option -- {letter}")
        if j + 1 < len(word):
            opts.append((letter, word[j + 1:]))
            return i
        if i >= len(args):
            raise ArgvError(f"option requires an argument -- {letter}")
        opts.append((letter, args[i]))
        return i + 1
    return i


# ---------------------------------------------------------------- passes


def parse_argv(args: list[str], *, argv0: str = PROGNAME,
               environ: Mapping[str, str] | None = None) -> Invocation:
    """Parse dtrace's arguments (``args`` excludes argv[0]) into an Invocation.

    Raises ArgvError (exit 2) for usage errors and DTraceError (exit 1) for
    bad option values, bad pids and unreadable scripts.
    """
    if not args:
        raise ArgvError("")
    opts, operands = scan_argv(args)
    inv = Invocation(argv0=argv0)
    _pass_mode(inv, opts)
    if inv.mode == "version":
        return inv
    _pass_options(inv, opts, operands, os.environ if environ is None else environ)
    _check_combinations(inv)
    _pass_processes(inv, opts)
    _pass_programs(inv, opts)
    _check_output_modes(inv)
    return inv


def _pass_mode(inv: Invocation, opts: list[tuple[str, str | None]]) -> None:
    """Pass 1: data model and the exclusive modes."""
    modes = 0
    for letter, arg in opts:
        if letter in "36":
            inv.data_model = _data_model(letter, arg)
        elif letter in _MODE_LETTERS:
            inv.mode = _MODE_LETTERS[letter]
            modes += 1
    if modes > 1:
        raise ArgvError("only one of the [-AGhlV] options can be specified at a time",
                        show_usage=False)


def _data_model(letter: str, arg: str | None) -> int:
    expected = {"3": "2", "6": "4"}[letter]
    if arg != expected:
        raise ArgvError(f"illegal option -- {letter}{arg}")
    return 32 if letter == "3" else 64


def _pass_options(inv: Invocation, opts: list[tuple[str, str | None]],
                  operands: list[str], environ: Mapping[str, str]) -> None:
    """Pass 2: options over the environment, in command-line order."""
    options = inv.options
    options.apply_env(environ)
    _apply_mode_presets(inv, operands)
    for letter, arg in opts:
        handler = _HANDLERS.get(letter)
        if handler is not None:
            handler(inv, arg or "")
    if inv.mode == "run" and any(letter == "e" for letter, _ in opts):
        inv.mode = "compile"
    # -S prints the generated code; -xverbose is the same libdtrace flag (DIFV).
    inv.disasm = inv.disasm or bool(options["verbose"])


def _apply_mode_presets(inv: Invocation, operands: list[str]) -> None:
    options = inv.options
    if inv.mode in ("list", "object", "header"):
        options.set("zdefs", None)  # -l, -G and -h imply -Z
    if inv.mode == "object":
        options.set("linkmode", "dynamic")
        options.set("unodefs", None)
        inv.objects = list(operands)
    elif inv.mode == "anon":
        options.set("linkmode", "primary")
    if inv.mode != "object":
        inv.operands = list(operands)


def _set_flag(name: str, letter: str) -> Callable[[Invocation, str], None]:
    def handler(inv: Invocation, _arg: str) -> None:
        inv.options.set(name, None, label=f"-{letter}")
    return handler


def _set_valued(name: str, letter: str) -> Callable[[Invocation, str], None]:
    def handler(inv: Invocation, arg: str) -> None:
        inv.options.set(name, arg, label=f"-{letter} {arg}")
    return handler


def _opt_x(inv: Invocation, arg: str) -> None:
    name, eq, value = arg.partition("=")
    inv.options.set(name, value if eq else None)


def _opt_o(inv: Invocation, arg: str) -> None:
    inv.output_path = arg


def _opt_v(inv: Invocation, _arg: str) -> None:
    inv.verbose = True


def _opt_S(inv: Invocation, _arg: str) -> None:
    inv.disasm = True


def _opt_B(inv: Invocation, _arg: str) -> None:
    inv.buffer_debug = True


_HANDLERS: dict[str, Callable[[Invocation, str], None]] = {
    "a": _set_flag("grabanon", "a"),
    "b": _set_valued("bufsize", "b"),
    "B": _opt_B,
    "C": _set_flag("cpp", "C"),
    "D": _set_valued("define", "D"),
    "F": _set_flag("flowindent", "F"),
    "H": _set_flag("cpphdrs", "H"),
    "I": _set_valued("incdir", "I"),
    "L": _set_valued("libdir", "L"),
    "o": _opt_o,
    "q": _set_flag("quiet", "q"),
    "S": _opt_S,
    "U": _set_valued("undef", "U"),
    "v": _opt_v,
    "w": _set_flag("destructive", "w"),
    "x": _opt_x,
    "X": _set_valued("stdc", "X"),
    "Z": _set_flag("zdefs", "Z"),
}


def _check_combinations(inv: Invocation) -> None:
    if inv.buffer_debug and inv.mode not in ("run", "compile"):
        raise ArgvError("-B not valid in combination with [-AGl] options", show_usage=False)
    if inv.buffer_debug and inv.output_path is not None:
        raise ArgvError("-B not valid in combination with -o option", show_usage=False)


def _pass_processes(inv: Invocation, opts: list[tuple[str, str | None]]) -> None:
    """Pass 3: ``-c`` commands and ``-p`` pids, in order."""
    for letter, arg in opts:
        if letter == "c":
            inv.commands.append(arg or "")
            inv.processes.append(("c", arg or ""))
        elif letter == "p":
            inv.pids.append(parse_pid(arg or ""))
            inv.processes.append(("p", arg or ""))


def parse_pid(text: str) -> int:
    """A ``-p`` argument as strtol(3) base 10 reads it, whole; else ``invalid pid``."""
    body = text.lstrip(" \t\n\v\f\r")
    digits = body[1:] if body[:1] in ("+", "-") else body
    if not digits or not (digits.isdigit() and digits.isascii()):
        raise DTraceError(f"invalid pid: {text}")
    value = int(body)
    if not -(1 << 63) <= value < (1 << 63):
        raise DTraceError(f"invalid pid: {text}")
    return value


def _pass_programs(inv: Invocation, opts: list[tuple[str, str | None]]) -> None:
    """Pass 4: programs in command-line order; script files are read here."""
    for letter, arg in opts:
        if letter not in _PROGRAM_LETTERS:
            continue
        text = arg or ""
        if letter == "s":
            inv.programs.append(ProgramSpec("s", read_script(text), text))
        else:
            inv.programs.append(ProgramSpec(letter, text, _crop_name(text)))


def _crop_name(text: str) -> str:
    cut = min((i for i in (text.find(c) for c in "{/;") if i >= 0), default=len(text))
    return text[:cut]


def read_script(path: str) -> str:
    """The text of script ``path``; ``failed to open PATH: <strerror>`` when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise DTraceError(f"failed to open {path}: {reason}") from None


def _check_output_modes(inv: Invocation) -> None:
    """-G and -h need a program; -h derives its output name from a single ``.d``."""
    if inv.mode in ("object", "header") and not inv.programs:
        flag = "-G" if inv.mode == "object" else "-h"
        raise ArgvError(f"{flag} requires one or more scripts or enabling options",
                        show_usage=False)
    if inv.mode == "header" and inv.output_path is None:
        inv.output_path = _default_header_path(inv.programs)


def _default_header_path(programs: list[ProgramSpec]) -> str:
    if len(programs) > 1:
        raise ArgvError("-h requires an output file if multiple scripts are specified",
                        show_usage=False)
    arg = programs[0].name if programs[0].kind == "s" else programs[0].text
    if not arg.endswith(".d"):
        raise ArgvError("-h requires an output file if no scripts are specified",
                        show_usage=False)
    return os.path.basename(arg[:-2]) + ".h"
