"""What a resolved kernel symbol (`` `sym ``, ``mod`sym``) may be in a program.

DTrace types a symbol from its module's type data (dt_xcook_ident): here a BTF
``VAR`` gives its variable type and a BTF ``FUNC`` makes it a function, seen as
``int (*)()`` the way libdtrace sees function symbols. A symbol with neither
(assembly entry points, linker markers such as `` `_stext ``) has no type:
D_SYM_NOTYPES. The kernel is 64-bit, so a ``-32`` program may use none of its
symbols (D_SYM_MODEL). With ``-x linkmode=dynamic`` (``-G``) every kernel symbol,
with ``primary`` every loadable-module symbol, must stay a relocation: unless
``-x knodefs`` permits that, code that loads its address fails with D_ASRELO
(the address is still resolved now, at compile time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

NO_TYPE = "No type information available for symbol"  # libctf's ECTF_NOTYPEDAT
FUNC_PTR = T.PointerType(T.FunctionType(T.INT))  # libdtrace's type of a function symbol


def symbol_module(n: A.ExternIdent) -> str:
    """The module a resolved kernel symbol belongs to ('vmlinux': the core kernel)."""
    if n.module and n.module != "`":
        return n.module
    from pydtrace.sema.kernel import kernel_module_of

    return kernel_module_of(n.name) or "vmlinux"


def btf_type(module: str, name: str) -> T.DType | None:
    """The type of ``name`` from ``module``'s BTF (VAR, else FUNC); None: none."""
    from pydtrace.btf import reader as R

    try:
        if not R.available():
            return None
        r = R.module(module)
        if r is None:
            return None
        for kind in (R.VAR, R.FUNC):
            tid = r.find(name, (kind,))
            if tid is None or (module != "vmlinux" and tid < r.first_id):
                continue  # a module's split BTF also finds vmlinux's records
            return r.decode(tid) if kind == R.VAR else FUNC_PTR
    except (OSError, ValueError):
        return None
    return None


def symbol_type(ck: Checker, n: A.ExternIdent) -> T.DType:
    """The D type of a resolved kernel symbol; records a D_ASRELO relocation."""
    module = symbol_module(n)
    where = f"{module}`{n.name}"
    line = n.line or None
    if getattr(ck, "data_model", 64) != 64:
        raise DCompileError("D_SYM_MODEL", f"cannot use 64-bit symbol {where} in a "
                            f"{ck.data_model}-bit D program", line)
    t = btf_type(module, n.name)
    if t is None:
        raise DCompileError("D_SYM_NOTYPES", "no symbolic type information is available "
                            f"for {where}: {NO_TYPE}", line)
    options = getattr(ck, "options", None)
    if options is None:
        return t
    from pydtrace.stability import SYMBOL_ATTRS, check_minimum

    check_minimum(f"symbol {where}", SYMBOL_ATTRS, options, line)
    primary = module == "vmlinux"
    linkmode = options["linkmode"]
    if (linkmode == "dynamic" or (linkmode == "primary" and not primary)) \
            and not options["knodefs"]:
        kind = "primary kernel" if primary else "loadable kernel"
        ck.an.relocs[n] = f"relocation remains against {kind} symbol {where}"
    return t


def relocation_error(an, n: A.ExternIdent, offset: int) -> DCompileError | None:
    """D_ASRELO for code loading the address of ``n`` at instruction ``offset``."""
    text = an.relocs.get(n)
    if text is None:
        return None
    return DCompileError("D_ASRELO", f"{text} (offset 0x{offset:x})", n.line or None)
