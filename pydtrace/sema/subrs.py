"""Type checking of subroutines (``strlen``, ``copyin``, ``htons`` ...), ``tracemem``
and the destructive actions. Registered into ``sema.calls.CALLS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.sema.calls import CALLS, arg_count, fail
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

VOIDP = T.PointerType(T.VOID)
CHARP = T.PointerType(T.CHAR)

# name: (return type ("string" = the checker's string type), argument kinds, min args)
# kinds: s = string, i = integer, p = pointer or integer (an address), c = char
PROTOS: dict[str, tuple[object, str, int]] = {
    "strlen": (T.SIZE_T, "s", 1), "strjoin": ("string", "ss", 2),
    "substr": ("string", "sii", 2), "index": (T.INT, "ssi", 2), "rindex": (T.INT, "ssi", 2),
    "strchr": ("string", "si", 2), "strrchr": ("string", "si", 2),
    "strstr": ("string", "ss", 2), "strtok": ("string", "ss", 2),
    "basename": ("string", "s", 1), "dirname": ("string", "s", 1),
    "cleanpath": ("string", "s", 1), "lltostr": ("string", "ii", 1),
    "toupper": ("string", "s", 1), "tolower": ("string", "s", 1),
    "copyin": (VOIDP, "pi", 2), "copyinstr": ("string", "pi", 1),
    "copyinto": (T.VOID, "pip", 3), "alloca": (VOIDP, "i", 1), "bcopy": (T.VOID, "ppi", 3),
    "htons": (T.USHORT, "i", 1), "ntohs": (T.USHORT, "i", 1),
    "htonl": (T.UINT, "i", 1), "ntohl": (T.UINT, "i", 1),
    "htonll": (T.ULLONG, "i", 1), "ntohll": (T.ULLONG, "i", 1),
    "inet_ntoa": ("string", "p", 1), "inet_ntoa6": ("string", "pi", 1),
    "inet_ntop": ("string", "ip", 2), "d_path": ("string", "p", 1),
    "__d_path_mount": ("string", "p", 1),
    "rand": (T.INT, "", 0), "progenyof": (T.INT, "i", 1),
    "getmajor": (T.UINT, "i", 1), "getminor": (T.UINT, "i", 1),
    # destructive actions
    "raise": (T.VOID, "i", 1), "stop": (T.VOID, "", 0), "chill": (T.VOID, "i", 1),
    "copyout": (T.VOID, "ppi", 3), "copyoutstr": (T.VOID, "spi", 3),
    "ftruncate": (T.VOID, "", 0),
}
KIND_NAMES = {"s": "string", "i": "int", "p": "uintptr_t", "c": "char"}
DESTRUCTIVE = {"raise", "stop", "chill", "copyout", "copyoutstr", "system", "freopen"}
# names returning strings (codegen: subr.string_call handles them)
STRING_SUBRS = {name for name, (ret, _, _) in PROTOS.items() if ret == "string"}


def check_proto(ck: Checker, n: A.Call) -> T.DType:
    ret, kinds, lo = PROTOS[n.name]
    arg_count(n, lo, len(kinds))
    for i, (arg, kind) in enumerate(zip(n.args, kinds, strict=False)):
        t = ck.expr(arg)
        r = t.resolve()
        if kind == "s":
            ok = string_arg(r, n.name, i)
        elif kind == "p":
            ok = r.is_integer or r.is_pointer or isinstance(r, T.ArrayType)
        else:
            ok = r.is_integer
        if not ok:
            raise fail("D_PROTO_ARG", f"{n.name}( ) argument #{i + 1} is incompatible with "
                       f"prototype:\n\tprototype: {KIND_NAMES[kind]}\n\t argument: {t}", n)
    if n.name in DESTRUCTIVE:
        ck.an.uses.add("destructive")
    if n.name == "strtok":
        ck.an.uses.add("strtok")  # codegen.subr.clause_start keeps its state
        ck.an.uses.add("timestamp")  # per-firing stamp: the state resets each firing
    return ck.string if ret == "string" else ret  # type: ignore[return-value]


def string_arg(r: T.DType, name: str, index: int) -> bool:
    from pydtrace.sema.check import string_like

    if string_like(r):
        return True
    # strtok(NULL, delims) continues the previous tokenization
    return name == "strtok" and index == 0 and (r.is_pointer or r.is_integer)


def check_tracemem(ck: Checker, n: A.Call) -> T.DType:
    arg_count(n, 2, None)
    t = ck.expr(n.args[0])
    if not (t.resolve().is_scalar or isinstance(t.resolve(), T.ArrayType)):
        raise fail("D_TRACEMEM_ADDR", "tracemem( ) argument #1 is incompatible with "
                   f"prototype:\n\tprototype: pointer or integer\n\t argument: {t}", n)
    ck.expr(n.args[1])
    size = ck.const(n.args[1])
    if size is None:
        raise fail("D_TRACEMEM_SIZE", "tracemem( ) argument #2 must be a non-zero positive "
                   "integral constant expression", n)
    if size <= 0:
        raise fail("D_TRACEMEM_SIZE", "tracemem( ) argument #2 must be a non-zero positive "
                   "integral constant expression", n)
    if len(n.args) > 3:
        raise fail("D_TRACEMEM_ARGS", "tracemem ( ) prototype mismatch: expected at most 3 "
                   "args", n)
    if len(n.args) == 3 and not ck.expr(n.args[2]).resolve().is_scalar:
        raise fail("D_TRACEMEM_DYNSIZE", "tracemem ( ) dynamic size (argument #3) must be of "
                   "scalar type", n)
    return T.VOID


def check_system(ck: Checker, n: A.Call) -> T.DType:
    from pydtrace.sema.calls import check_printf

    ck.an.uses.add("destructive")
    if n.name == "freopen" and n.args and isinstance(n.args[0], A.StrLit):
        if n.args[0].value == b".":
            raise fail("D_FREOPEN_INVALID", 'freopen( ) argument #1 cannot be "."', n)
        if n.args[0].value == b"":  # restores stdout: compiled to the sentinel "."
            n.args[0].value = b"."
    check_printf(ck, n)
    return T.VOID


def register() -> None:
    for name in PROTOS:
        CALLS.setdefault(name, check_proto)
    CALLS.setdefault("tracemem", check_tracemem)
    CALLS.setdefault("system", check_system)
    CALLS.setdefault("freopen", check_system)


register()
