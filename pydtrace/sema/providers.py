"""``provider`` declarations (dt_cook_provider, dt_node_provider_cmp, dt_cook_probe).

A provider declared twice must declare the same probes with the same
prototypes; each output argument must be reachable from its input argument
(same kind of type, or a translator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


class Proto:
    __slots__ = ("args", "xargs", "names")

    def __init__(self, args: list[T.DType | str], xargs: list[T.DType | str] | None,
                 names: list[str | None]) -> None:
        self.args, self.xargs, self.names = args, xargs, names


def param_type(ck: Checker, p: A.Param) -> T.DType | str:
    from pydtrace.sema.decls import resolve_type_name

    try:
        return resolve_type_name(ck, p.type)
    except DCompileError:  # a C type unknown to D (-h/-G headers): compare spellings
        from pydtrace.sema.kernel import describe

        return describe(p.type)


def params(ck: Checker, ps: list[A.Param]) -> list[T.DType | str]:
    from pydtrace.lang.protos import is_void

    return [] if len(ps) == 1 and is_void(ps[0]) else [param_type(ck, p) for p in ps]


def check_provider(ck: Checker, decl: A.ProviderDecl) -> None:
    table: dict[str, dict[str, Proto]] = ck.an.__dict__.setdefault("providers", {})
    redecl = decl.name in table
    probes = table.setdefault(decl.name, {})
    seen: set[str] = set()
    for pp in decl.probes:
        name = pp.name.replace("__", "-")
        new = Proto(params(ck, pp.args), None if pp.xargs is None else params(ck, pp.xargs),
                    [p.name for p in pp.args])
        old = probes.get(name)
        where = pp.line or None
        if redecl and old is not None and name not in seen:
            compare(decl.name, name, old, new, where)
        elif redecl and old is None:
            raise DCompileError("D_PROV_INCOMPAT", f"provider interface mismatch: {decl.name}\n"
                                f"\t current: probe {decl.name}:{name} defined\n"
                                f"\tprevious: probe {decl.name}:{name} not defined", where)
        elif old is not None:
            raise DCompileError("D_PROV_PRDUP", f"probe redeclared: {decl.name}:{name}", where)
        else:
            probes[name] = new
        seen.add(name)
        check_xlators(ck, decl.name, name, pp, new, where)


def same(a: T.DType | str, b: T.DType | str) -> bool:
    return str(a) == str(b)


def compare(prov: str, name: str, old: Proto, new: Proto, line: int | None) -> None:
    def argv(kind: str, o: list, n: list) -> None:
        if len(o) != len(n):
            raise DCompileError("D_PROV_INCOMPAT", f"probe {prov}:{name} {kind} prototype "
                                f"mismatch:\n\t current: {len(n)} arg{'s' if len(n) != 1 else ''}"
                                f"\n\tprevious: {len(o)} arg{'s' if len(o) != 1 else ''}", line)
        for i, (a, b) in enumerate(zip(o, n, strict=True)):
            if not same(a, b):
                raise DCompileError("D_PROV_INCOMPAT", f"probe {prov}:{name} {kind} prototype "
                                    f"argument #{i + 1} mismatch:\n\t current: {b}\n"
                                    f"\tprevious: {a}", line)

    argv("output", old.xargs if old.xargs is not None else old.args,
         new.xargs if new.xargs is not None else new.args)
    if old.xargs is not None and new.xargs is not None:
        argv("input", old.args, new.args)


def argcompat(a: T.DType | str, b: T.DType | str) -> bool:
    """dt_node_is_argcompat: may an input argument be passed as this output argument?"""
    if same(a, b):
        return True
    if isinstance(a, str) or isinstance(b, str):
        return False
    ar, br = a.resolve(), b.resolve()
    if ar.is_integer and br.is_integer:
        return True
    if (ar.is_string or br.is_string) and all(
            r.is_string or (isinstance(r, T.PointerType) and r.target.resolve().size == 1
                            and r.target.resolve().is_integer) for r in (ar, br)):
        return True
    if isinstance(ar, T.PointerType) and isinstance(br, T.PointerType):
        at, bt = ar.target.resolve(), br.target.resolve()
        return isinstance(at, T.VoidType) or isinstance(bt, T.VoidType) or str(at) == str(bt)
    return False


def check_xlators(ck: Checker, prov: str, name: str, pp: A.ProbeProto, proto: Proto,
                  line: int | None) -> None:
    if proto.xargs is None or pp.xargs is None:
        return
    from pydtrace.sema.kernel import xlator_key

    for i, (xp, xt) in enumerate(zip(pp.xargs, proto.xargs, strict=False)):
        j = proto.names.index(xp.name) if xp.name in proto.names else min(i, len(proto.args) - 1)
        if j < 0:
            continue
        nt = proto.args[j]
        if not isinstance(xt, str) and xlator_key(xt) in ck.an.translators:
            continue
        if argcompat(nt, xt):
            continue
        raise DCompileError("D_PROV_PRXLATOR", f"translator for {prov}:{name} output argument "
                            f"#{i + 1} from {nt} to {xt} is not defined", line)
