"""NULL strings held by variables.

A string subroutine may return NULL (``strstr`` not finding, ``strtok`` at the
end). Stored into a variable, the NULL is kept, as DTrace keeps a by-reference
NULL: ``x == NULL`` is then exact, and using ``x`` as a string (printing it,
comparing it, passing it to a subroutine) is an ``invalid address (0x0)``
fault, while ``x = ""`` is an empty string.

* Globals and ``this->`` strings: a marker in the value's own bytes, first byte
  0 (the empty string) and second byte 0xff. A non-NULL store of "" clears the
  second byte, so an empty string is never mistaken for NULL, and
  zero-filled storage (a global never assigned) reads "".
* ``self->`` and associative-array strings: storing NULL deletes the element, and
  a missing element reads NULL (as in DTrace, where reading an unset string
  dynamic variable faults at address 0).
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.lang import ast as A

NULL_MARK = 0xFF
FAULT_BADADDR = 1


def var_ptr(g: ClauseGen, node: A.Expr) -> int | None:
    """The storage of a string variable (0: a missing dynamic element), or None
    if ``node`` is not a string variable."""
    from pydtrace.codegen import variables as V

    if not g.an.type_of(node).resolve().is_string:
        return None
    if isinstance(node, A.Ident):
        var = g.an.symbols.globals.get(node.name)
        if var is None:
            return None
        reg = g.em.vreg()
        g.em.emit(I.ld_map_value(reg, "globals", var.offset))
        return reg
    if not V.is_dynvar(g, node):
        return None
    var = V.var_of(g, node)
    if var.scope == "this":
        reg = g.em.copy(STATE_REG)
        g.em.emit(I.add64_imm(reg, V.this_off(g, var)))
        return reg
    return V.lookup(g, var, V.build_key(g, var, node))


def null_jump(g: ClauseGen, ptr: int, null_label: str) -> None:
    """Jumps to ``null_label`` if ``ptr`` is 0 or holds the NULL marker."""
    em = g.em
    ok = em.new_label("snn")
    em.emit(I.jmp_imm(O.JEQ, ptr, 0, null_label))
    c = em.vreg()
    em.emit(I.ldx(O.B, c, ptr, 0))
    em.emit(I.jmp_imm(O.JNE, c, 0, ok))
    em.emit(I.ldx(O.B, c, ptr, 1))
    em.emit(I.jmp_imm(O.JEQ, c, NULL_MARK, null_label))
    em.label(ok)


def checked(g: ClauseGen, ptr: int) -> int:
    """``ptr`` after an ``invalid address (0x0)`` fault check (a NULL string)."""
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import fault_addr

    zero = g.em.mov_imm(0)
    null_jump(g, ptr, fault_label(g, FAULT_BADADDR, fault_addr(g, zero)))
    return ptr


def mark(g: ClauseGen, base: int, off: int) -> None:
    g.em.emit(I.st_imm(O.B, base, off, 0))
    g.em.emit(I.st_imm(O.B, base, off + 1, NULL_MARK - 256))


def unmark(g: ClauseGen, base: int, off: int) -> None:
    """After copying a string: an empty one clears a stale marker. (Not before the
    copy: the value may read the variable itself, ``s = strjoin(s, "x")``.)"""
    skip = g.em.new_label("unmark")
    c = g.em.vreg()
    g.em.emit(I.ldx(O.B, c, base, off))
    g.em.emit(I.jmp_imm(O.JNE, c, 0, skip))
    g.em.emit(I.st_imm(O.B, base, off + 1, 0))
    g.em.label(skip)


def store(g: ClauseGen, base: int, off: int, value: A.Expr, size: int) -> None:
    """Copies string ``value`` to ``base+off`` (``size`` bytes); NULL is marked."""
    from pydtrace.codegen.strings import copy_string

    em = g.em
    node = value
    while node in g.an.rewrites:
        node = g.an.rewrites[node]
    raw = var_ptr(g, node)
    if raw is not None:
        null, done = em.new_label("stnull"), em.new_label("stdone")
        null_jump(g, raw, null)
        em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", base, off), ("imm", size), raw])
        unmark(g, base, off)
        em.emit(I.ja(done))
        em.label(null)
        mark(g, base, off)
        em.label(done)
        return
    copy_string(g, base, off, value, size, pad=False)
    unmark(g, base, off)
    found = g.string_found.get(node)
    if found is not None:
        skip = em.new_label("stfound")
        em.emit(I.jmp_imm(O.JNE, found, 0, skip))
        mark(g, base, off)
        em.label(skip)


def compare_jump(g: ClauseGen, n: A.Binary, false_label: str) -> bool:
    """``x == NULL`` / ``x != NULL`` for a string variable ``x`` (False: not one)."""
    if n.op not in ("==", "!="):
        return False
    side = n.left if g.an.type_of(n.left).resolve().is_string else n.right
    while side in g.an.rewrites:
        side = g.an.rewrites[side]
    raw = var_ptr(g, side)
    if raw is None:
        return False
    em = g.em
    if n.op == "!=":
        null_jump(g, raw, false_label)
        return True
    null = em.new_label("isnull")
    null_jump(g, raw, null)
    em.emit(I.ja(false_label))
    em.label(null)
    return True
