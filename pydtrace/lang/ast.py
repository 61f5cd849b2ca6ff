"""The untyped D syntax tree produced by the parser.

Nodes are small records carrying the source line they start on. Semantic
analysis annotates expressions through its own side tables, so the tree stays a
faithful picture of the source (the printer round-trips it).

Nodes are declared like dataclasses (annotated fields, defaults) but built as
light records (``pydtrace.record``): dtrace(1) imports this module on every run.
"""

from __future__ import annotations

from pydtrace.record import Record, field, record
from pydtrace.record import fields as fields  # re-exported: A.fields(node)

node = record  # nodes compare by identity: a node is a place in the source


class Node(Record):
    """Base of all nodes: positional fields in order, keyword-only ``line``."""

    _kwonly = {"line": 0}
    line: int


# ---------------------------------------------------------------- types


@node
class Enumerator(Node):
    name: str
    value: Expr | None = None


@node
class Member(Node):
    """One member declarator of a struct/union: ``int a:3;``."""

    type: TypeName
    name: str | None
    bits: Expr | None = None


@node
class TypeSpec(Node):
    """The specifier part of a declaration.

    ``kind`` is ``builtin`` (``words`` holds e.g. ``("unsigned", "long")``),
    ``typedef`` (``name`` is the typedef name, possibly ``mod`name``),
    ``struct``/``union`` (``name`` and, when defined here, ``members``) or
    ``enum`` (``name`` and, when defined here, ``enumerators``).
    ``qualifiers`` holds const/volatile/restrict as written.
    """

    kind: str
    words: tuple[str, ...] = ()
    name: str | None = None
    members: list[Member] | None = None
    enumerators: list[Enumerator] | None = None
    qualifiers: tuple[str, ...] = ()


@node
class Pointer(Node):
    qualifiers: tuple[str, ...] = ()


@node
class Array(Node):
    """``[size]``; size None for ``[]``. ``keys`` set for ``[int, string]``."""

    size: Expr | None = None
    keys: list[TypeName] | None = None


@node
class Function(Node):
    params: list[Param] = field(default_factory=list)
    varargs: bool = False


Derived = Pointer | Array | Function


@node
class TypeName(Node):
    """A full type: specifier plus derivations, applied outermost first.

    ``int *a[3]`` is ``TypeSpec(int)`` with ``derived=[Array(3), Pointer()]``
    read as "array of 3 pointers to int": derived[0] is the outermost.
    """

    spec: TypeSpec
    derived: list[Derived] = field(default_factory=list)


@node
class Param(Node):
    type: TypeName
    name: str | None = None


# ---------------------------------------------------------------- expressions


@node
class IntLit(Node):
    value: int
    text: str  # as written, suffixes and base included


@node
class CharLit(Node):
    value: int


@node
class StrLit(Node):
    value: bytes


@node
class Ident(Node):
    """A plain identifier: variable, built-in, inline, enum constant."""

    name: str


@node
class ExternIdent(Node):
    """`` `sym `` or `` mod`sym ``: a kernel symbol."""

    module: str | None
    name: str


@node
class SelfVar(Node):
    """``self->name``: thread-local variable."""

    name: str


@node
class ThisVar(Node):
    """``this->name``: clause-local variable."""

    name: str


@node
class AggRef(Node):
    """``@name`` used as a value (printa/clear/trunc arguments). ``@`` is ``@_``."""

    name: str


@node
class Unary(Node):
    """``op`` is one of ``- + ! ~ * & ++ --`` (``++``/``--`` are prefix here)."""

    op: str
    operand: Expr


@node
class Postfix(Node):
    op: str  # "++" or "--"
    operand: Expr


@node
class Binary(Node):
    """Every binary operator incl. ``&& || ^^`` and comparisons."""

    op: str
    left: Expr
    right: Expr


@node
class Assign(Node):
    op: str  # "=", "+=", "-=", ... "<<=", ">>="
    target: Expr
    value: Expr


@node
class Conditional(Node):
    cond: Expr
    then: Expr
    otherwise: Expr


@node
class Comma(Node):
    left: Expr
    right: Expr


@node
class Cast(Node):
    type: TypeName
    operand: Expr


@node
class Call(Node):
    """A function-like call: actions and subroutines (``printf``, ``strlen``)."""

    name: str
    args: list[Expr]


@node
class Index(Node):
    """``base[k1, k2]``: array element, associative array, ``args[N]``."""

    base: Expr
    keys: list[Expr]


@node
class MemberRef(Node):
    """``base.name`` or ``base->name`` (``arrow``)."""

    base: Expr
    name: str
    arrow: bool


@node
class Sizeof(Node):
    operand: Expr | TypeName


@node
class Offsetof(Node):
    type: TypeName
    member: str


@node
class Stringof(Node):
    operand: Expr


@node
class Xlate(Node):
    type: TypeName
    operand: Expr


Expr = (
    IntLit
    | CharLit
    | StrLit
    | Ident
    | ExternIdent
    | SelfVar
    | ThisVar
    | AggRef
    | Unary
    | Postfix
    | Binary
    | Assign
    | Conditional
    | Comma
    | Cast
    | Call
    | Index
    | MemberRef
    | Sizeof
    | Offsetof
    | Stringof
    | Xlate
)


# ---------------------------------------------------------------- statements


@node
class ExprStmt(Node):
    expr: Expr


@node
class AggStmt(Node):
    """``@name[keys] = func(args);`` (``keys`` empty for ``@name = ...``)."""

    name: str
    keys: list[Expr]
    func: str
    args: list[Expr]


@node
class If(Node):
    cond: Expr
    then: list[Stmt]
    otherwise: list[Stmt] | None = None


@node
class Empty(Node):
    """A lone ``;``."""


Stmt = ExprStmt | AggStmt | If | Empty


# ---------------------------------------------------------------- top level


@node
class ProbeDesc(Node):
    """One probe description, fields filled right to left (missing ones are "")."""

    text: str
    provider: str
    module: str
    function: str
    name: str


@node
class Clause(Node):
    descs: list[ProbeDesc]
    predicate: Expr | None
    body: list[Stmt] | None  # None: no braces at all (default action)


@node
class Declarator(Node):
    name: str | None
    derived: list[Derived] = field(default_factory=list)
    bits: Expr | None = None


@node
class Declaration(Node):
    """``[storage] spec declarator, ...;`` incl. ``typedef`` as a storage class
    and bare ``struct s {...};``. ``storage`` may be ``self``/``this``/``extern``/
    ``typedef``/``static``/``auto``/``register``/``None``; several classes written
    in one declaration are all kept, in order."""

    storage: list[str]
    spec: TypeSpec
    declarators: list[Declarator]


@node
class InlineDecl(Node):
    type: TypeName
    name: str
    params: list[Param] | None
    value: Expr


@node
class XlatorMember(Node):
    name: str
    value: Expr


@node
class TranslatorDecl(Node):
    out_type: TypeName
    in_type: TypeName
    in_name: str
    members: list[XlatorMember]


@node
class ProbeProto(Node):
    name: str  # as written (``__`` not yet turned into ``-``)
    args: list[Param]
    xargs: list[Param] | None = None


@node
class ProviderDecl(Node):
    name: str
    probes: list[ProbeProto]


@node
class Pragma(Node):
    """``#pragma`` line split into words (``["D", "option", "quiet"]``)."""

    words: list[str]


TopLevel = Clause | Declaration | InlineDecl | TranslatorDecl | ProviderDecl | Pragma


@node
class Program(Node):
    items: list[TopLevel]

    @property
    def clauses(self) -> list[Clause]:
        return [i for i in self.items if isinstance(i, Clause)]
