"""The untyped D syntax tree produced by the parser.

Nodes are small slotted dataclasses carrying the source line they start on.
Semantic analysis annotates expressions through its own side tables, so the
tree stays a faithful picture of the source (the printer round-trips it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, eq=False, repr=False)
class Node:
    line: int = field(default=0, kw_only=True)


# ---------------------------------------------------------------- types


@dataclass(slots=True, eq=False, repr=False)
class Enumerator(Node):
    name: str
    value: Expr | None = None


@dataclass(slots=True, eq=False, repr=False)
class Member(Node):
    """One member declarator of a struct/union: ``int a:3;``."""

    type: TypeName
    name: str | None
    bits: Expr | None = None


@dataclass(slots=True, eq=False, repr=False)
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


@dataclass(slots=True, eq=False, repr=False)
class Pointer(Node):
    qualifiers: tuple[str, ...] = ()


@dataclass(slots=True, eq=False, repr=False)
class Array(Node):
    """``[size]``; size None for ``[]``. ``keys`` set for ``[int, string]``."""

    size: Expr | None = None
    keys: list[TypeName] | None = None


@dataclass(slots=True, eq=False, repr=False)
class Function(Node):
    params: list[Param] = field(default_factory=list)
    varargs: bool = False


Derived = Pointer | Array | Function


@dataclass(slots=True, eq=False, repr=False)
class TypeName(Node):
    """A full type: specifier plus derivations, applied outermost first.

    ``int *a[3]`` is ``TypeSpec(int)`` with ``derived=[Array(3), Pointer()]``
    read as "array of 3 pointers to int": derived[0] is the outermost.
    """

    spec: TypeSpec
    derived: list[Derived] = field(default_factory=list)


@dataclass(slots=True, eq=False, repr=False)
class Param(Node):
    type: TypeName
    name: str | None = None


# ---------------------------------------------------------------- expressions


@dataclass(slots=True, eq=False, repr=False)
class IntLit(Node):
    value: int
    text: str  # as written, suffixes and base included


@dataclass(slots=True, eq=False, repr=False)
class CharLit(Node):
    value: int


@dataclass(slots=True, eq=False, repr=False)
class StrLit(Node):
    value: bytes


@dataclass(slots=True, eq=False, repr=False)
class Ident(Node):
    """A plain identifier: variable, built-in, inline, enum constant."""

    name: str


@dataclass(slots=True, eq=False, repr=False)
class ExternIdent(Node):
    """`` `sym `` or `` mod`sym ``: a kernel symbol."""

    module: str | None
    name: str


@dataclass(slots=True, eq=False, repr=False)
class SelfVar(Node):
    """``self->name``: thread-local variable."""

    name: str


@dataclass(slots=True, eq=False, repr=False)
class ThisVar(Node):
    """``this->name``: clause-local variable."""

    name: str


@dataclass(slots=True, eq=False, repr=False)
class AggRef(Node):
    """``@name`` used as a value (printa/clear/trunc arguments). ``@`` is ``@_``."""

    name: str


@dataclass(slots=True, eq=False, repr=False)
class Unary(Node):
    """``op`` is one of ``- + ! ~ * & ++ --`` (``++``/``--`` are prefix here)."""

    op: str
    operand: Expr


@dataclass(slots=True, eq=False, repr=False)
class Postfix(Node):
    op: str  # "++" or "--"
    operand: Expr


@dataclass(slots=True, eq=False, repr=False)
class Binary(Node):
    """Every binary operator incl. ``&& || ^^`` and comparisons."""

    op: str
    left: Expr
    right: Expr


@dataclass(slots=True, eq=False, repr=False)
class Assign(Node):
    op: str  # "=", "+=", "-=", ... "<<=", ">>="
    target: Expr
    value: Expr


@dataclass(slots=True, eq=False, repr=False)
class Conditional(Node):
    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(slots=True, eq=False, repr=False)
class Comma(Node):
    left: Expr
    right: Expr


@dataclass(slots=True, eq=False, repr=False)
class Cast(Node):
    type: TypeName
    operand: Expr


@dataclass(slots=True, eq=False, repr=False)
class Call(Node):
    """A function-like call: actions and subroutines (``printf``, ``strlen``)."""

    name: str
    args: list[Expr]


@dataclass(slots=True, eq=False, repr=False)
class Index(Node):
    """``base[k1, k2]``: array element, associative array, ``args[N]``."""

    base: Expr
    keys: list[Expr]


@dataclass(slots=True, eq=False, repr=False)
class MemberRef(Node):
    """``base.name`` or ``base->name`` (``arrow``)."""

    base: Expr
    name: str
    arrow: bool


@dataclass(slots=True, eq=False, repr=False)
class Sizeof(Node):
    operand: Expr | TypeName


@dataclass(slots=True, eq=False, repr=False)
class Offsetof(Node):
    type: TypeName
    member: str


@dataclass(slots=True, eq=False, repr=False)
class Stringof(Node):
    operand: Expr


@dataclass(slots=True, eq=False, repr=False)
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


@dataclass(slots=True, eq=False, repr=False)
class ExprStmt(Node):
    expr: Expr


@dataclass(slots=True, eq=False, repr=False)
class AggStmt(Node):
    """``@name[keys] = func(args);`` (``keys`` empty for ``@name = ...``)."""

    name: str
    keys: list[Expr]
    func: str
    args: list[Expr]


@dataclass(slots=True, eq=False, repr=False)
class If(Node):
    cond: Expr
    then: list[Stmt]
    otherwise: list[Stmt] | None = None


@dataclass(slots=True, eq=False, repr=False)
class Empty(Node):
    """A lone ``;``."""


Stmt = ExprStmt | AggStmt | If | Empty


# ---------------------------------------------------------------- top level


@dataclass(slots=True, eq=False, repr=False)
class ProbeDesc(Node):
    """One probe description, fields filled right to left (missing ones are "")."""

    text: str
    provider: str
    module: str
    function: str
    name: str


@dataclass(slots=True, eq=False, repr=False)
class Clause(Node):
    descs: list[ProbeDesc]
    predicate: Expr | None
    body: list[Stmt] | None  # None: no braces at all (default action)


@dataclass(slots=True, eq=False, repr=False)
class Declarator(Node):
    name: str | None
    derived: list[Derived] = field(default_factory=list)
    bits: Expr | None = None


@dataclass(slots=True, eq=False, repr=False)
class Declaration(Node):
    """``[storage] spec declarator, ...;`` incl. ``typedef`` as a storage class
    and bare ``struct s {...};``. ``storage`` may be ``self``/``this``/``extern``/
    ``typedef``/``static``/``auto``/``register``/``None``; several classes written
    in one declaration are all kept, in order."""

    storage: list[str]
    spec: TypeSpec
    declarators: list[Declarator]


@dataclass(slots=True, eq=False, repr=False)
class InlineDecl(Node):
    type: TypeName
    name: str
    params: list[Param] | None
    value: Expr


@dataclass(slots=True, eq=False, repr=False)
class XlatorMember(Node):
    name: str
    value: Expr


@dataclass(slots=True, eq=False, repr=False)
class TranslatorDecl(Node):
    out_type: TypeName
    in_type: TypeName
    in_name: str
    members: list[XlatorMember]


@dataclass(slots=True, eq=False, repr=False)
class ProbeProto(Node):
    name: str  # as written (``__`` not yet turned into ``-``)
    args: list[Param]
    xargs: list[Param] | None = None


@dataclass(slots=True, eq=False, repr=False)
class ProviderDecl(Node):
    name: str
    probes: list[ProbeProto]


@dataclass(slots=True, eq=False, repr=False)
class Pragma(Node):
    """``#pragma`` line split into words (``["D", "option", "quiet"]``)."""

    words: list[str]


TopLevel = Clause | Declaration | InlineDecl | TranslatorDecl | ProviderDecl | Pragma


@dataclass(slots=True, eq=False, repr=False)
class Program(Node):
    items: list[TopLevel]

    @property
    def clauses(self) -> list[Clause]:
        return [i for i in self.items if isinstance(i, Clause)]
