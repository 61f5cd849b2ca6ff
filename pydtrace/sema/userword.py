"""``__uword(addr)`` in D library translators (dlib/procfs.d: pr_argc, pr_envp).

A translator member's ``__uword(x)`` call becomes a UserWord node when the member
is used (sema.kernel.xlate_member), so scripts cannot call it themselves. Its value
is the 8 bytes at user address ``x`` of the current process, 0 when unreadable
(codegen.kernel.user_word): no runtime fault, like the kernel fields illumos reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker


@A.node
class UserWord(A.Node):
    addr: A.Expr


def user_words(value: A.Expr) -> A.Expr:
    """``value`` (a fresh copy) with each ``__uword(x)`` call turned into a UserWord."""
    def conv(node):
        if isinstance(node, A.Call) and node.name == "__uword" and len(node.args) == 1:
            return UserWord(conv(node.args[0]), line=node.line)
        if isinstance(node, A.Node):
            for slot in A.fields(node):
                child = getattr(node, slot, None)
                if isinstance(child, A.Node):
                    setattr(node, slot, conv(child))
                elif isinstance(child, list):
                    setattr(node, slot, [conv(c) for c in child])
        return node
    return conv(value)


def check_userword(ck: Checker, n: UserWord) -> T.DType:
    ck.expr(n.addr)
    return T.ULONG
