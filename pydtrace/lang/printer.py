"""Print a D syntax tree back as D source.

The output re-parses to the same tree (tests check parse(print(parse(x)))):
parentheses are added from operator precedence, blanks where two operators
would otherwise fuse into another token.
"""

from __future__ import annotations

from pydtrace.lang import ast as A
from pydtrace.lang.parser import BINARY_PRECEDENCE

# Binding strength of each expression form (higher binds tighter).
_COMMA, _ASSIGN, _COND = 0, 1, 2
_CAST, _UNARY, _POSTFIX, _PRIMARY = 14, 15, 16, 17
_ESCAPES = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v",
            92: "\\\\"}


def format_program(program: A.Program) -> str:
    """D source for ``program``."""
    return "".join(_format_item(item) for item in program.items)


def _format_item(item: A.TopLevel) -> str:
    if isinstance(item, A.Pragma):
        return "#pragma " + " ".join(_format_pragma_word(w) for w in item.words) + "\n"
    if isinstance(item, A.Clause):
        return _format_clause(item)
    if isinstance(item, A.Declaration):
        return format_declaration(item) + "\n"
    if isinstance(item, A.InlineDecl):
        return _format_inline(item)
    if isinstance(item, A.TranslatorDecl):
        return _format_translator(item)
    return _format_provider(item)


def _format_pragma_word(word: str) -> str:
    if word and not any(c in word for c in ' \t"\\'):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- clauses and statements


def _format_clause(clause: A.Clause) -> str:
    out = ",\n".join(format_probe_desc(d) for d in clause.descs) + "\n"
    if clause.predicate is not None:
        out += "/ " + format_expr(clause.predicate) + " /\n"
    if clause.body is not None:
        out += "{\n" + _format_block(clause.body, 1) + "}\n"
    return out + "\n"


def format_probe_desc(desc: A.ProbeDesc) -> str:
    """The description as written when it spells its own fields, else the fields."""
    fields = [desc.provider, desc.module, desc.function, desc.name]
    if not any(fields) and desc.text.isdigit():
        return desc.text
    parts = desc.text.split(":")
    if len(parts) <= 4 and ["", "", "", ""][len(parts):] + parts == fields:
        return desc.text
    while len(fields) > 1 and not fields[0]:
        fields.pop(0)
    return ":".join(fields)


def _format_block(stmts: list[A.Stmt], depth: int) -> str:
    return "".join(_format_stmt(s, depth) for s in stmts)


def _format_stmt(stmt: A.Stmt, depth: int) -> str:
    pad = "\t" * depth
    if isinstance(stmt, A.Empty):
        return pad + ";\n"
    if isinstance(stmt, A.ExprStmt):
        return pad + format_expr(stmt.expr) + ";\n"
    if isinstance(stmt, A.AggStmt):
        keys = "[" + _format_args(stmt.keys) + "]" if stmt.keys else ""
        return f"{pad}@{stmt.name}{keys} = {stmt.func}({_format_args(stmt.args)});\n"
    out = f"{pad}if ({format_expr(stmt.cond)}) {{\n" + _format_block(stmt.then, depth + 1)
    if stmt.otherwise is not None:
        out += f"{pad}}} else {{\n" + _format_block(stmt.otherwise, depth + 1)
    return out + pad + "}\n"


# ---------------------------------------------------------------- expressions


def format_expr(node: A.Expr, need: int = _COMMA) -> str:
    """``node`` as D, parenthesised when it binds looser than ``need``."""
    text, strength = _expr(node)
    return f"({text})" if strength < need else text


def _format_args(args: list[A.Expr]) -> str:
    return ", ".join(format_expr(a, _ASSIGN) for a in args)


def _expr(node: A.Expr) -> tuple[str, int]:
    """(text, binding strength) of one expression node."""
    formatter = _FORMATTERS.get(type(node))
    if formatter is None:
        raise TypeError(f"not an expression node: {node!r}")
    return formatter(node)


def _int(node: A.IntLit) -> tuple[str, int]:
    text = node.text or str(node.value)
    return text, (_UNARY if text.startswith(("-", "+")) else _PRIMARY)


def _str(node: A.StrLit) -> tuple[str, int]:
    return '"' + _escape(node.value, '"') + '"', _PRIMARY


