"""Whole-program checks that illumos makes while cooking identifiers:

- D_VAR_UNDEF (``dt_cook_var``): a ``self->``/``this->`` variable (or
  thread-local array) that is read but that nothing in the program ever
  declares or assigns;
- D_ARGS_NONE (``dt_idcook_args``): ``args[]`` in an inline definition,
  outside of any probe clause.

Unlike libdtrace, reads before an assignment *later in the program text* are
accepted (the variable is typed at its assignment); only a variable that is
never written anywhere is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A


def walk(node: object) -> Iterator[A.Node]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from walk(item)
    elif isinstance(node, A.Node):
        yield node
        for slot in A.fields(node):
            yield from walk(getattr(node, slot, None))


def var_key(node: A.Expr) -> tuple[str, str] | None:
    if isinstance(node, A.Index) and isinstance(node.base, A.SelfVar):
        node = node.base
    if isinstance(node, A.SelfVar):
        return "self", node.name
    if isinstance(node, A.ThisVar):
        return "this", node.name
    return None


def written_vars(program: A.Program) -> set[tuple[str, str]]:
    """self->/this-> variables assigned, incremented or decremented anywhere."""
    out: set[tuple[str, str]] = set()
    for node in walk(program.items):
        target = None
        if isinstance(node, A.Assign):
            target = node.target
        elif isinstance(node, A.Postfix) or (isinstance(node, A.Unary)
                                             and node.op in ("++", "--")):
            target = node.operand
        if target is not None:
            while isinstance(target, A.MemberRef | A.Index) and var_key(target) is None:
                target = target.base
            key = var_key(target)
            if key is not None:
                out.add(key)
    return out


def check_never_assigned(ck, program: A.Program) -> None:
    """D_VAR_UNDEF for implicit (read-only) thread- and clause-local variables."""
    reads = getattr(ck, "implicit_reads", {})
    if not reads:
        return
    written = written_vars(program)
    for (scope, name), node in reads.items():
        var = ck.an.symbols.dynvars.get((scope, name))
        if var is not None and var.implicit and not var.declared \
                and (scope, name) not in written:
            raise DCompileError("D_VAR_UNDEF", f"{scope}->{name} has not yet been declared "
                                "or assigned", node.line or None)


def note_implicit_read(ck, scope: str, name: str, node: A.Node) -> None:
    if scope in ("self", "this"):
        reads = ck.__dict__.setdefault("implicit_reads", {})
        reads.setdefault((scope, name), node)


def check_inline_args(item: A.InlineDecl) -> None:
    for node in walk(item.value):
        if isinstance(node, A.Index) and isinstance(node.base, A.Ident) \
                and node.base.name == "args":
            raise DCompileError("D_ARGS_NONE", "args[ ] may not be referenced outside of a "
                                "probe clause", node.line or item.line or None)
