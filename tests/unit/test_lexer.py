"""Lexer tests: probe-spec state, predicate "/", macros, constants, comments, # lines."""

from __future__ import annotations

import pytest

from pydtrace.errors import DCompileError
from pydtrace.lang.lexer import Lexer, split_probe_desc, tokenize
from pydtrace.lang.macros import MacroEnv, check_unused


def kinds(text: str, **kw) -> list[tuple[str, object]]:
    """(kind, value-or-text) pairs without the EOF token."""
    out = []
    for t in tokenize(text, **kw)[:-1]:
        out.append((t.kind, t.value if t.value is not None else t.text))
    return out


def env(*args: str, **kw) -> MacroEnv:
    return MacroEnv(args=list(args), values={"pid": 42, "uid": 7}, **kw)


def lex_error(text: str, **kw) -> DCompileError:
    with pytest.raises(DCompileError) as info:
        tokenize(text, **kw)
    return info.value


# ---------------------------------------------------------------- probe specs


def test_probe_spec_is_one_token_with_fields():
    toks = tokenize("syscall::read*:entry { }")
    assert toks[0].kind == "PSPEC"
    assert toks[0].text == "syscall::read*:entry"
    assert toks[0].value == ("syscall", "", "read*", "entry")
    assert [t.kind for t in toks[1:]] == ["{", "}", "EOF"]


@pytest.mark.parametrize("spec,fields", [
    ("profile-997", ("", "", "", "profile-997")),
    ("tick-1s", ("", "", "", "tick-1s")),
    ("BEGIN", ("", "", "", "BEGIN")),
    ("foo:bar", ("", "", "foo", "bar")),
    ("m:f:n", ("", "m", "f", "n")),
    ("fbt:k[a-z]?:vfs_*:entry", ("fbt", "k[a-z]?", "vfs_*", "entry")),
    ("syscall:::", ("syscall", "", "", "")),
    ("a.out", ("", "", "", "a.out")),
])
def test_probe_spec_fields_fill_right_to_left(spec, fields):
    assert tokenize(spec + " {}")[0].value == fields


def test_probe_spec_macros_expand_and_concatenate():
    e = MacroEnv(args=["123", "libc.so.1"], target=4321)
    tok = tokenize("pid$target:$2:malloc:entry {}", macros=e)[0]
    assert tok.value == ("pid4321", "libc.so.1", "malloc", "entry")
    assert tok.text == "pid$target:$2:malloc:entry"
    assert e.referenced == {2}
    tok = tokenize("pid$1::f$1x:entry {}", macros=e)[0]
    assert tok.value == ("pid123", "", "f123x", "entry")


def test_probe_spec_target_defaults_to_zero():
    assert tokenize("pid$target:::entry {}", macros=MacroEnv())[0].value[0] == "pid0"


def test_probe_spec_bad_macro():
    err = lex_error("pid$3:::entry {}", macros=env("a"))
    assert err.tag == "D_PDESC_INVAL"
    assert err.message == ('invalid probe description "pid$3:::entry": '
                           "Undefined macro variable in probe description")


def test_probe_spec_overspecified():
    err = lex_error("\na:b:c:d:e {}")
    assert (err.tag, err.line) == ("D_PDESC_INVAL", 2)
    assert err.message == 'invalid probe description "a:b:c:d:e": Overspecified probe description'


@pytest.mark.parametrize("kind,text,fields", [
    ("P", "syscall", ("syscall", "", "", "")),
    ("m", "fbt:ext4", ("fbt", "ext4", "", "")),
    ("f", "syscall::read", ("syscall", "", "read", "")),
    ("f", "read", ("", "", "read", "")),
    ("n", "read:entry", ("", "", "read", "entry")),
])
def test_split_probe_desc_per_flag(kind, text, fields):
    assert split_probe_desc(text, kind) == fields


def test_split_probe_desc_flag_overspecified():
    with pytest.raises(DCompileError, match="Overspecified probe description"):
        split_probe_desc("a:b", "P")


def test_integer_in_outer_scope_is_probe_id():
    assert kinds("12345 { }") == [("INT", 12345), ("{", "{"), ("}", "}")]


def test_type_name_in_outer_scope_starts_declaration():
    assert kinds("uint64_t x;") == [("TNAME", "uint64_t"), ("IDENT", "x"), (";", ";")]
    assert kinds("int*p;")[:2] == [("int", "int"), ("*", "*")]
    assert Lexer("foo_t x;").next_token().kind == "PSPEC"  # unknown type: a probe description
    assert kinds("foo_t x;", type_names={"foo_t"})[0] == ("TNAME", "foo_t")


def test_declaration_returns_to_outer_scope():
    toks = kinds("int x; BEGIN { y = 1; } END {}")
    assert ("PSPEC", ("", "", "", "BEGIN")) in toks
    assert ("PSPEC", ("", "", "", "END")) in toks


# ---------------------------------------------------------------- predicate "/"


def test_predicate_close_vs_division():
    toks = kinds("BEGIN /a/b/c/ {}")
    assert [k for k, _ in toks] == ["PSPEC", "/", "IDENT", "/", "IDENT", "/", "IDENT",
                                    "EPRED", "{", "}"]


