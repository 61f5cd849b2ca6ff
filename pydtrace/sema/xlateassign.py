"""``s = xlate<struct T>(x);``: a whole translated struct assigned at once becomes one
assignment per member; members the translator leaves out are zero (dtrace fills them
with zeroes)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


def expand_xlate_assign(ck: Checker, n: A.Assign, t: T.DType) -> None:
    from pydtrace.sema.kernel import follow, pick_xlator, xlator_key

    if n.op != "=":
        return
    x = follow(ck, n.value)
    r = t.resolve()
    if not isinstance(x, A.Xlate) or not isinstance(r, T.StructType):
        return
    if any(m.bits or not (m.type.resolve().is_scalar or m.type.resolve().is_string)
           for m in r.members):
        return  # nested structs and arrays: not expanded
    xl = pick_xlator(ck, xlator_key(ck.an.type_of(x)), ck.an.type_of(x.operand))
    if xl is None:
        return
    defined = {m.name for m in xl.members}
    line = n.line
    chain: A.Expr | None = None
    for m in r.members:
        if m.name in defined:
            value: A.Expr = A.MemberRef(copy.deepcopy(x), m.name, False, line=line)
        elif m.type.resolve().is_string:
            value = A.StrLit(b"", line=line)
        else:
            value = A.IntLit(0, "0", line=line)
        one = A.Assign("=", A.MemberRef(copy.deepcopy(n.target), m.name, False, line=line),
                       value, line=line)
        chain = one if chain is None else A.Comma(chain, one, line=line)
    if chain is not None:
        ck.expr(chain)
        ck.an.rewrites[n] = chain