def _char(node: A.CharLit) -> tuple[str, int]:
    value = node.value & ((1 << 64) - 1)
    data = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return "'" + _escape(data, "'") + "'", _PRIMARY


def _escape(data: bytes, quote: str) -> str:
    out = []
    for b in data:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif b == ord(quote):  # dtrace reads \' as two characters: octal for '
            out.append("\\" + quote if quote == '"' else f"\\{b:03o}")
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def _unary(node: A.Unary) -> tuple[str, int]:
    need = _UNARY if node.op in ("++", "--") else _CAST
    operand = format_expr(node.operand, need)
    # keep "- -x" and "& &x" from fusing into "--x" / "&&x"
    sep = " " if operand[:1] and operand[0] == node.op[-1] and node.op[-1] in "+-&" else ""
    return node.op + sep + operand, _UNARY


def _binary(node: A.Binary) -> tuple[str, int]:
    prec = BINARY_PRECEDENCE[node.op] + _COND
    left = format_expr(node.left, prec)
    right = format_expr(node.right, prec + 1)
    return f"{left} {node.op} {right}", prec


def _assign(node: A.Assign) -> tuple[str, int]:
    target = format_expr(node.target, _UNARY)
    return f"{target} {node.op} {format_expr(node.value, _ASSIGN)}", _ASSIGN


def _conditional(node: A.Conditional) -> tuple[str, int]:
    cond = format_expr(node.cond, _COND + 1)
    then = format_expr(node.then, _COMMA)
    return f"{cond} ? {then} : {format_expr(node.otherwise, _COND)}", _COND


def _comma(node: A.Comma) -> tuple[str, int]:
    return f"{format_expr(node.left, _COMMA)}, {format_expr(node.right, _ASSIGN)}", _COMMA


def _cast(node: A.Cast) -> tuple[str, int]:
    return f"({format_type(node.type)}){format_expr(node.operand, _CAST)}", _CAST


def _postfix(node: A.Postfix) -> tuple[str, int]:
    return format_expr(node.operand, _POSTFIX) + node.op, _POSTFIX


def _call(node: A.Call) -> tuple[str, int]:
    return f"{node.name}({_format_args(node.args)})", _POSTFIX


def _index(node: A.Index) -> tuple[str, int]:
    return f"{format_expr(node.base, _POSTFIX)}[{_format_args(node.keys)}]", _POSTFIX


def _member(node: A.MemberRef) -> tuple[str, int]:
    return format_expr(node.base, _POSTFIX) + ("->" if node.arrow else ".") + node.name, _POSTFIX


def _sizeof(node: A.Sizeof) -> tuple[str, int]:
    if isinstance(node.operand, A.TypeName):
        return f"sizeof ({format_type(node.operand)})", _UNARY
    return "sizeof " + _operand_of_keyword(node.operand), _UNARY


def _stringof(node: A.Stringof) -> tuple[str, int]:
    return "stringof " + _operand_of_keyword(node.operand), _UNARY


def _operand_of_keyword(operand: A.Expr) -> str:
    """``sizeof x`` / ``sizeof (a + b)``: parens only where precedence needs them."""
    return format_expr(operand, _UNARY)


def _offsetof(node: A.Offsetof) -> tuple[str, int]:
    return f"offsetof({format_type(node.type)}, {node.member})", _POSTFIX


def _xlate(node: A.Xlate) -> tuple[str, int]:
    return f"xlate <{format_type(node.type)}> ({format_expr(node.operand)})", _POSTFIX


def _extern(node: A.ExternIdent) -> tuple[str, int]:
    return f"{node.module or ''}`{node.name}", _PRIMARY


_FORMATTERS = {
    A.IntLit: _int, A.CharLit: _char, A.StrLit: _str,
    A.Ident: lambda n: (n.name, _PRIMARY),
    A.ExternIdent: _extern,
    A.SelfVar: lambda n: ("self->" + n.name, _PRIMARY),
    A.ThisVar: lambda n: ("this->" + n.name, _PRIMARY),
    A.AggRef: lambda n: ("@" + n.name, _PRIMARY),
    A.Unary: _unary, A.Postfix: _postfix, A.Binary: _binary, A.Assign: _assign,
    A.Conditional: _conditional, A.Comma: _comma, A.Cast: _cast, A.Call: _call,
    A.Index: _index, A.MemberRef: _member, A.Sizeof: _sizeof, A.Offsetof: _offsetof,
    A.Stringof: _stringof, A.Xlate: _xlate,
}


