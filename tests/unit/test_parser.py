"""Parser tests: trees as nested lists, precedence, declarations, errors, round trips, fuzz."""

from __future__ import annotations

import random

import pytest

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.lang.macros import MacroEnv
from pydtrace.lang.parser import parse_program
from pydtrace.lang.printer import format_expr, format_program, format_type


def sx(node):
    """An expression as nested lists: ["+", "a", ["*", "b", "c"]]."""
    if isinstance(node, A.Ident):
        return node.name
    if isinstance(node, (A.IntLit, A.CharLit, A.StrLit)):
        return node.value
    if isinstance(node, A.SelfVar):
        return "self->" + node.name
    if isinstance(node, A.ThisVar):
        return "this->" + node.name
    if isinstance(node, A.AggRef):
        return "@" + node.name
    if isinstance(node, A.ExternIdent):
        return f"{node.module or ''}`{node.name}"
    if isinstance(node, (A.Binary, A.Assign)):
        return [node.op, sx(getattr(node, "left", None) or node.target),
                sx(getattr(node, "right", None) or node.value)]
    if isinstance(node, A.Unary):
        return [node.op, sx(node.operand)]
    if isinstance(node, A.Postfix):
        return ["post" + node.op, sx(node.operand)]
    if isinstance(node, A.Conditional):
        return ["?:", sx(node.cond), sx(node.then), sx(node.otherwise)]
    if isinstance(node, A.Comma):
        return [",", sx(node.left), sx(node.right)]
    if isinstance(node, A.Cast):
        return ["cast", format_type(node.type), sx(node.operand)]
    if isinstance(node, A.Call):
        return ["call", node.name, *[sx(a) for a in node.args]]
    if isinstance(node, A.Index):
        return ["[]", sx(node.base), *[sx(k) for k in node.keys]]
    if isinstance(node, A.MemberRef):
        return ["->" if node.arrow else ".", sx(node.base), node.name]
    if isinstance(node, A.Sizeof):
        op = node.operand
        return ["sizeof", format_type(op) if isinstance(op, A.TypeName) else sx(op)]
    if isinstance(node, A.Stringof):
        return ["stringof", sx(node.operand)]
    if isinstance(node, A.Offsetof):
        return ["offsetof", format_type(node.type), node.member]
    if isinstance(node, A.Xlate):
        return ["xlate", format_type(node.type), sx(node.operand)]
    raise AssertionError(node)


def expr(text: str, **kw):
    """The tree of ``text`` used as a one-statement clause body."""
    body = parse_program(f"BEGIN {{ {text}; }}", **kw).clauses[0].body
    assert len(body) == 1 and isinstance(body[0], A.ExprStmt)
    return sx(body[0].expr)


def parse_error(text: str, **kw) -> DCompileError:
    with pytest.raises(DCompileError) as info:
        parse_program(text, **kw)
    return info.value


def same_tree(a, b) -> bool:
    """Structural equality of two syntax trees, ignoring line numbers."""
    if isinstance(a, A.Node) or isinstance(b, A.Node):
        if type(a) is not type(b):
            return False
        return all(same_tree(getattr(a, f), getattr(b, f))
                   for f in A.fields(a))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# ---------------------------------------------------------------- precedence


