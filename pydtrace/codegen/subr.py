"""Lowering of subroutine calls (``strlen``, ``copyin``, ``htons`` ...): dispatch
and the per-clause hooks.

Integer-valued subroutines return a vreg holding the value; string-valued ones
a vreg pointing at a per-CPU scratch slot (``string_call``). Each family lives
in its own module, imported the first time a program calls one of its
subroutines: ``subr_strings``, ``subr_paths``, ``subr_memory``, ``subr_inet``,
``subr_misc``, ``subr_destructive`` (building blocks in ``subr_blocks``, the
bpf_loop callbacks in ``subr_loops``). Every clause imports this module, so it
imports none of them up front.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

# subroutine -> (module in pydtrace.codegen, lowering function)
STRING_SUBRS = {
    "strjoin": ("subr_strings", "s_strjoin"),
    "substr": ("subr_strings", "s_substr"),
    "strstr": ("subr_strings", "s_strstr"),
    "strchr": ("subr_strings", "s_strchr"),
    "strrchr": ("subr_strings", "s_strchr"),
    "toupper": ("subr_strings", "s_case"),
    "tolower": ("subr_strings", "s_case"),
    "lltostr": ("subr_strings", "s_lltostr"),
    "strtok": ("subr_strings", "s_strtok"),
    "basename": ("subr_paths", "s_path"),
    "dirname": ("subr_paths", "s_path"),
    "cleanpath": ("subr_paths", "s_cleanpath"),
    "d_path": ("dpath", "s_dpath"),
    "__d_path_mount": ("dpath", "s_dpath"),
    "copyinstr": ("subr_memory", "s_copyinstr"),
    "inet_ntoa": ("subr_inet", "s_inet_ntoa"),
    "inet_ntoa6": ("subr_inet", "s_inet_ntoa6"),
    "inet_ntop": ("subr_inet", "s_inet_ntop"),
}
INT_SUBRS = {
    "strlen": ("subr_strings", "i_strlen"),
    "index": ("subr_strings", "i_index"),
    "rindex": ("subr_strings", "i_index"),
    "htons": ("subr_inet", "i_bswap"),
    "ntohs": ("subr_inet", "i_bswap"),
    "htonl": ("subr_inet", "i_bswap"),
    "ntohl": ("subr_inet", "i_bswap"),
    "htonll": ("subr_inet", "i_bswap"),
    "ntohll": ("subr_inet", "i_bswap"),
    "alloca": ("subr_memory", "i_alloca"),
    "copyin": ("subr_memory", "i_copyin"),
    "copyinto": ("subr_memory", "i_copyinto"),
    "bcopy": ("subr_memory", "i_bcopy"),
    "rand": ("subr_misc", "i_rand"),
    "getmajor": ("subr_misc", "i_devt"),
    "getminor": ("subr_misc", "i_devt"),
    "progenyof": ("subr_misc", "i_progenyof"),
    "raise": ("subr_destructive", "d_raise"),
    "stop": ("subr_destructive", "d_stop"),
    "copyout": ("subr_destructive", "d_copyout"),
    "copyoutstr": ("subr_destructive", "d_copyout"),
    "chill": ("subr_destructive", "d_chill"),
}


def unsupported(n: A.Node, name: str) -> DCompileError:
    return DCompileError("D_CG_EXPR", f"subroutine {name}( ) is not supported yet",
                         n.line or None)


def lowering(module: str, func: str) -> Callable[[ClauseGen, A.Call], Any]:
    """A lowering function from a ``STRING_SUBRS``/``INT_SUBRS`` entry."""
    return getattr(importlib.import_module(f"pydtrace.codegen.{module}"), func)


# ---------------------------------------------------------------- clause hooks


def statement_done(g: ClauseGen, stmt: A.Stmt) -> None:
    """Scratch temporaries die at the end of each statement (values that must live
    longer, like alloca/copyin results, pin their slots)."""
    g.scratch_release()


def clause_start(g: ClauseGen, clause: A.Clause) -> None:
    """Clause prologue. A program using strtok() keeps the string being split
    and the position in it (the slot's spare bytes; -1 or an empty string: no
    tokenization in progress) in the first scratch slot of every clause, so
    ``strtok(NULL, ...)`` continues in later clauses of the same firing
    (``subr_strings.s_strtok``)."""
    if "strtok" in g.an.uses:
        # two slots: the string and position, then the firing's timestamp (the
        # state survives firings; a stale one means no tokenization in progress)
        g.strtok_slot = g.scratch_slot(2)  # type: ignore[attr-defined]
        g.scratch_pin()


def callback_items(g: ClauseGen) -> list:
    """The bpf_loop callbacks this clause uses, appended after its code."""
    cbs = g.subr_callbacks
    if not cbs:
        return []
    from pydtrace.codegen import subr_loops as L

    limit = scratch_end(g)
    out: list = []
    for label, (kind, arg) in cbs.items():
        if kind == "chr":
            out += L.cb_chr(label, g.strsize, limit, arg)
        elif kind == "search":
            out += L.cb_search(label, g.strsize, limit, arg)
        elif kind == "case":
            out += L.cb_case(label, g.strsize, limit, arg)
        elif kind == "path":
            out += L.cb_path(label, g.strsize, limit)
        elif kind == "digits":
            out += L.cb_digits(label, limit)
        elif kind == "chill":
            out += L.cb_chill(label)
        elif kind == "progeny":
            out += L.cb_progeny(label, *arg)
        elif kind == "tokmap":
            out += L.cb_tokmap(label, g.strsize, limit)
        elif kind == "strtok":
            out += L.cb_strtok(label, g.strsize, limit)
        elif kind == "cleanpath":
            out += L.cb_cleanpath(label, g.strsize, limit)
        elif kind == "zrun":
            out += L.cb_zrun(label, limit)
        elif kind == "ntoa6":
            out += L.cb_ntoa6(label, limit)
    return out


def scratch_end(g: ClauseGen) -> int:
    from pydtrace.codegen.layout import STATE_SCRATCH

    return STATE_SCRATCH + g.an.symbols.this_size + g.scratch_next * g.slot_size


# ---------------------------------------------------------------- dispatch


def string_result(g: ClauseGen, n: A.Call) -> tuple[int, int | None]:
    entry = STRING_SUBRS.get(n.name)
    if entry is None:
        raise unsupported(n, n.name)
    return lowering(*entry)(g, n)


def string_call(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.subr_blocks import slot_ptr

    off, found = string_result(g, n)
    if found is not None:  # strtok/strchr/strstr...: remembered for NULL results
        g.string_found[n] = found
    return slot_ptr(g, off)


def assigned_value(g: ClauseGen, value: A.Expr, ptr: int) -> int:
    """The value of a string assignment ``x = strstr(...)``: ``ptr``, or 0 when
    the subroutine returned NULL (so ``(x = strtok(NULL, ",")) != NULL`` works)."""
    found = g.string_found.get(value)
    if found is None:
        return ptr
    out = g.em.copy(ptr)
    skip = g.em.new_label("asnull")
    g.em.emit(I.jmp_imm(O.JNE, found, 0, skip))
    g.em.emit(I.mov64_imm(out, 0))
    g.em.label(skip)
    return out


def lower_call(g: ClauseGen, n: A.Call) -> int:
    entry = INT_SUBRS.get(n.name)
    if entry is not None:
        return lowering(*entry)(g, n)
    if n.name in STRING_SUBRS:
        from pydtrace.codegen.subr_blocks import slot_ptr

        # a string result used as an integer (e.g. compared with NULL): the
        # pointer, or 0 when strchr/strrchr/strstr found nothing
        off, found = string_result(g, n)
        out = slot_ptr(g, off)
        if found is not None:
            skip = g.em.new_label("nonnull")
            g.em.emit(I.jmp_imm(O.JNE, found, 0, skip))
            g.em.emit(I.mov64_imm(out, 0))
            g.em.label(skip)
        return out
    raise unsupported(n, n.name)


def null_string_fault(g: ClauseGen, node: A.Expr) -> None:
    """Recording a NULL string (strstr/strchr/strrchr miss, strtok's end) is an
    ``invalid address (0x0)`` fault, as DTrace reads the string at address 0."""
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import FAULT_BADADDR, fault_addr

    while node in g.an.rewrites:
        node = g.an.rewrites[node]
    found = g.string_found.get(node)
    if found is None:
        return
    zero = g.em.mov_imm(0)
    g.em.emit(I.jmp_imm(O.JEQ, found, 0, fault_label(g, FAULT_BADADDR, fault_addr(g, zero))))