@pytest.mark.parametrize("after", ["", ";", "{", "/", "  \n {"])
def test_slash_closes_predicate_before(after):
    assert tokenize("BEGIN /x/" + after)[3].kind == "EPRED"


def test_slash_in_body_is_division():
    toks = kinds("BEGIN { x = a / b; y /= 2; }")
    assert ("/", "/") in toks and ("/=", "/=") in toks
    assert all(k != "EPRED" for k, _ in toks)


def test_unclosed_paren_in_predicate():
    err = lex_error("BEGIN /(x/ {}")
    assert (err.tag, err.message) == ("D_SYNTAX", "closing ) expected in predicate before /")
    err = lex_error("BEGIN /a[1/ {}")
    assert err.message == "closing ] expected in predicate before /"


# ---------------------------------------------------------------- expression tokens


def test_operators_longest_match():
    toks = kinds("BEGIN { a <<= b >>= c ^^ d->e ... x++ - --y; }")
    ops = [v for k, v in toks if k not in ("IDENT", "PSPEC")]
    assert ops == ["{", "<<=", ">>=", "^^", "->", "...", "++", "-", "--", ";", "}"]


def test_keywords_and_member_names():
    toks = kinds("BEGIN { self->string = this->x; sizeof(int); }")
    assert ("self", "self") in toks and ("IDENT", "string") in toks
    assert ("sizeof", "sizeof") in toks and ("int", "int") in toks


def test_aggregations_and_extern_symbols():
    toks = kinds("BEGIN { @c = count(); @ = sum(`nproc + vmlinux`jiffies); }")
    assert ("AGG", "c") in toks and ("AGG", "_") in toks
    assert ("IDENT", "`nproc") in toks and ("IDENT", "vmlinux`jiffies") in toks


@pytest.mark.parametrize("text,value", [
    ("0", 0), ("42", 42), ("0x1F", 31), ("0XffUL", 255), ("017", 15), ("10u", 10),
    ("10ll", 10), ("18446744073709551615", 2**64 - 1),
])
def test_integer_constants(text, value):
    tok = tokenize(f"BEGIN {{ x = {text}; }}")[4]
    assert (tok.kind, tok.value, tok.text) == ("INT", value, text)


def test_integer_overflow_and_bad_digit():
    err = lex_error("BEGIN {\n x = 18446744073709551616; }")
    assert (err.tag, err.line) == ("D_INT_OFLOW", 2)
    assert err.message == "constant 18446744073709551616 results in integer overflow"
    err = lex_error("BEGIN { x = 09; }")
    assert (err.tag, err.message) == ("D_INT_DIGIT", "constant 09 contains invalid digit 9")


@pytest.mark.parametrize("text", ["1.5", "1e3", ".5", "2f", "3."])
def test_floating_point_rejected(text):
    err = lex_error(f"BEGIN {{ x = {text}; }}")
    assert (err.tag, err.message) == ("D_SYNTAX", "floating-point constants are not permitted")


def test_char_constants():
    toks = tokenize(r"BEGIN { a = 'a'; b = 'ab'; c = '\n'; d = '\0'; e = '\x41'; }")
    values = [t.value for t in toks if t.kind == "CHAR"]
    assert values == [0x61, 0x6162, 10, 0, 0x41]


def test_char_errors():
    assert lex_error("BEGIN { x = ''; }").tag == "D_CHR_NULL"
    assert lex_error("BEGIN { x = ''; }").message == "empty character constant"
    err = lex_error("BEGIN { x = 'abcdefghi'; }")
    assert (err.tag, err.message) == ("D_CHR_OFLOW", "character constant is too long")
    err = lex_error("BEGIN {\n x = 'a\n'; }")
    assert (err.tag, err.message) == ("D_CHR_NL", "newline encountered in character constant")


def test_string_escapes():
    tok = tokenize(r'BEGIN { x = "a\tb\"c\\d\101\x42\?\q"; }')[4]
    assert tok.kind == "STRING"
    assert tok.value == b'a\tb"c\\dAB\\?\\q'  # stresc2chr keeps the \ of \? and \q
    assert tok.text.startswith('"a\\t')


def test_string_nul_ends_string():
    assert tokenize(r'BEGIN { x = "ab\0cd"; }')[4].value == b"ab"


def test_string_newline_error():
    err = lex_error('BEGIN {\n x = "abc\n"; }')
    assert (err.tag, err.message) == ("D_STR_NL", "newline encountered in string literal")
    assert err.line == 3  # like dtrace: counted after the newline


def test_unknown_character():
    err = lex_error("BEGIN { x = #; }")
    assert (err.tag, err.message, err.line) == ("D_SYNTAX", 'syntax error near "#"', 1)
    assert lex_error(";").message == 'syntax error near ";"'


def test_extra_closers():
    assert lex_error("BEGIN { x = a); }").message == "extra ) in input stream"
    assert lex_error("BEGIN { x = a]; }").message == "extra ] in input stream"


# ---------------------------------------------------------------- macros