@pytest.mark.parametrize("text,tree", [
    ("a + b * c", ["+", "a", ["*", "b", "c"]]),
    ("a * b + c", ["+", ["*", "a", "b"], "c"]),
    ("a - b - c", ["-", ["-", "a", "b"], "c"]),
    ("a / b % c", ["%", ["/", "a", "b"], "c"]),
    ("a << b + c", ["<<", "a", ["+", "b", "c"]]),
    ("a < b << c", ["<", "a", ["<<", "b", "c"]]),
    ("a == b < c", ["==", "a", ["<", "b", "c"]]),
    ("a & b == c", ["&", "a", ["==", "b", "c"]]),
    ("a ^ b & c", ["^", "a", ["&", "b", "c"]]),
    ("a | b ^ c", ["|", "a", ["^", "b", "c"]]),
    ("a && b | c", ["&&", "a", ["|", "b", "c"]]),
    ("a ^^ b && c", ["^^", "a", ["&&", "b", "c"]]),
    ("a || b ^^ c", ["||", "a", ["^^", "b", "c"]]),
    ("a || b && c ^^ d", ["||", "a", ["^^", ["&&", "b", "c"], "d"]]),
    ("a ? b : c ? d : e", ["?:", "a", "b", ["?:", "c", "d", "e"]]),
    ("a || b ? c : d", ["?:", ["||", "a", "b"], "c", "d"]),
    ("a = b = c", ["=", "a", ["=", "b", "c"]]),
    ("a += b ? c : d", ["+=", "a", ["?:", "b", "c", "d"]]),
    ("a = 1, b = 2", [",", ["=", "a", 1], ["=", "b", 2]]),
    ("-a * b", ["*", ["-", "a"], "b"]),
    ("!a && ~b", ["&&", ["!", "a"], ["~", "b"]]),
    ("*p++", ["*", ["post++", "p"]]),
    ("++*p", ["++", ["*", "p"]]),
    ("&a->b[1].c", ["&", [".", ["[]", ["->", "a", "b"], 1], "c"]]),
    ("- -a", ["-", ["-", "a"]]),
    ("a->b->c", ["->", ["->", "a", "b"], "c"]),
    ("(a + b) * c", ["*", ["+", "a", "b"], "c"]),
    ("a >= b != c <= d", ["!=", [">=", "a", "b"], ["<=", "c", "d"]]),
    ("a >> 2 > b", [">", [">>", "a", 2], "b"]),
    ("a %= b <<= c", ["%=", "a", ["<<=", "b", "c"]]),
])
def test_precedence_and_associativity(text, tree):
    assert expr(text) == tree


@pytest.mark.parametrize("op", ["=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=",
                                ">>="])
def test_every_assignment_operator(op):
    assert expr(f"x {op} y + 1") == [op, "x", ["+", "y", 1]]


def test_primaries_and_postfix():
    assert expr("self->ts = timestamp") == ["=", "self->ts", "timestamp"]
    assert expr("this->x[1, 2]++") == ["post++", ["[]", "this->x", 1, 2]]
    assert expr("x = `nproc + genunix`maxusers") == ["=", "x", ["+", "`nproc",
                                                                "genunix`maxusers"]]
    assert expr('printf("%d\\n", \'a\')') == ["call", "printf", b"%d\n", 0x61]
    assert expr("printa(@foo)") == ["call", "printa", "@foo"]
    assert expr("exit()") == ["call", "exit"]
    assert expr("x = args[0]->b_flags") == ["=", "x", ["->", ["[]", "args", 0], "b_flags"]]


def test_cast_sizeof_offsetof_stringof_xlate():
    assert expr("x = (int)y") == ["=", "x", ["cast", "int", "y"]]
    assert expr("x = (unsigned long long *)y") == ["=", "x", ["cast", "unsigned long long *",
                                                              "y"]]
    assert expr("x = (struct foo *)arg0") == ["=", "x", ["cast", "struct foo *", "arg0"]]
    assert expr("x = (uint64_t)-1") == ["=", "x", ["cast", "uint64_t", ["-", 1]]]
    assert expr("x = (kthread_t *)curthread") == ["=", "x", ["cast", "kthread_t *",
                                                             "curthread"]]
    assert expr("x = (foo_t)y") == ["=", "x", ["cast", "foo_t", "y"]]  # "(name) operand"
    assert expr("x = (a) - b") == ["=", "x", ["-", "a", "b"]]  # unknown name: binary
    assert expr("x = (a) * b") == ["=", "x", ["*", "a", "b"]]
    assert expr("x = sizeof (int) * 2") == ["=", "x", ["*", ["sizeof", "int"], 2]]
    assert expr("x = sizeof y") == ["=", "x", ["sizeof", "y"]]
    assert expr("x = sizeof (y)") == ["=", "x", ["sizeof", "y"]]
    assert expr("x = offsetof(struct foo, bar)") == ["=", "x", ["offsetof", "struct foo",
                                                                "bar"]]
    assert expr("x = stringof arg0") == ["=", "x", ["stringof", "arg0"]]
    assert expr("x = xlate <psinfo_t *>(curthread)->pr_fname") == [
        "=", "x", ["->", ["xlate", "psinfo_t *", "curthread"], "pr_fname"]]


def test_cast_with_program_typedef():
    prog = parse_program("typedef struct foo foo_t;\nBEGIN { x = (foo_t *)0; }")
    stmt = prog.clauses[0].body[0]
    assert sx(stmt.expr) == ["=", "x", ["cast", "foo_t *", 0]]


