"""Parse-time checks of parameter lists (dt_decl_prototype) and probe names.

Array, function and provider probe prototypes are checked as the grammar
reduces them, so these errors come before any type checking.
"""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

VARARGS, VOID, ANON = 1, 2, 4
PROBE_NAME_MAX = 64  # DTRACE_NAMELEN
PROVIDER_NAME_MAX = 64  # DTRACE_PROVNAMELEN
ARGS_MAX = 255  # UINT8_MAX


def is_void(p: A.Param) -> bool:
    spec = p.type.spec
    return spec.kind == "builtin" and tuple(spec.words) == ("void",) and not p.type.derived


def check_prototype(params: list[A.Param], varargs: bool, formal: list[A.Param], kind: str,
                    flags: int, line: int) -> int:
    """``formal`` is ``params`` (names must be unique) or the input list a probe's
    output list refers to (names must be declared there). Returns the count of
    parameters, 0 for a sole ``void``."""
    form = params is not formal
    voids = 0
    for i, p in enumerate(params, 1):
        where = p.line or line
        void = is_void(p)
        voids += void
        if void and not flags & VOID:
            raise DCompileError("D_DECL_PROTO_TYPE", f"{kind} prototype may not use parameter "
                                f"of type void: {p.name or '(anonymous)'}, parameter #{i}",
                                where)
        if void and p.name is not None:
            raise DCompileError("D_DECL_PROTO_NAME", "void parameter may not have a name: "
                                f"{p.name}", where)
        if p.name is not None:
            earlier = formal if form else params[:i - 1]
            if any(q.name == p.name for q in earlier) != form:
                raise DCompileError("D_DECL_PROTO_FORM", f"parameter is "
                                    f"{'not' if form else 'already'} declared in {kind} "
                                    f"prototype: {p.name}, parameter #{i}", where)
        if p.name is None and not void and not flags & ANON:
            raise DCompileError("D_DECL_PROTO_NAME", "parameter declaration requires a name: "
                                f"parameter #{i}", where)
    if varargs and not flags & VARARGS:
        raise DCompileError("D_DECL_PROTO_VARARGS", f"{kind} prototype may not use a "
                            "variable-length argument list", line)
    if voids and len(params) > 1:
        raise DCompileError("D_DECL_PROTO_VOID", "void must be sole parameter", line)
    return 0 if voids else len(params) + int(varargs)


def check_provider_name(name: str, line: int) -> None:
    if "`" in name:
        raise DCompileError("D_PROV_BADNAME", "provider name may not contain scoping "
                            f"operator: {name}", line)
    if len(name) >= PROVIDER_NAME_MAX:
        raise DCompileError("D_PROV_BADNAME", "provider name may not exceed "
                            f"{PROVIDER_NAME_MAX - 1} characters: {name}", line)
    if name[-1:].isdigit():
        raise DCompileError("D_PROV_BADNAME", f"provider name may not end with a digit: {name}",
                            line)


def check_probe(name: str, args: list[A.Param], args_varargs: bool,
                xargs: list[A.Param] | None, xargs_varargs: bool, line: int) -> None:
    """dt_node_probe: the probe name (``::name``, ``__`` as ``-``) and both prototypes."""
    full = "::" + name.replace("__", "-")
    if "`" in full:
        raise DCompileError("D_PROV_BADNAME", "probe name may not contain scoping operator: "
                            f"{full}", line)
    if len(full) - 2 >= PROBE_NAME_MAX:
        raise DCompileError("D_PROV_BADNAME", f"probe name may not exceed {PROBE_NAME_MAX - 1} "
                            f"characters: {full}", line)
    nargc = check_prototype(args, args_varargs, args, "probe input", VOID | ANON, line)
    xargc = nargc
    if xargs is not None:
        xargc = check_prototype(xargs, xargs_varargs, args, "probe output", VOID, line)
    for what, n in (("input", nargc), ("output", xargc)):
        if n > ARGS_MAX:
            raise DCompileError("D_PROV_PRARGLEN", f"probe {full} {what} prototype exceeds "
                                f"{ARGS_MAX} parameters: {n} params used", line)
