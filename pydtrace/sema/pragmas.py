"""``#pragma D attributes|binding|depends_on|option`` (dt_pragma.c).

``apply`` runs over one parsed program before type checking; pragmas naming
an identifier not yet known are kept pending and must be consumed by a
declaration or assignment of that identifier somewhere in the program
(``check_unused``, after type checking), else D_PRAGMA_UNUSED.
"""

from __future__ import annotations

import os

from pydtrace.errors import DCompileError, DTraceError
from pydtrace.lang import ast as A

LEVELS = {"internal", "private", "obsolete", "external", "unstable", "evolving", "stable",
          "standard"}
CLASSES = {"unknown", "cpu", "platform", "group", "isa", "common"}


def valid_attr(text: str) -> bool:
    parts = text.split("/")
    return len(parts) == 3 and parts[0].lower() in LEVELS and parts[1].lower() in LEVELS \
        and parts[2].lower() in CLASSES


def valid_version(text: str) -> bool:
    parts = text.split(".")
    return 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts)


def builtin_name(name: str) -> bool:
    """Identifiers defined outside the program: variables, actions, subroutines."""
    from pydtrace.sema.calls import CALLS
    from pydtrace.sema.symbols import BUILTINS

    return name in BUILTINS or name in CALLS


def apply(program: A.Program, options, registry=None) -> list[tuple[str, str, int]]:
    """Applies the program's pragmas; returns the pending (name, pragma, line)."""
    pending: list[tuple[str, str, int]] = []
    for item in program.items:
        if not isinstance(item, A.Pragma) or len(item.words) < 2 or item.words[0] != "D":
            continue
        kind, args, line = item.words[1], item.words[2:], item.line or None
        if kind == "option":
            option(args, options, line)
        elif kind in ("attributes", "binding"):
            name = attributes(kind, args, line)
            if name is not None:
                pending.append((name, kind, item.line))
        elif kind == "depends_on":
            depends_on(args, registry, line)
    return pending


def option(args: list[str], options, line: int | None) -> None:
    if not args:
        raise DCompileError("D_PRAGMA_MALFORM", "malformed #pragma option <option>=<val>", line)
    if len(args) > 1:
        raise DCompileError("D_PRAGMA_MALFORM", "superfluous arguments specified for #pragma "
                            "option", line)
    name, eq, value = args[0].partition("=")
    try:
        options.set(name, value if eq else None)
    except DTraceError as exc:
        reason = getattr(exc, "reason", "Invalid option name")  # OptionError's errmsg
        raise DCompileError("D_PRAGMA_OPTSET", f"failed to set option '{name}'"
                            f"{' to ' + repr(value) if value else ''}: "
                            f"{reason}", line) from exc


def attributes(kind: str, args: list[str], line: int | None) -> str | None:
    if len(args) < 2:
        shape = "<attributes> <ident>" if kind == "attributes" else '"version" <ident>'
        raise DCompileError("D_PRAGMA_MALFORM", f"malformed #pragma {kind} {shape}", line)
    if not (valid_attr if kind == "attributes" else valid_version)(args[0]):
        what = "attributes" if kind == "attributes" else "version string"
        raise DCompileError("D_PRAGMA_INVAL", f"invalid {what} specified by #pragma {kind}",
                            line)
    name = args[1]
    if kind == "attributes" and name == "provider":
        return None  # provider stability: not modelled
    if builtin_name(name):
        raise DCompileError("D_PRAGMA_SCOPE", f"#pragma {kind} cannot modify entity defined "
                            "outside program scope", line)
    return name


def depends_on(args: list[str], registry, line: int | None) -> None:
    if len(args) < 2:
        raise DCompileError("D_PRAGMA_MALFORM", "malformed #pragma depends_on <class> <name>",
                            line)
    cls, name = args[0], args[1]
    if cls == "provider":
        found = provider_exists(registry, name)
    elif cls == "module":
        found = name in ("vmlinux", "kernel") or os.path.isdir(f"/sys/module/{name}")
    elif cls == "library":
        raise DCompileError("D_PRAGMA_DEPEND", "main program may not explicitly depend on a "
                            "library", line)
    else:
        raise DCompileError("D_PRAGMA_INVAL", f"invalid class {cls} specified by #pragma "
                            "depends_on", line)
    if not found:
        raise DCompileError("D_PRAGMA_DEPEND", f"program requires {cls} {name}", line)


def provider_exists(registry, name: str) -> bool:
    from pydtrace.providers.registry import PROVIDERS

    if name in PROVIDERS:
        return True
    if registry is None:
        return False
    try:
        return bool(registry.match((name, "", "", "")))
    except (DTraceError, DCompileError, OSError):
        return False


def check_unused(pending: list[tuple[str, str, int]], analysis) -> None:
    """dt_idpragma: a pending pragma whose identifier the program never defined."""
    syms = analysis.symbols
    for name, kind, line in pending:
        if name in syms.globals or name in analysis.inlines or \
                any(key[1] == name for key in syms.dynvars):
            continue
        raise DCompileError("D_PRAGMA_UNUSED", f"unused #pragma {kind}", line or None)