def test_dollar_operands_int_ident_string():
    e = env("123", "foo", "hello world", '"quoted"', "-5", "0x10")
    toks = tokenize("BEGIN { a = $1; b = $2; c = $3; d = $4; e = $5; f = $6; g = $0; }",
                    macros=e)
    values = [(t.kind, t.value) for t in toks if t.text.startswith("$")]
    assert values == [("INT", 123), ("IDENT", "foo"), ("STRING", b"hello world"),
                      ("STRING", b"quoted"), ("INT", -5), ("INT", 16), ("IDENT", "dtrace")]
    assert e.referenced == {0, 1, 2, 3, 4, 5, 6}


def test_double_dollar_is_always_string():
    toks = tokenize("BEGIN { a = $$1; b = $$pid; }", macros=env("123"))
    assert [(t.kind, t.value) for t in toks if t.kind == "STRING"] == [
        ("STRING", b"123"), ("STRING", b"42")]


def test_macro_variables():
    toks = tokenize("BEGIN { a = $pid; b = $uid; c = $target; }", macros=env())
    assert [t.value for t in toks if t.kind == "INT"] == [42, 7, 0]


def test_number_then_macro_is_two_tokens():
    toks = tokenize("BEGIN { x = 123$pid; }", macros=env())
    assert [(t.kind, t.value) for t in toks[4:6]] == [("INT", 123), ("INT", 42)]


def test_macro_errors():
    err = lex_error("BEGIN {\n x = $3; }", macros=env("a"))
    assert (err.tag, err.message, err.line) == ("D_MACRO_UNDEF", "macro argument $3 is not defined",
                                                2)
    assert lex_error("BEGIN { x = $$2; }", macros=env("a")).message == \
        "macro argument $$2 is not defined"
    assert lex_error("BEGIN { x = $progname; }", macros=env()).message == \
        "macro variable $progname is not defined"


def test_defaultargs():
    e = env(defaultargs=True)
    toks = tokenize("BEGIN { a = $3; b = $$3; }", macros=e)
    assert [(t.kind, t.value) for t in toks if t.text.startswith("$")] == [
        ("INT", 0), ("STRING", b"")]


def test_check_unused_reports_last_operand():
    e = env("a", "b")
    tokenize("BEGIN { x = $1; }", macros=e)
    with pytest.raises(DCompileError) as info:
        check_unused(e)
    assert (info.value.tag, info.value.message) == (
        "D_MACRO_UNUSED", "extraneous argument 'b' ($2 is not referenced)")
    e2 = env("a", "b")
    tokenize("BEGIN { x = $2; }", macros=e2)
    check_unused(e2)  # only the last operand is checked, like dtrace


def test_for_process_fills_values():
    import os
    e = MacroEnv.for_process(["x"], prog="/tmp/s.d", target=99)
    assert e.values["pid"] == os.getpid() and e.values["uid"] == os.getuid()
    assert e.variable("target") == 99 and e.operand(0) == "/tmp/s.d"


# ---------------------------------------------------------------- comments and # lines


def test_comments_and_interpreter_line():
    toks = tokenize("#!/usr/sbin/dtrace -qs\n/* a\n comment */ BEGIN /* x */ {\n}\n")
    assert [(t.kind, t.line) for t in toks] == [("PSPEC", 3), ("{", 3), ("}", 4), ("EOF", 5)]


def test_nested_and_unterminated_comments():
    err = lex_error("/* a\n /* b */ BEGIN {}")
    assert (err.tag, err.message, err.line) == ("D_SYNTAX", "/* encountered inside a comment", 2)
    err = lex_error("BEGIN {}\n/* a\n")
    assert (err.message, err.line) == ("end-of-file encountered before matching */", 3)


def test_no_line_comments():
    # "//" is not a comment: the first "/" is followed by "/", so it closes a predicate
    assert [t.kind for t in tokenize("BEGIN { x = 1; // no\n }")][6:8] == ["EPRED", "/"]


def test_pragmas_and_line_markers():
    text = '#pragma D option quiet\n# 10 "foo.d"\nBEGIN\n#line 20\n{ }\n'
    toks = tokenize(text)
    assert (toks[0].kind, toks[0].value, toks[0].line) == ("PRAGMA", ["D", "option", "quiet"], 1)
    assert (toks[1].kind, toks[1].line, toks[1].file) == ("PSPEC", 10, "foo.d")
    assert (toks[2].kind, toks[2].line) == ("{", 21)  # dtrace: #line N makes the next N + 1


def test_control_line_errors():
    err = lex_error("#define X 1\nBEGIN {}")
    assert (err.tag, err.message, err.line) == ("D_PRAGCTL_INVAL",
                                                "invalid control directive: #define", 1)
    err = lex_error("#pragma D bogus\n")
    assert (err.tag, err.message) == ("D_PRAGMA_INVAL", "invalid D pragma: bogus")
    assert lex_error("#line x\n").tag == "D_PRAGMA_MALFORM"
    assert tokenize("#pragma once\nBEGIN {}")[0].kind == "PSPEC"  # unknown pragma ignored
