"""``uregs[R_*]``: the user-mode registers of the current thread (illumos
``dt_idcook_regs``), x86-64 only.

The index must be an integer constant (else D_PROTO_ARG) naming one of the
``struct pt_regs`` slots (``dlib/regs.d``: R_R15 = 0 ... R_SS = 20; anything
else is D_REGS_IDX). The reference is rewritten to a 64-bit read of that slot in
``task_pt_regs(curthread)``, the user registers saved at the top of the
thread's kernel stack (``curthread->stack + THREAD_SIZE``): in uprobe, USDT and
pid probes they are the registers at the probed instruction, in kernel probes
those of the last entry into the kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.sema.calls import fail
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

NREGS = 21  # struct pt_regs on x86-64: 21 8-byte slots
PT_REGS_SIZE = NREGS * 8


def thread_size() -> int:
    """THREAD_SIZE of x86-64: 16 KiB, doubled by KASAN."""
    try:
        from pydtrace.btf import reader as R

        if R.available() and R.vmlinux().find("kasan_init", (R.FUNC,)) is not None:
            return 32768
    except (OSError, ValueError):
        pass
    return 16384


def is_uregs(ck: Checker, n: A.Index) -> bool:
    return (isinstance(n.base, A.Ident) and n.base.name == "uregs"
            and "uregs" not in ck.an.symbols.globals
            and ck.dynvar("global", "uregs") is None)


def index_uregs(ck: Checker, n: A.Index) -> T.DType:
    from pydtrace.lang.parser import parse_program
    from pydtrace.sema.kernel import rewrites
    from pydtrace.sema.undef import walk

    if len(n.keys) != 1:
        raise fail("D_PROTO_LEN", f"uregs[ ] prototype mismatch: {len(n.keys)} args passed, "
                   "1 expected", n)
    kt = ck.expr(n.keys[0])
    idx = ck.const(n.keys[0])
    if idx is None or not kt.resolve().is_integer:
        raise fail("D_PROTO_ARG", "uregs[ ] argument #1 is incompatible with prototype:\n"
                   f"\tprototype: integer constant\n\t argument: {kt}", n)
    if not 0 <= idx < NREGS:
        raise fail("D_REGS_IDX", f"index {idx} is out of range for array uregs", n)
    off = thread_size() - PT_REGS_SIZE + 8 * idx
    src = f"inline uint64_t __uregs = *(uint64_t *)((uintptr_t)curthread->stack + {off});"
    value = parse_program(src, allow_empty=True).items[0].value
    for node in walk(value):
        node.line = n.line
    t = ck.expr(value)
    rewrites(ck)[n] = value
    return t
