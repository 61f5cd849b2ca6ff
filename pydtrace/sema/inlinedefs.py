"""Checks dtrace makes when an inline is defined (dt_node_inline), before any use:
a name already given to a built-in, an inline naming itself, a literal of the wrong kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

# actions are "tracing functions" in dtrace's identifier kinds, subroutines "functions"
_ACTIONS = frozenset((
    "trace", "tracemem", "printf", "printa", "print", "exit", "stack", "ustack", "jstack",
    "raise", "stop", "system", "breakpoint", "panic", "chill", "copyout", "copyoutstr",
    "speculate", "commit", "discard", "clear", "trunc", "normalize", "denormalize", "setopt",
    "freopen", "ftruncate", "pcap"))


def _previous_kind(name: str) -> str | None:
    from pydtrace.sema.calls import CALLS
    from pydtrace.sema.symbols import BUILTINS

    if name in CALLS or name in _ACTIONS:
        return "tracing function" if name in _ACTIONS else "function"
    if name in BUILTINS:
        return "scalar"
    return None


def check_inline_definition(ck: Checker, item: A.InlineDecl, t: T.DType) -> None:
    from pydtrace.sema.undef import walk

    name = item.name
    prev = _previous_kind(name)
    if prev is not None:
        raise DCompileError("D_DECL_IDRED", f"identifier redefined: {name}\n\t current: "
                            f"inline definition\n\tprevious: {prev} ", item.line or None)
    params = {p.name for p in item.params or ()}
    if name not in params:
        for node in walk(item.value):
            if isinstance(node, A.Ident) and node.name == name:  # not yet defined there
                raise DCompileError("D_IDENT_UNDEF", f"failed to resolve {name}: Unknown "
                                    "variable name", node.line or item.line or None)
    r = t.resolve()
    value = item.value
    kind = "string" if isinstance(value, A.StrLit) else \
        "int" if isinstance(value, A.IntLit | A.CharLit) else None
    if kind == "string" and not r.is_string or kind == "int" and not r.is_scalar:
        raise DCompileError("D_OP_INCOMPAT", f'inline {name} definition uses incompatible '
                            f'types: "{t}" = "{kind}"', item.line or None)