# ---------------------------------------------------------------- types and declarations


def format_type(type_name: A.TypeName, name: str = "") -> str:
    """C spelling of a type, optionally declaring ``name`` (``int (*p)[3]``)."""
    spec = format_spec(type_name.spec)
    decl = format_declarator(type_name.derived, name)
    return f"{spec} {decl}" if decl else spec


def format_spec(spec: A.TypeSpec) -> str:
    words = list(spec.qualifiers)
    if spec.kind == "builtin":
        words.extend(spec.words)
    elif spec.kind == "typedef":
        words.append(spec.name or "")
    else:
        words.append(_format_tagged(spec))
    return " ".join(words)


def _format_tagged(spec: A.TypeSpec) -> str:
    head = spec.kind + (" " + spec.name if spec.name else "")
    if spec.members is not None:
        body = "".join(_format_member(m) + " " for m in spec.members)
        return f"{head} {{ {body}}}"
    if spec.enumerators is not None:
        items = ", ".join(_format_enumerator(e) for e in spec.enumerators)
        return f"{head} {{ {items} }}"
    return head


def _format_enumerator(e: A.Enumerator) -> str:
    return e.name if e.value is None else f"{e.name} = {format_expr(e.value, _COND)}"


def _format_member(member: A.Member) -> str:
    text = format_type(member.type, member.name or "")
    if member.bits is not None:
        text += " : " + format_expr(member.bits, _COND)
    return text + ";"


def format_declarator(derived: list[A.Derived], name: str = "") -> str:
    """Wrap ``name`` in the derivations, outermost (derived[0]) nearest the name."""
    text, last_pointer = name, False
    for d in derived:
        if isinstance(d, A.Pointer):
            quals = "".join(" " + q for q in d.qualifiers)
            text = "*" + quals + (" " if quals and text else "") + text
            last_pointer = True
            continue
        if last_pointer:
            text = f"({text})"
        text += _format_array(d) if isinstance(d, A.Array) else _format_function(d)
        last_pointer = False
    return text


def _format_array(array: A.Array) -> str:
    if array.keys is not None:
        return "[" + ", ".join(format_type(k) for k in array.keys) + "]"
    return "[" + (format_expr(array.size, _COND) if array.size is not None else "") + "]"


def _format_function(func: A.Function) -> str:
    params = [_format_param(p) for p in func.params]
    if func.varargs:
        params.append("...")
    return "(" + ", ".join(params) + ")"


def _format_param(param: A.Param) -> str:
    return format_type(param.type, param.name or "")


def format_declaration(decl: A.Declaration) -> str:
    head = " ".join([*decl.storage, format_spec(decl.spec)])
    decls = ", ".join(_format_declarator_node(d) for d in decl.declarators)
    return f"{head} {decls};" if decls else f"{head};"


def _format_declarator_node(d: A.Declarator) -> str:
    text = format_declarator(d.derived, d.name or "")
    return text + (" : " + format_expr(d.bits, _COND) if d.bits is not None else "")


def _format_inline(item: A.InlineDecl) -> str:
    name = item.name
    if item.params is not None:
        name += "[" + ", ".join(_format_param(p) for p in item.params) + "]"
    return f"inline {format_type(item.type, name)} = {format_expr(item.value, _ASSIGN)};\n"


def _format_translator(item: A.TranslatorDecl) -> str:
    members = "".join(f"\t{m.name} = {format_expr(m.value, _ASSIGN)};\n" for m in item.members)
    return (f"translator {format_type(item.out_type)} < {format_type(item.in_type)} "
            f"{item.in_name} > {{\n{members}}};\n")


def _format_provider(item: A.ProviderDecl) -> str:
    probes = ""
    for p in item.probes:
        args = ", ".join(_format_param(a) for a in p.args)
        xargs = "" if p.xargs is None else " : (" + ", ".join(
            _format_param(a) for a in p.xargs) + ")"
        probes += f"\tprobe {p.name}({args}){xargs};\n"
    return f"provider {item.name} {{\n{probes}}};\n"