# ---------------------------------------------------------------- clauses and statements


def test_clause_shapes():
    prog = parse_program("syscall::read:entry,\nsyscall::write:entry\n/pid == 1/\n{ trace(arg0) }")
    clause = prog.items[0]
    assert [(d.provider, d.module, d.function, d.name, d.line) for d in clause.descs] == [
        ("syscall", "", "read", "entry", 1), ("syscall", "", "write", "entry", 2)]
    assert sx(clause.predicate) == ["==", "pid", 1]
    assert [sx(s.expr) for s in clause.body] == [["call", "trace", "arg0"]]


def test_empty_body_and_probe_id():
    prog = parse_program("BEGIN {} 1234 { }")
    assert [c.body for c in prog.clauses] == [[], []]
    assert prog.clauses[1].descs[0].text == "1234"


def test_statements_and_semicolons():
    body = parse_program("BEGIN { ; a = 1;; b = 2 }").clauses[0].body
    assert [type(s).__name__ for s in body] == ["Empty", "ExprStmt", "Empty", "ExprStmt"]


def test_aggregation_statements():
    body = parse_program("BEGIN { @a[execname, pid] = count(); @ = sum(1); @b = 1; }"
                         ).clauses[0].body
    agg = body[0]
    assert (agg.name, [sx(k) for k in agg.keys], agg.func, agg.args) == (
        "a", ["execname", "pid"], "count", [])
    assert (body[1].name, body[1].keys, body[1].func, [sx(a) for a in body[1].args]) == (
        "_", [], "sum", [1])
    assert isinstance(body[2], A.ExprStmt)  # not a function: left to semantic checks


def test_if_else():
    body = parse_program("BEGIN { if (x) { a = 1; b = 2; } else if (y) c = 3; else { } }"
                         ).clauses[0].body
    stmt = body[0]
    assert isinstance(stmt, A.If) and sx(stmt.cond) == "x" and len(stmt.then) == 2
    inner = stmt.otherwise[0]
    assert isinstance(inner, A.If) and sx(inner.then[0].expr) == ["=", "c", 3]
    assert inner.otherwise == []


def test_dash_n_without_body_gets_default_action():
    prog = parse_program("syscall::read:entry", kind="n")
    assert prog.clauses[0].body is None and prog.clauses[0].predicate is None
    prog = parse_program("read /pid == 1/ { trace(1) }", kind="f")
    assert (prog.clauses[0].descs[0].function, prog.clauses[0].descs[0].name) == ("read", "")
    prog = parse_program("syscall", kind="P")
    assert prog.clauses[0].descs[0].provider == "syscall"
    assert parse_program("1234", kind="i").clauses[0].descs[0].text == "1234"


def test_macros_in_program():
    e = MacroEnv(args=["firefox", "10"], values={"pid": 5})
    prog = parse_program('pid$target::malloc:entry /execname == "$1" && arg0 > $2 &&'
                         " pid != $pid && $1 == $$1/ { }", macros=e)
    pred = sx(prog.clauses[0].predicate)
    # inside a string literal "$1" stays as written; $1 is an identifier, $$1 a string
    assert pred == ["&&", ["&&", ["&&", ["==", "execname", b"$1"], [">", "arg0", 10]],
                           ["!=", "pid", 5]], ["==", "firefox", b"firefox"]]


def test_pragmas_are_items_in_order():
    prog = parse_program("#pragma D option quiet\nBEGIN {}\n#pragma D option bufsize=4m\n"
                         "END {}\n")
    assert [type(i).__name__ for i in prog.items] == ["Pragma", "Clause", "Pragma", "Clause"]
    assert prog.items[2].words == ["D", "option", "bufsize=4m"] and prog.items[2].line == 3


# ---------------------------------------------------------------- declarations


def test_declarations():
    prog = parse_program(
        "int x, *y, z[4];\nself int ts;\nthis string s;\nextern int `nproc2;\n"
        "int a[int, string];\ntypedef unsigned long long ull_t;\nstatic ull_t q;")
    d = prog.items
    assert [dd.name for dd in d[0].declarators] == ["x", "y", "z"]
    assert isinstance(d[0].declarators[1].derived[0], A.Pointer)
    assert sx(d[0].declarators[2].derived[0].size) == 4
    assert (d[1].storage, d[1].spec.words) == (["self"], ("int",))
    assert (d[2].storage, d[2].spec.words) == (["this"], ("string",))
    assert d[4].declarators[0].derived[0].keys[1].spec.words == ("string",)
    assert d[5].spec.words == ("unsigned", "long", "long")
    assert (d[6].storage, d[6].spec.kind, d[6].spec.name) == (["static"], "typedef", "ull_t")


