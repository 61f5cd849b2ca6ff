"""``print(expr)``: records the value's bytes; the consumer prints them by type
(``output.printing``, after illumos ``dt_print.c``).

Scalars (integers, enums, pointers) and strings are recorded like ``trace()``
does. Structs, unions, arrays and floats are copied from where the lvalue lives
(a D variable, a dynamic variable, kernel or user memory) with
``bpf_probe_read_kernel``/``_user``; an unreadable address is an ``invalid
address`` fault. At most ``-x printsize`` bytes are recorded (default
``DEFAULT_PRINTSIZE``): members past that bound are not printed, so
``print(*curthread)`` stays a bounded record however large the kernel struct.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.lang import ast as A

DEFAULT_PRINTSIZE = 8192


def printsize(g: ClauseGen) -> int:
    try:
        size = g.options["printsize"]
    except (KeyError, TypeError):
        size = None
    return int(size) if size else DEFAULT_PRINTSIZE


def act_print(g: ClauseGen, n: A.Call) -> None:
    from pydtrace.codegen.actions import record_value
    from pydtrace.consume.actions import PrintAct

    arg = n.args[0]
    t = g.an.type_of(arg)
    r = t.resolve()
    if r.is_string or r.is_scalar:
        fld = record_value(g, arg)
        g.info.actions.append(PrintAct(fld, t, r.size if r.is_scalar else 0))
        return
    fld = record_bytes(g, arg, max(1, min(r.size, printsize(g))))
    g.info.actions.append(PrintAct(fld, t, 0))


def record_bytes(g: ClauseGen, node: A.Expr, size: int):
    """Copies ``size`` bytes of the lvalue ``node`` into a new record field."""
    from pydtrace.codegen.dmemory import FAULT_BADADDR, locate
    from pydtrace.codegen.faults import fault_label

    assert g.record is not None
    loc = locate(g, node)
    addr = g.em.copy(loc.base)
    if loc.off:
        g.em.emit(I.add64_imm(addr, loc.off))
    fld = g.info.layout.add(size, "bytes", align=8)
    helper = H.PROBE_READ_USER if loc.userland else H.PROBE_READ_KERNEL
    got = g.em.call(helper, [("reg+", g.record, fld.offset), ("imm", size), addr])
    g.em.emit(I.jmp_imm(O.JSLT, got, 0, fault_label(g, FAULT_BADADDR, addr)))
    return fld

