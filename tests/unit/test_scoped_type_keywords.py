"""Type keywords after a module scope (``D`int``, ``C`long``, ``vmlinux`char``) are
type names, as dtrace's lexer finds them with a type lookup; ```int`` is not."""

from __future__ import annotations

import pytest

from pydtrace.lang import ast as A
from pydtrace.lang import tokens as T
from pydtrace.lang.lexer import scoped_keyword, tokenize
from pydtrace.lang.parser import parse_program
from pydtrace.options import Options
from pydtrace.sema.check import Checker


def check(text: str):
    ck = Checker()
    ck.options = Options()
    program = parse_program(text, kind="s")
    return program, ck.check(program)


def clause_exprs(program: A.Program) -> list[A.Expr]:
    clause = next(i for i in program.items if isinstance(i, A.Clause))
    return [s.expr for s in clause.body]


@pytest.mark.parametrize(("word", "kw"), [
    ("D`int", "int"), ("D`long", "long"), ("C`char", "char"), ("D`unsigned", "unsigned"),
    ("D`string", "string"), ("vmlinux`short", "short"),
    ("`int", None), ("D`uint64_t", None), ("vmlinux`string", None), ("D`x`int", None),
    ("nosuchmodule`int", None), ("int", None),
])
def test_scoped_keyword(word: str, kw: str | None) -> None:
    assert scoped_keyword(word) == kw


def test_scoped_keyword_tokens() -> None:
    toks = tokenize("BEGIN { x = sizeof(D`int) + (D`long)y; z = `int; }", kind="s")
    kinds = [(t.kind, t.text) for t in toks if "`" in t.text]
    assert kinds == [("int", "D`int"), ("long", "D`long"), (T.IDENT, "`int")]


@pytest.mark.parametrize(("expr", "value"), [
    ("sizeof(D`int)", 4), ("sizeof(D`long)", 8), ("sizeof(D`char)", 1),
    ("sizeof(D`short)", 2), ("sizeof(C`long)", 8), ("sizeof(D`unsigned long)", 8),
    ("sizeof(D`long *)", 8), ("sizeof(D`int[3])", 12), ("(D`char)300", 44),
    ("(D`unsigned char)-1", 255), ("(C`short)65537", 1), ("(D`long)-3 < 0", 1),
])
def test_scoped_keyword_types_fold(expr: str, value: int) -> None:
    program, an = check(f"BEGIN {{ x = {expr}; }}")
    assign = clause_exprs(program)[0]
    assert an.consts[assign.value] == value


def test_scoped_keyword_declarations() -> None:
    program, an = check("D`long g;\nD`char *p;\nC`unsigned int u;\n"
                        "BEGIN { g = 1; p = 0; u = 2; }")
    globs = an.symbols.globals
    assert str(globs["g"].type) == "long" and globs["g"].type.resolve().size == 8
    assert str(globs["p"].type) == "char *"
    assert str(globs["u"].type) == "unsigned int"


def test_scoped_typedef_declaration_at_top_level() -> None:
    _, an = check("D`uint64_t g;\nD`int32_t *q;\nBEGIN { g = 1; q = 0; }")
    assert an.symbols.globals["g"].type.resolve().size == 8
    assert an.symbols.globals["q"].type.resolve().is_pointer


def test_backquote_alone_is_not_a_type_scope() -> None:
    # ``int names a kernel symbol "int", not the type (dtrace's type lookup fails)
    program = parse_program("BEGIN { x = `int; }", kind="s")
    value = clause_exprs(program)[0].value
    assert isinstance(value, A.ExternIdent) and value.name == "int"


def test_string_scoped_to_kernel_is_an_identifier() -> None:
    program = parse_program("BEGIN { x = sizeof(vmlinux`string); }", kind="s")
    value = clause_exprs(program)[0].value
    assert isinstance(value, A.Sizeof) and isinstance(value.operand, A.ExternIdent)