def test_declarator_derivations_outermost_first():
    prog = parse_program("int *a[3];\nint (*b)[3];\nint (*f)(int, char *);\nconst char *"
                         "const p;")
    kinds = [[type(x).__name__ for x in item.declarators[0].derived] for item in prog.items]
    assert kinds == [["Array", "Pointer"], ["Pointer", "Array"], ["Pointer", "Function"],
                     ["Pointer"]]
    assert prog.items[3].spec.qualifiers == ("const",)
    assert prog.items[3].declarators[0].derived[0].qualifiers == ("const",)
    params = prog.items[2].declarators[0].derived[1].params
    assert [format_type(p.type) for p in params] == ["int", "char *"]


def test_struct_union_enum():
    prog = parse_program("struct s { int a : 3; int : 2; char *b, c[2]; };\n"
                         "union u { int i; long l; } uv;\nenum e { A, B = 5, C };")
    members = prog.items[0].spec.members
    assert [(m.name, m.bits is not None) for m in members] == [
        ("a", True), (None, True), ("b", False), ("c", False)]
    assert prog.items[1].spec.kind == "union" and prog.items[1].declarators[0].name == "uv"
    enums = prog.items[2].spec.enumerators
    assert [(e.name, e.value and e.value.value) for e in enums] == [("A", None), ("B", 5),
                                                                    ("C", None)]


def test_inline_translator_provider():
    prog = parse_program(
        "inline int TEN = 10;\n"
        "inline fileinfo_t fds[int fd] = xlate <fileinfo_t> (fd);\n"
        "translator info_t < struct task_struct *T > { pid = T->pid; name = T->comm; };\n"
        "provider myapp { probe start(int, char *); probe done(int x) : (long x); };")
    ten, fds, xl, prov = prog.items
    assert (ten.name, ten.params, sx(ten.value)) == ("TEN", None, 10)
    assert (fds.name, [(format_type(p.type), p.name) for p in fds.params]) == (
        "fds", [("int", "fd")])
    assert fds.type.derived == []
    assert (format_type(xl.out_type), format_type(xl.in_type), xl.in_name) == (
        "info_t", "struct task_struct *", "T")
    assert [(m.name, sx(m.value)) for m in xl.members] == [
        ("pid", ["->", "T", "pid"]), ("name", ["->", "T", "comm"])]
    assert [(p.name, len(p.args), p.xargs and len(p.xargs)) for p in prov.probes] == [
        ("start", 2, None), ("done", 1, 1)]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("text,tag,message,line", [
    ("BEGIN { x = ; }", "D_SYNTAX", 'syntax error near ";"', 1),
    ("BEGIN {\n x = 1 +\n}", "D_SYNTAX", 'syntax error near "}"', 3),
    ("BEGIN {\n x = 1", "D_SYNTAX", "syntax error near end of input", 2),
    ("BEGIN\n", "D_SYNTAX", "expected predicate and/or actions following probe description", 1),
    ("BEGIN\n/x/\n", "D_SYNTAX", "expected actions { } following probe description and "
     "predicate", 2),
    ("BEGIN { for (;;) {} }", "D_SYNTAX", 'syntax error near "for"', 1),
    ("BEGIN { while (1) x++; }", "D_SYNTAX", 'syntax error near "while"', 1),
    ("BEGIN { break; }", "D_SYNTAX", 'syntax error near "break"', 1),
    ("BEGIN { return 1; }", "D_SYNTAX", 'syntax error near "return"', 1),
    ("BEGIN { int x; }", "D_SYNTAX", 'syntax error near "int"', 1),
    ("BEGIN { x = 1; // c\n }", "D_SYNTAX", 'syntax error near "/"', 1),
    ("BEGIN { a + b = 1; }", "D_SYNTAX", 'syntax error near "="', 1),
    ('BEGIN { x = "abc" "def"; }', "D_SYNTAX", 'syntax error near ""def""', 1),
    ("", "D_EMPTY", "empty D program translation unit", 1),
    ("\n#pragma D option quiet\n", "D_EMPTY", "empty D program translation unit", 3),
    ("/* x */\n\n", "D_EMPTY", "empty D program translation unit", 3),
    ("BEGIN { x = 1.0; }", "D_SYNTAX", "floating-point constants are not permitted", 1),
    ("BEGIN { (a + 1)(2); }", "D_FUNC_IDENT", "function designator is not of function type", 1),
    ("BEGIN {}\n}", "D_SYNTAX", 'syntax error near "}"', 2),
    ("int x", "D_SYNTAX", "syntax error near end of input", 1),
])
def test_syntax_errors(text, tag, message, line):
    err = parse_error(text)
    assert (err.tag, err.message, err.line) == (tag, message, line)


