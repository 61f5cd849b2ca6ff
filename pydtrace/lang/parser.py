"""Recursive-descent parser for D, producing :mod:`pydtrace.lang.ast` trees.

One ``_parse_<rule>`` method per grammar rule (the ``# BNF:`` comment above
each is the rule); binary operators go through one precedence table. Error
messages and tags are dtrace's (``syntax error near "X"`` ...).
"""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.lang import protos as P
from pydtrace.lang import tokens as T
from pydtrace.lang.lexer import _SPEC_START, Lexer, split_probe_desc
from pydtrace.lang.macros import MacroEnv
from pydtrace.lang.tokens import Token

__all__ = ["parse_program", "split_probe_desc", "Parser"]

# C precedence plus D's logical XOR between && and ||; all left-associative.
BINARY_PRECEDENCE = {
    "||": 1, "^^": 2, "&&": 3, "|": 4, "^": 5, "&": 6,
    "==": 7, "!=": 7, "<": 8, "<=": 8, ">": 8, ">=": 8,
    "<<": 9, ">>": 9, "+": 10, "-": 10, "*": 11, "/": 11, "%": 11,
}
ASSIGN_OPS = frozenset(["=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="])
UNARY_OPS = frozenset(["-", "+", "!", "~", "*", "&"])
SOU_KEYWORDS = frozenset(["struct", "union"])
SPECIFIER_KEYWORDS = T.BUILTIN_TYPE_WORDS | T.TYPE_QUALIFIERS | SOU_KEYWORDS | {"enum"}
DECL_START = SPECIFIER_KEYWORDS | T.STORAGE_CLASSES | {T.TNAME}
# Tokens that can start an operand: after "(name)" they make it a cast.
OPERAND_START = frozenset([
    T.IDENT, T.INT, T.CHAR, T.STRING, "(", "!", "~", "sizeof", "stringof", "offsetof",
    "xlate", "self", "this",
])
# Probe ids are 32-bit (dt_node_pdesc_by_id); -P/-m/-f specify a field, not an id.
PROBE_ID_MAX = 0xFFFFFFFF
_ID_FORBIDDEN = {"P": "providers", "m": "modules", "f": "functions"}


def kernel_type_name(name: str) -> bool:
    """Is ``name`` a kernel typedef (BTF)? Asked only for module-scoped names."""
    from pydtrace.btf import reader as R

    try:
        return R.find_type(name, (R.TYPEDEF,)) is not None
    except (OSError, ValueError):
        return False


def parse_program(text: str, *, macros: MacroEnv | None = None, kind: str = "s",
                  type_names: set[str] | None = None, allow_empty: bool = False) -> A.Program:
    """Parse D source given to dtrace(1) as ``kind``.

    ``kind`` is ``s`` (script), ``n`` (-n), ``P`` (-P), ``m`` (-m), ``f`` (-f)
    or ``i`` (-i); it says which probe-description field a lone name fills and
    whether a description may stand without predicate or actions. Raises
    :class:`DCompileError` (and nothing else) for bad input.
    """
    parser = Parser(text, macros=macros, kind=kind, type_names=type_names)
    try:
        return parser.parse(allow_empty)
    except RecursionError:
        raise DCompileError("D_SYNTAX", "program is too deeply nested",
                            parser.current_line()) from None


