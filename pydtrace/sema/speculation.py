"""Speculative tracing: ``speculation()``, ``speculate()``, ``commit()``,
``discard()`` prototypes and the per-clause ordering rules of dt_cc.c."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

SPEC_CALLS = ("speculation", "speculate", "commit", "discard")
AGG_KINDS = ()
DESTRUCTIVE = {"stop", "raise", "copyout", "copyoutstr", "system", "breakpoint", "panic",
               "chill", "freopen"}
NON_RECORDING = {"speculate", "commit", "discard"} | DESTRUCTIVE


def check_speculation(ck: Checker, n: A.Call) -> T.DType:
    from pydtrace.sema.calls import arg_count

    arg_count(n, 0, 0)
    return T.INT


def check_spec_action(ck: Checker, n: A.Call) -> T.DType:
    from pydtrace.sema.calls import arg_count

    arg_count(n, 1, 1)
    t = ck.expr(n.args[0])
    if not t.resolve().is_integer:
        raise DCompileError("D_PROTO_ARG", f"{n.name}( ) argument #1 is incompatible with "
                            f"prototype:\n\tprototype: int\n\t argument: {t}", n.line or None)
    return T.VOID


def register(calls: dict) -> None:
    calls["speculation"] = check_speculation
    for name in ("speculate", "commit", "discard"):
        calls[name] = check_spec_action


def flat(stmts):
    for s in stmts or []:
        if isinstance(s, A.If):
            yield from flat(s.then)
            yield from flat(s.otherwise)
        else:
            yield s


def check_clause_rules(clause: A.Clause) -> None:
    """D_SPEC_SPEC, D_SPEC_COMM, D_SPEC_DREC, D_AGG_SPEC, D_AGG_COMM, D_ACT_SPEC,
    D_EXIT_SPEC, D_COMM_COMM, D_COMM_DREC, D_DREC_COMM, in statement order."""
    spec = commit = datarec = False

    def fail(tag: str, msg: str, node: A.Node) -> DCompileError:
        return DCompileError(tag, msg, node.line or None)
    for s in flat(clause.body):
        if isinstance(s, A.AggStmt):
            if commit:
                raise fail("D_AGG_COMM", "aggregating actions may not follow commit( )", s)
            if spec:
                raise fail("D_AGG_SPEC", "aggregating actions may not follow speculate( )", s)
            datarec = True
            continue
        if not (isinstance(s, A.ExprStmt) and isinstance(s.expr, A.Call)):
            continue
        name = s.expr.name
        if name == "discard":  # neither limited by nor limiting the others
            continue
        if name == "commit":
            if commit:
                raise fail("D_COMM_COMM", "commit( ) may not follow commit( )", s)
            if datarec:
                raise fail("D_COMM_DREC", "commit( ) may not follow data-recording "
                           "action(s)", s)
            commit = True
            continue
        if name == "speculate":
            if spec:
                raise fail("D_SPEC_SPEC", "speculate( ) may not follow speculate( )", s)
            if commit:
                raise fail("D_SPEC_COMM", "speculate( ) may not follow commit( )", s)
            if datarec:
                raise fail("D_SPEC_DREC", "speculate( ) may not follow data-recording "
                           "action(s)", s)
            spec = True
            continue
        if spec and name in DESTRUCTIVE:
            raise fail("D_ACT_SPEC", "destructive actions may not follow speculate( )", s)
        if spec and name == "exit":
            raise fail("D_EXIT_SPEC", "exit( ) may not follow speculate( )", s)
        if name in NON_RECORDING:
            continue
        from pydtrace.codegen.actions import RECORDING

        if name not in RECORDING:
            continue
        if commit:
            raise fail("D_DREC_COMM", "data-recording actions may not follow commit( )", s)
        if not spec:
            datarec = True


def uses_speculation(clause: A.Clause) -> bool:
    return any(isinstance(s, A.ExprStmt) and isinstance(s.expr, A.Call)
               and s.expr.name in ("speculate", "commit", "discard") for s in flat(clause.body))