def test_empty_allowed_when_asked():
    assert parse_program("#pragma D option quiet\n", allow_empty=True).items[0].words[0] == "D"


# ---------------------------------------------------------------- round trips

ROUND_TRIP = [
    "BEGIN { trace(1); }",
    "BEGIN {}",
    "syscall::read:entry, syscall::write:entry /pid == 1/ { @[probefunc] = count(); }",
    "profile-997 /arg0/ { @k[stack()] = count(); }",
    "tick-1s { printa(\"%s %@d\\n\", @a); trunc(@a, 10); clear(@b); }",
    "fbt::vfs_*:entry { self->t = timestamp; }",
    "fbt::vfs_*:return /self->t/ { @d = quantize(timestamp - self->t); self->t = 0; }",
    "BEGIN { x = a + b * c - d / e % f; }",
    "BEGIN { x = (a + b) * (c - d); }",
    "BEGIN { x = a << 1 >> 2 < 3 <= 4 > 5 >= 6 == 7 != 8; }",
    "BEGIN { x = a & b ^ c | d && e ^^ f || g; }",
    "BEGIN { x = (a || b) && c; }",
    "BEGIN { x = a ? b : c ? d : e; }",
    "BEGIN { x = (a ? b : c) ? d : e; }",
    "BEGIN { x = y = z += 1; a -= 1; b *= 2; c /= 3; d %= 4; }",
    "BEGIN { e &= 1; f |= 2; g ^= 3; h <<= 4; i >>= 5; }",
    "BEGIN { x = -a + +b - -c + ~d + !e; }",
    "BEGIN { x = *p + &q - *&r; y = & &z; }",
    "BEGIN { x++; ++x; y--; --y; z = x++ + ++y; }",
    "BEGIN { x = a->b.c[1][2]; }",
    "BEGIN { self->x = this->y; this->z = self->w[1, \"a\"]; }",
    "BEGIN { x = `nproc + vmlinux`jiffies; }",
    "BEGIN { x = (int)y; z = (unsigned long long *)p; w = (struct foo *)0; }",
    "BEGIN { x = (int (*)[3])p; y = (char **)q; }",
    "BEGIN { x = sizeof (int) + sizeof y + sizeof ((int)z); }",
    "BEGIN { x = offsetof(struct foo, bar); y = stringof arg0; }",
    "BEGIN { x = xlate <psinfo_t *>(curthread)->pr_pid; }",
    "BEGIN { printf(\"%s\\t%d\\001\\\\\\\"\\n\", execname, 'a'); }",
    "BEGIN { x = 'ab'; y = '\\0'; z = '\\''; }",
    "BEGIN { x = 0x1fUL + 017 + 10u + 3LL; }",
    "BEGIN { x = a, b, c; }",
    "BEGIN { f((a, b), c); }",
    "BEGIN { ; ; x = 1; ; }",
    "BEGIN { if (a) { x = 1; } else { x = 2; } }",
    "BEGIN { if (a) if (b) x = 1; else x = 2; }",
    "BEGIN { @ = count(); @a[1, 2] = sum(x); @b = lquantize(x, 0, 10, 1); }",
    "1234 { exit(0); }",
    "BEGIN, END, ERROR { trace(probename); }",
    "BEGIN /x/ {}\nEND /y / 2/ {}",
    "int x, *y, z[4]; self int ts; this string s;",
    "int a[int, string]; extern int `foo;",
    "typedef unsigned long long ull_t; ull_t q; BEGIN { x = (ull_t)1; }",
    "typedef struct foo { int a : 3; int : 2; char *b[4]; } foo_t;",
    "union u { int i; long l; } uv; enum e { A, B = 5 + 1, C };",
    "int (*fp)(int, char *, ...); const char *const cp; volatile int *vp[2];",
    "inline int TEN = 10; inline string S = \"s\";",
    "inline fileinfo_t fds[int fd] = xlate <fileinfo_t>(fd);",
    "translator t_t < struct task_struct *T > { pid = T->pid; comm = stringof(T->comm); };",
    "provider app { probe start(int, char *); probe done(int x) : (long x); };",
    "#pragma D option quiet\nBEGIN { exit(0); }\n",
    "#pragma D depends_on provider syscall\n#pragma D attributes Evolving/Evolving/ISA syscall\n"
    "BEGIN {}",
    "sched:::on-cpu /execname == \"x\" && cpu != 0/ { @[cpu] = count(); }",
    "pid123::malloc:entry, pid123:libc.so.6:free:return { @[ustack()] = count(); }",
    "BEGIN { x = a / *p; y = a - -1; z = a & &b; }",
    "BEGIN { x = ((a)); y = (a + b) = c; }",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    first = parse_program(text)
    printed = format_program(first)
    second = parse_program(printed)
    assert same_tree(first, second), printed
    assert format_program(second) == printed


def test_round_trip_corpus_is_large():
    assert len(ROUND_TRIP) >= 40


def test_same_tree_detects_differences():
    a = parse_program("BEGIN { x = a + b; }")
    b = parse_program("BEGIN {\n x = a - b; }")
    c = parse_program("BEGIN {\n\n x = a + b; }")
    assert not same_tree(a, b) and same_tree(a, c)


def test_printer_parenthesises_by_precedence():
    body = parse_program("BEGIN { x = (a + b) * c - (d - e); }").clauses[0].body
    assert format_expr(body[0].expr) == "x = (a + b) * c - (d - e)"


# ---------------------------------------------------------------- fuzz

FUZZ_TOKENS = [
    "BEGIN", "syscall::read:entry", "tick-1s", "1234", "/", "{", "}", "(", ")", "[", "]",
    ";", ",", "x", "self->y", "this->z", "@a", "@", "count()", "=", "+", "-", "*", "&",
    "?", ":", "<", ">", "<<", "^^", "++", "--", "->", ".", "'a'", "''", '"s"', '"', "'",
    "0x1f", "09", "1.5", "$1", "$$2", "$pid", "$nope", "int", "struct", "enum", "union",
    "typedef", "inline", "translator", "provider", "probe", "xlate", "sizeof", "offsetof",
    "stringof", "if", "else", "for", "self", "this", "\n", "#pragma D option quiet\n",
    "# 5 \"f\"\n", "#define\n", "/*", "*/", "`sym", "...", "%", "!", "~", "string",
    "unsigned", "long", "\\", "$", "#", "\x00", "é",
]


def test_fuzz_only_compile_errors_escape():
    rng = random.Random(1234)
    macros = MacroEnv(args=["1", "a"])
    outcomes = {"ok": 0, "error": 0}
    for _ in range(3000):
        soup = " ".join(rng.choice(FUZZ_TOKENS) for _ in range(rng.randint(1, 25)))
        for kind in ("s", "n"):
            try:
                parse_program(soup, macros=macros, kind=kind)
                outcomes["ok"] += 1
            except DCompileError as e:
                assert e.tag.startswith("D_") and e.message
                outcomes["error"] += 1
    assert outcomes["error"] > 1000


def test_fuzz_deep_nesting():
    err = parse_error("BEGIN { x = " + "(" * 5000 + "1" + ")" * 5000 + "; }")
    assert err.tag == "D_SYNTAX"


def test_fuzz_valid_programs_survive_printing():
    rng = random.Random(99)
    atoms = ["a", "b", "1", "self->x", "@c", "f(a)", "a[1]", "p->m", "'c'", '"s"']
    ops = ["+", "-", "*", "/", "%", "<<", ">>", "<", "==", "&", "^", "|", "&&", "^^", "||"]
    for _ in range(300):
        e = rng.choice(atoms)
        for _ in range(rng.randint(1, 6)):
            e = rng.choice([f"{e} {rng.choice(ops)} {rng.choice(atoms)}", f"({e})", f"-{e}",
                            f"{rng.choice(atoms)} ? {e} : b"])
        text = f"BEGIN /{e}/ {{ x = {e}; }}"
        first = parse_program(text)
        assert same_tree(first, parse_program(format_program(first))), text