class Parser:
    """One parse of one D text; see :func:`parse_program`."""

    def __init__(self, text: str, *, macros: MacroEnv | None = None, kind: str = "s",
                 type_names: set[str] | None = None) -> None:
        self.kind = kind
        self.type_names: set[str] = set(T.BUILTIN_TYPE_NAMES) | set(type_names or ())
        self.lexer = Lexer(text, macros, kind, self.type_names)
        self.buffer: list[Token] = []
        self.pragmas: list[A.Pragma] = []
        self.parenthesized: set[int] = set()  # ids of nodes written inside ( )
        self.array_params: dict[int, list[A.Param]] = {}

    # ------------------------------------------------------------ token plumbing

    def peek(self, k: int = 0) -> Token:
        while len(self.buffer) <= k:
            tok = self.lexer.next_token()
            if tok.kind == T.PRAGMA:
                self.pragmas.append(A.Pragma(list(tok.value), line=tok.line))
            else:
                self.buffer.append(tok)
        return self.buffer[k]

    def advance(self) -> Token:
        tok = self.peek()
        if tok.kind != T.EOF:
            self.buffer.pop(0)
        return tok

    def accept(self, kind: str) -> Token | None:
        return self.advance() if self.peek().kind == kind else None

    def expect(self, kind: str) -> Token:
        if self.peek().kind != kind:
            raise self.error_near(self.peek())
        return self.advance()

    def current_line(self) -> int:
        return self.buffer[0].line if self.buffer else self.lexer.line

    @staticmethod
    def error_near(tok: Token) -> DCompileError:
        """dtrace's ``syntax error near "X"`` (``near end of input`` at EOF)."""
        if tok.kind == T.EOF:
            return DCompileError("D_SYNTAX", "syntax error near end of input", tok.line,
                                 file=tok.file)
        text = tok.text.split("\n", 1)[0]
        return DCompileError("D_SYNTAX", f'syntax error near "{text}"', tok.line, file=tok.file)

    def is_type_token(self, k: int = 0) -> bool:
        """Does token ``k`` start a type name (keyword, TNAME or known typedef)?"""
        tok = self.peek(k)
        if tok.kind in SPECIFIER_KEYWORDS or tok.kind == T.TNAME:
            return True
        if tok.kind != T.IDENT:
            return False
        name = tok.value
        if name.startswith("D`"):  # the D container's scope: D`uint64_t, D`my_t
            name = name[2:]
        elif "`" in name and not name.startswith("`"):  # vmlinux`u64: a kernel type
            return kernel_type_name(name.rpartition("`")[2])
        return name in self.type_names

    # ------------------------------------------------------------ top level

    # BNF: translation_unit: { external_declaration }
    def parse(self, allow_empty: bool = False) -> A.Program:
        items: list[A.TopLevel] = []
        while True:
            tok = self.peek()
            items.extend(self._take_pragmas())
            if tok.kind == T.EOF:
                break
            items.append(self._parse_external_declaration())
        if not allow_empty and not any(not isinstance(i, A.Pragma) for i in items):
            raise DCompileError("D_EMPTY", "empty D program translation unit",
                                self.peek().line)
        return A.Program(items, line=1)

    def _take_pragmas(self) -> list[A.Pragma]:
        taken, self.pragmas = self.pragmas, []
        return taken

    # BNF: external_declaration: probe_definition | inline_definition
    # BNF:     | translator_definition | provider_definition | declaration
    def _parse_external_declaration(self) -> A.TopLevel:
        kind = self.peek().kind
        if kind in (T.PSPEC, T.INT):
            return self._parse_probe_definition()
        if kind == "inline":
            return self._parse_inline_definition()
        if kind == "translator":
            return self._parse_translator_definition()
        if kind == "provider":
            return self._parse_provider_definition()
        if kind in DECL_START:
            return self._parse_declaration()
        raise self.error_near(self.peek())

    # ------------------------------------------------------------ clauses

    # BNF: probe_definition: probe_specifier { ',' probe_specifier }
    # BNF:     [ '/' expression EPRED ] [ '{' statement_list '}' ]
    def _parse_probe_definition(self) -> A.Clause:
        descs = [self._parse_probe_specifier()]
        while self.accept(","):
            descs.append(self._parse_probe_specifier())
        predicate = None
        if self.accept("/"):
            predicate = self._parse_expression()
            end = self.expect(T.EPRED)
            if self.peek().kind != "{":
                raise DCompileError(
                    "D_SYNTAX",
                    "expected actions { } following probe description and predicate", end.line)
        if self.peek().kind == "{":
            body: list[A.Stmt] | None = self._parse_compound_statement()
        elif self.kind == "s":
            raise DCompileError(
                "D_SYNTAX", "expected predicate and/or actions following probe description",
                descs[0].line)
        else:
            body = None  # dtrace -n BEGIN: the default action
        return A.Clause(descs, predicate, body, line=descs[0].line)

    # BNF: probe_specifier: PSPEC | INT
    def _parse_probe_specifier(self) -> A.ProbeDesc:
        tok = self.advance()
        if tok.kind == T.INT:
            return self._probe_id(tok)
        if tok.kind != T.PSPEC:
            raise self.error_near(tok)
        fields = tok.value
        start = _SPEC_START.get(self.kind, 3)
        count = tok.text.count(":") + 1
        text = ":".join(fields[start - count + 1:start + 1])
        return A.ProbeDesc(text, *fields, line=tok.line)

    def _probe_id(self, tok: Token) -> A.ProbeDesc:
        """An integer probe specifier: a probe id (text the id, every field empty).

        The outer lexer state reads a leading digit run as an integer, never as a
        description, so ``123:::entry`` is id 123 and then ``:::entry``. The id
        must fit a probe id and is allowed only where a name can stand (-n, -i,
        scripts); api.check_probe_ids looks the id up.
        """
        if tok.value > PROBE_ID_MAX:
            raise DCompileError("D_PDESC_INVAL",
                                f"identifier {tok.value} exceeds maximum probe id", tok.line)
        field = _ID_FORBIDDEN.get(self.kind)
        if field is not None:
            raise DCompileError("D_PDESC_INVAL", f"probe identifier {tok.value} not permitted "
                                f"when specifying {field}", tok.line)
        return A.ProbeDesc(str(tok.value), "", "", "", "", line=tok.line)

    # BNF: compound_statement: '{' statement_list '}'
    # BNF: statement_list: { statement }
    def _parse_compound_statement(self) -> list[A.Stmt]:
        self.expect("{")
        body: list[A.Stmt] = []
        while self.peek().kind != "}":
            body.append(self._parse_statement())
        self.advance()
        return body

    # BNF: statement: ';' | if_statement | expression ( ';' | &'}' )
    def _parse_statement(self) -> A.Stmt:
        tok = self.peek()
        if tok.kind == ";":
            self.advance()
            return A.Empty(line=tok.line)
        if tok.kind == "if":
            return self._parse_if_statement()
        expr = self._parse_expression()
        if not self.accept(";") and self.peek().kind != "}":
            raise self.error_near(self.peek())
        return self._make_statement(expr, tok.line)

    def _make_statement(self, expr: A.Expr, line: int) -> A.Stmt:
        """``@a[k] = f(x)`` becomes an AggStmt; anything else an ExprStmt."""
        if isinstance(expr, A.Assign) and expr.op == "=" and isinstance(expr.value, A.Call) \
                and id(expr.target) not in self.parenthesized:
            target, keys = expr.target, []
            if isinstance(target, A.Index) and id(target.base) not in self.parenthesized:
                target, keys = target.base, target.keys
                if isinstance(target, A.Index) and isinstance(target.base, A.AggRef):
                    raise DCompileError("D_AGG_MDIM", "improper attempt to reference "
                                        f"@{target.base.name} as a multi-dimensional array",
                                        line)
            if isinstance(target, A.AggRef):
                return A.AggStmt(target.name, keys, expr.value.name, expr.value.args, line=line)
        return A.ExprStmt(expr, line=line)

    # BNF: if_statement: 'if' '(' expression ')' branch [ 'else' branch ]
    def _parse_if_statement(self) -> A.If:
        tok = self.expect("if")
        self.expect("(")
        cond = self._parse_expression()
        self.expect(")")
        then = self._parse_branch()
        otherwise = self._parse_branch() if self.accept("else") else None
        return A.If(cond, then, otherwise, line=tok.line)

    # BNF: branch: compound_statement | statement
    def _parse_branch(self) -> list[A.Stmt]:
        if self.peek().kind == "{":
            return self._parse_compound_statement()
        return [self._parse_statement()]

    # ------------------------------------------------------------ expressions

    # BNF: expression: assignment_expression { ',' assignment_expression }
    def _parse_expression(self) -> A.Expr:
        left = self._parse_assignment_expression()
        while tok := self.accept(","):
            right = self._parse_assignment_expression()
            left = A.Comma(left, right, line=tok.line)
        return left

    # BNF: assignment_expression: conditional_expression
    # BNF:     | unary_expression assignment_operator assignment_expression
    def _parse_assignment_expression(self) -> A.Expr:
        left = self._parse_conditional_expression()
        tok = self.peek()
        if tok.kind not in ASSIGN_OPS:
            return left
        if not self._is_unary_expression(left):
            raise self.error_near(tok)
        self.advance()
        value = self._parse_assignment_expression()
        return A.Assign(tok.kind, left, value, line=tok.line)

    def _is_unary_expression(self, node: A.Expr) -> bool:
        compound = (A.Binary, A.Conditional, A.Cast, A.Comma, A.Assign)
        return not isinstance(node, compound) or id(node) in self.parenthesized

    # BNF: conditional_expression: logical_or_expression
    # BNF:     [ '?' expression ':' conditional_expression ]
    def _parse_conditional_expression(self) -> A.Expr:
        cond = self._parse_binary_expression(1)
        tok = self.accept("?")
        if tok is None:
            return cond
        then = self._parse_expression()
        self.expect(":")
        otherwise = self._parse_conditional_expression()
        return A.Conditional(cond, then, otherwise, line=tok.line)

    # BNF: binary_expression(p): cast_expression { binary_operator(>= p) binary_expression(p+1) }
    def _parse_binary_expression(self, min_prec: int) -> A.Expr:
        left = self._parse_cast_expression()
        while True:
            tok = self.peek()
            prec = BINARY_PRECEDENCE.get(tok.kind)
            if prec is None or prec < min_prec:
                return left
            self.advance()
            right = self._parse_binary_expression(prec + 1)
            left = A.Binary(tok.kind, left, right, line=tok.line)

    # BNF: cast_expression: '(' type_name ')' cast_expression | unary_expression
    def _parse_cast_expression(self) -> A.Expr:
        if self.peek().kind == "(" and self._cast_follows():
            tok = self.advance()
            type_name = self._parse_type_name()
            self.expect(")")
            return A.Cast(type_name, self._parse_cast_expression(), line=tok.line)
        return self._parse_unary_expression()

    def _cast_follows(self) -> bool:
        """After "(": a type? Unknown names count when "(name)" precedes an operand
        or "(name *...)" cannot be an expression (dtrace asks CTF instead)."""
        if self.is_type_token(1):
            return True
        if self.peek(1).kind != T.IDENT:
            return False
        if self.peek(2).kind == ")":
            return self.peek(3).kind in OPERAND_START
        k = 2
        while self.peek(k).kind == "*":
            k += 1
        return k > 2 and self.peek(k).kind == ")"

    # BNF: unary_expression: postfix_expression | ( '++' | '--' ) unary_expression
    # BNF:     | unary_operator cast_expression | 'sizeof' unary_expression
    # BNF:     | 'sizeof' '(' type_name ')' | 'stringof' unary_expression
    def _parse_unary_expression(self) -> A.Expr:
        tok = self.peek()
        if tok.kind in ("++", "--"):
            self.advance()
            return A.Unary(tok.kind, self._parse_unary_expression(), line=tok.line)
        if tok.kind in UNARY_OPS:
            self.advance()
            return A.Unary(tok.kind, self._parse_cast_expression(), line=tok.line)
        if tok.kind == "sizeof":
            return self._parse_sizeof()
        if tok.kind == "stringof":
            self.advance()
            return A.Stringof(self._parse_unary_expression(), line=tok.line)
        return self._parse_postfix_expression()

    def _parse_sizeof(self) -> A.Sizeof:
        tok = self.advance()
        if self.peek().kind == "(" and self._cast_follows():
            self.advance()
            type_name = self._parse_type_name()
            self.expect(")")
            return A.Sizeof(type_name, line=tok.line)
        return A.Sizeof(self._parse_unary_expression(), line=tok.line)

    # BNF: postfix_expression: primary_expression { '[' argument_list ']'
    # BNF:     | '(' [ argument_list ] ')' | '.' IDENT | '->' IDENT | '++' | '--' }
    def _parse_postfix_expression(self) -> A.Expr:
        node = self._parse_primary_expression()
        while True:
            tok = self.peek()
            if tok.kind == "[":
                self.advance()
                node = A.Index(node, self._parse_argument_list("]"), line=tok.line)
            elif tok.kind == "(":
                node = self._parse_call(node)
            elif tok.kind in (".", "->"):
                self.advance()
                name = self.expect(T.IDENT).value
                node = A.MemberRef(node, name, tok.kind == "->", line=tok.line)
            elif tok.kind in ("++", "--"):
                self.advance()
                node = A.Postfix(tok.kind, node, line=tok.line)
            else:
                return node

    def _parse_call(self, callee: A.Expr) -> A.Call:
        tok = self.advance()
        if not isinstance(callee, A.Ident) or id(callee) in self.parenthesized:
            raise DCompileError("D_FUNC_IDENT", "function designator is not of function type",
                                tok.line)
        args = [] if self.accept(")") else self._parse_argument_list(")")
        return A.Call(callee.name, args, line=callee.line)

    # BNF: argument_list: assignment_expression { ',' assignment_expression }
    def _parse_argument_list(self, close: str) -> list[A.Expr]:
        args = [self._parse_assignment_expression()]
        while self.accept(","):
            args.append(self._parse_assignment_expression())
        self.expect(close)
        return args

    # BNF: primary_expression: IDENT | AGG | INT | CHAR | STRING | self_or_this
    # BNF:     | '(' expression ')' | offsetof_expression | xlate_expression
    def _parse_primary_expression(self) -> A.Expr:
        tok = self.peek()
        simple = self._simple_primary(tok)
        if simple is not None:
            self.advance()
            return simple
        if tok.kind in ("self", "this"):
            return self._parse_self_or_this()
        if tok.kind == "(":
            self.advance()
            node = self._parse_expression()
            self.expect(")")
            self.parenthesized.add(id(node))
            return node
        if tok.kind == "offsetof":
            return self._parse_offsetof_expression()
        if tok.kind == "xlate":
            return self._parse_xlate_expression()
        raise self.error_near(tok)

    @staticmethod
    def _simple_primary(tok: Token) -> A.Expr | None:
        line = tok.line
        if tok.kind == T.IDENT:
            name = tok.value
            if "`" in name:
                module, _, sym = name.rpartition("`")
                return A.ExternIdent(module or None, sym, line=line)
            return A.Ident(name, line=line)
        if tok.kind == T.INT:
            text = str(tok.value) if tok.text.startswith("$") else tok.text
            return A.IntLit(tok.value, text, line=line)
        if tok.kind == T.CHAR:
            return A.CharLit(tok.value, line=line)
        if tok.kind == T.STRING:
            return A.StrLit(tok.value, line=line)
        if tok.kind == T.AGG:
            return A.AggRef(tok.value, line=line)
        return None

    # BNF: self_or_this: ( 'self' | 'this' ) [ '->' IDENT ]
    def _parse_self_or_this(self) -> A.Expr:
        tok = self.advance()
        if self.peek().kind == "->" and self.peek(1).kind == T.IDENT:
            self.advance()
            name = self.advance().value
            cls = A.SelfVar if tok.kind == "self" else A.ThisVar
            return cls(name, line=tok.line)
        return A.Ident(tok.kind, line=tok.line)

    # BNF: offsetof_expression: 'offsetof' '(' type_name ',' IDENT ')'
    def _parse_offsetof_expression(self) -> A.Offsetof:
        tok = self.advance()
        self.expect("(")
        type_name = self._parse_type_name()
        self.expect(",")
        member = self.expect(T.IDENT).value
        self.expect(")")
        return A.Offsetof(type_name, member, line=tok.line)

    # BNF: xlate_expression: 'xlate' '<' type_name '>' '(' expression ')'
    def _parse_xlate_expression(self) -> A.Xlate:
        tok = self.advance()
        self.expect("<")
        type_name = self._parse_type_name()
        self.expect(">")
        self.expect("(")
        operand = self._parse_expression()
        self.expect(")")
        return A.Xlate(type_name, operand, line=tok.line)

    # ------------------------------------------------------------ types and declarations

    # BNF: type_name: specifier_qualifier_list [ abstract_declarator ]
    def _parse_type_name(self) -> A.TypeName:
        line = self.peek().line
        _, spec = self._parse_declaration_specifiers(storage=False, required=True)
        _, derived = self._parse_declarator("yes")
        return A.TypeName(spec, derived, line=line)

    # BNF: declaration_specifiers: { storage_class | type_specifier | type_qualifier }+
    def _parse_declaration_specifiers(self, storage: bool,
                                      required: bool) -> tuple[list[str], A.TypeSpec]:
        line = self.peek().line
        classes: list[str] = []
        quals: list[str] = []
        words: list[str] = []
        named: A.TypeSpec | None = None
        while True:
            tok = self.peek()
            if storage and tok.kind in T.STORAGE_CLASSES:
                classes.append(self.advance().kind)
            elif tok.kind in T.TYPE_QUALIFIERS:
                quals.append(self.advance().kind)
            elif tok.kind in T.BUILTIN_TYPE_WORDS:
                words.append(self.advance().kind)
            elif named is None and not words and self._named_spec_follows(required, classes):
                named = self._parse_named_specifier()
            else:
                break
        if not (classes or quals or words or named):
            raise self.error_near(self.peek())
        spec = named or A.TypeSpec("builtin", tuple(words), line=line)
        spec.qualifiers = tuple(quals)
        return classes, spec

    def _named_spec_follows(self, required: bool, classes: list[str]) -> bool:
        """Is the next token a struct/union/enum or typedef-name specifier?"""
        tok = self.peek()
        if tok.kind in SOU_KEYWORDS or tok.kind == "enum" or tok.kind == T.TNAME:
            return True
        if tok.kind != T.IDENT:
            return False
        if tok.value in self.type_names or required:
            return True
        # "self foo_t x;": an unknown name followed by a declarator is a type
        return bool(classes) and self.peek(1).kind in (T.IDENT, "*", "(")

    def _parse_named_specifier(self) -> A.TypeSpec:
        tok = self.peek()
        if tok.kind in SOU_KEYWORDS:
            return self._parse_struct_or_union_specifier()
        if tok.kind == "enum":
            return self._parse_enum_specifier()
        self.advance()
        return A.TypeSpec("typedef", name=tok.value, line=tok.line)

    # BNF: struct_or_union_specifier: ( 'struct' | 'union' ) IDENT
    # BNF:     | ( 'struct' | 'union' ) [ IDENT ] '{' struct_declaration { struct_declaration } '}'
    def _parse_struct_or_union_specifier(self) -> A.TypeSpec:
        tok = self.advance()
        name = self._accept_tag_name()
        if name is None and self.peek().kind != "{":
            raise self.error_near(self.peek())
        members = None
        if self.accept("{"):
            members = []
            while True:
                members.extend(self._parse_struct_declaration())
                if self.accept("}"):
                    break
        return A.TypeSpec(tok.kind, name=name, members=members, line=tok.line)

    def _accept_tag_name(self) -> str | None:
        tok = self.peek()
        if tok.kind in (T.IDENT, T.TNAME):
            self.advance()
            return tok.value
        return None

    # BNF: struct_declaration: specifier_qualifier_list struct_declarator
    # BNF:     { ',' struct_declarator } ';'
    # BNF: struct_declarator: declarator [ ':' constant_expression ] | ':' constant_expression
    def _parse_struct_declaration(self) -> list[A.Member]:
        _, spec = self._parse_declaration_specifiers(storage=False, required=True)
        members = []
        while True:
            line = self.peek().line
            if self.peek().kind in (";", ","):
                raise DCompileError("D_DECL_MNAME", "member declaration requires a name", line)
            name, derived = (None, []) if self.peek().kind == ":" else self._parse_declarator("no")
            bits = self._parse_conditional_expression() if self.accept(":") else None
            members.append(A.Member(A.TypeName(spec, derived, line=line), name, bits, line=line))
            if not self.accept(","):
                break
        self.expect(";")
        return members

    # BNF: enum_specifier: 'enum' IDENT | 'enum' [ IDENT ] '{' enumerator { ',' enumerator } '}'
    def _parse_enum_specifier(self) -> A.TypeSpec:
        tok = self.advance()
        name = self._accept_tag_name()
        if name is None and self.peek().kind != "{":
            raise self.error_near(self.peek())
        enumerators = None
        if self.accept("{"):
            enumerators = [self._parse_enumerator()]
            while self.accept(","):
                enumerators.append(self._parse_enumerator())
            self.expect("}")
        return A.TypeSpec("enum", name=name, enumerators=enumerators, line=tok.line)

    # BNF: enumerator: IDENT [ '=' constant_expression ]
    def _parse_enumerator(self) -> A.Enumerator:
        tok = self.expect(T.IDENT)
        value = self._parse_conditional_expression() if self.accept("=") else None
        return A.Enumerator(tok.value, value, line=tok.line)

    # BNF: declarator: { pointer } direct_declarator
    # BNF: pointer: '*' { type_qualifier }
    # BNF: direct_declarator: ( IDENT | '(' declarator ')' ) { array | function }
    def _parse_declarator(self, abstract: str) -> tuple[str | None, list[A.Derived]]:
        """``abstract`` is ``no`` (name required), ``maybe`` or ``yes`` (no name)."""
        pointers = []
        while tok := self.accept("*"):
            quals = []
            while self.peek().kind in T.TYPE_QUALIFIERS:
                quals.append(self.advance().kind)
            pointers.append(A.Pointer(tuple(quals), line=tok.line))
        name, inner = None, []
        tok = self.peek()
        if tok.kind == T.IDENT and abstract != "yes":
            name = self.advance().value
            if name in self.type_names and self.peek().kind == T.IDENT:
                raise DCompileError("D_DECL_IDENT", "old-style declaration or incorrect type "
                                    "specified", tok.line, file=tok.file)
        elif tok.kind == "(" and self._nested_declarator_follows(abstract):
            self.advance()
            name, inner = self._parse_declarator(abstract)
            self.expect(")")
        elif abstract == "no":
            raise self.error_near(tok)
        suffixes = self._parse_declarator_suffixes()
        return name, inner + suffixes + pointers[::-1]

    def _nested_declarator_follows(self, abstract: str) -> bool:
        if abstract == "no":
            return True
        nxt = self.peek(1)
        if nxt.kind in ("*", "("):
            return True
        return abstract == "maybe" and nxt.kind == T.IDENT and not self.is_type_token(1)

    def _parse_declarator_suffixes(self) -> list[A.Derived]:
        suffixes: list[A.Derived] = []
        while True:
            if self.peek().kind == "[":
                suffixes.append(self._parse_array())
            elif self.peek().kind == "(":
                suffixes.append(self._parse_function())
            else:
                return suffixes

    # BNF: array: '[' [ constant_expression | parameter_type_list ] ']'
    def _parse_array(self) -> A.Array:
        tok = self.expect("[")
        if self.accept("]"):
            return A.Array(line=tok.line)
        if self.is_type_token() or self.peek().kind in T.STORAGE_CLASSES \
                or self.peek().kind == "...":
            params, varargs = self._parse_parameter_type_list()
            self.expect("]")
            P.check_prototype(params, varargs, params, "array", P.ANON, tok.line)
            array = A.Array(keys=[p.type for p in params], line=tok.line)
            self.array_params[id(array)] = params
            return array
        size = self._parse_conditional_expression()
        self.expect("]")
        return A.Array(size, line=tok.line)

    # BNF: function: '(' [ parameter_type_list ] ')'
    def _parse_function(self, check: bool = True) -> A.Function:
        tok = self.expect("(")
        if self.accept(")"):
            return A.Function(line=tok.line)
        params, varargs = self._parse_parameter_type_list()
        self.expect(")")
        if check:
            P.check_prototype(params, varargs, params, "function",
                              P.VARARGS | P.VOID | P.ANON, tok.line)
        return A.Function(params, varargs, line=tok.line)

    # BNF: parameter_type_list: '...' | parameter_declaration { ',' parameter_declaration }
    # BNF:     [ ',' '...' ]
    def _parse_parameter_type_list(self) -> tuple[list[A.Param], bool]:
        if self.accept("..."):
            return [], True
        params = [self._parse_parameter_declaration()]
        while self.accept(","):
            if self.accept("..."):
                return params, True
            params.append(self._parse_parameter_declaration())
        return params, False

    # BNF: parameter_declaration: declaration_specifiers [ declarator | abstract_declarator ]
    def _parse_parameter_declaration(self) -> A.Param:
        line = self.peek().line
        classes, spec = self._parse_declaration_specifiers(storage=True, required=True)
        if any(c != "register" for c in classes):
            raise DCompileError("D_DECL_PARMCLASS", "inappropriate storage class for function "
                                "or associative array parameter", line)
        name, derived = self._parse_declarator("maybe")
        return A.Param(A.TypeName(spec, derived, line=line), name, line=line)

    # BNF: declaration: declaration_specifiers [ declarator { ',' declarator } ] ';'
    def _parse_declaration(self) -> A.Declaration:
        line = self.peek().line
        storage, spec = self._parse_declaration_specifiers(storage=True, required=False)
        declarators = []
        if self.peek().kind != ";":
            declarators.append(self._parse_init_declarator(storage))
            while self.accept(","):
                declarators.append(self._parse_init_declarator(storage))
        self.expect(";")
        return A.Declaration(storage, spec, declarators, line=line)

    def _parse_init_declarator(self, storage: list[str]) -> A.Declarator:
        line = self.peek().line
        name, derived = self._parse_declarator("no")
        if "typedef" in storage and name:
            self.type_names.add(name)  # before the lexer reads past the ";"
        return A.Declarator(name, derived, line=line)

    # BNF: inline_definition: 'inline' declaration_specifiers declarator
    # BNF:     '=' assignment_expression ';'
    def _parse_inline_definition(self) -> A.InlineDecl:
        tok = self.advance()
        _, spec = self._parse_declaration_specifiers(storage=False, required=True)
        line = self.peek().line
        name, derived = self._parse_declarator("no")
        params = None
        if derived and isinstance(derived[0], A.Array) and id(derived[0]) in self.array_params:
            params = self.array_params[id(derived[0])]
            derived = derived[1:]
        self.expect("=")
        value = self._parse_assignment_expression()
        self.expect(";")
        return A.InlineDecl(A.TypeName(spec, derived, line=line), name or "", params, value,
                            line=tok.line)

    # BNF: translator_definition: 'translator' type_name '<' type_name IDENT '>'
    # BNF:     '{' { IDENT '=' assignment_expression ';' } '}' ';'
    def _parse_translator_definition(self) -> A.TranslatorDecl:
        tok = self.advance()
        out_type = self._parse_type_name()
        self.expect("<")
        in_type = self._parse_type_name()
        in_name = self.expect(T.IDENT).value
        self.expect(">")
        self.expect("{")
        members = []
        while not self.accept("}"):
            member = self.expect(T.IDENT)
            self.expect("=")
            value = self._parse_assignment_expression()
            self.expect(";")
            members.append(A.XlatorMember(member.value, value, line=member.line))
        self.expect(";")
        return A.TranslatorDecl(out_type, in_type, in_name, members, line=tok.line)

    # BNF: provider_definition: 'provider' IDENT '{' { provider_probe } '}' ';'
    def _parse_provider_definition(self) -> A.ProviderDecl:
        tok = self.advance()
        name = self.expect(T.IDENT).value
        P.check_provider_name(name, tok.line)
        self.expect("{")
        probes = []
        while not self.accept("}"):
            probes.append(self._parse_provider_probe())
        self.expect(";")
        return A.ProviderDecl(name, probes, line=tok.line)

    # BNF: provider_probe: 'probe' IDENT function [ ':' function ] ';'
    def _parse_provider_probe(self) -> A.ProbeProto:
        tok = self.expect("probe")
        name = self.expect(T.IDENT).value
        args = self._parse_function(check=False)
        xargs = self._parse_function(check=False) if self.accept(":") else None
        self.expect(";")
        P.check_probe(name, args.params, args.varargs, xargs and xargs.params,
                    bool(xargs and xargs.varargs), tok.line)
        args, xargs = args.params, xargs and xargs.params
        return A.ProbeProto(name, args, xargs, line=tok.line)
