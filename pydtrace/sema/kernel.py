"""Semantic analysis of kernel types: BTF-typed memory, ``curthread``, `` `sym ``,
translators and inlines, typed ``args[]``, stack built-ins.

Kernel memory is read through pointers: ``p->m``, ``s.m`` on a kernel lvalue,
``p[i]``, ``*p``. Inlines, translated members and typed arguments are
*rewritten*: ``an.rewrites[node]`` is the expression the code generator
compiles instead (fresh nodes, checked here).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

# identifiers that only exist through the D library (dlib/*.d) or kernel types
DLIB_IDENTS = {
    "curpsinfo": "procfs", "curlwpsinfo": "procfs", "curcpu": "sched", "fds": "io",
}
DLIB_TYPES = {
    "psinfo_t": "procfs", "lwpsinfo_t": "procfs", "cpuinfo_t": "sched",
    "bufinfo_t": "io", "devinfo_t": "io", "fileinfo_t": "io",
}


DLIB_PATTERNS = (
    (re.compile(r"E[A-Z0-9]+"), "errno"),
    (re.compile(r"SIG[A-Z0-9]+"), "signal"),
    (re.compile(r"CLD_[A-Z]+"), "signal"),
    (re.compile(r"B_[A-Z]+"), "io"),
    (re.compile(r"R_[A-Z0-9_]+"), "regs"),
    (re.compile(r"DTRACEFLT_[A-Z]+"), "faults"),
)


def dlib_for(name: str) -> str | None:
    """The D library that may define identifier ``name`` (None: none does)."""
    lib = DLIB_IDENTS.get(name)
    if lib is None:
        lib = next((lib for pat, lib in DLIB_PATTERNS if pat.fullmatch(name)), None)
    return lib


def err(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


def rewrites(ck: Checker) -> dict:
    return ck.an.rewrites


# ---------------------------------------------------------------- kernel type finder


def kernel_tag(kind: str, name: str) -> T.DType | None:
    """``struct``/``union``/``enum`` NAME from kernel BTF (None if absent)."""
    from pydtrace.btf import reader as R

    kinds = {"struct": (R.STRUCT,), "union": (R.UNION,), "enum": (R.ENUM, R.ENUM64)}[kind]
    try:
        return R.find_type(name, kinds)
    except (OSError, ValueError):
        return None


def kernel_typedef(name: str) -> T.DType | None:
    from pydtrace.btf import reader as R

    try:
        return R.find_type(name, (R.TYPEDEF,))
    except (OSError, ValueError):
        return None


def lookup_typedef(ck: Checker, name: str) -> T.DType | None:
    """D-declared typedefs first, then the D library, then kernel BTF."""
    syms = ck.an.symbols
    if name in syms.typedefs:
        return syms.typedefs[name]
    lib = DLIB_TYPES.get(name)
    if lib is not None:
        load_dlib(ck, lib)
        if name in syms.typedefs:
            return syms.typedefs[name]
    t = kernel_typedef(name)
    if t is not None:
        syms.typedefs[name] = t
    return t


_TYPE_RE = re.compile(r"^(?P<base>.*?)\s*(?P<stars>[\s*]*)(?P<arr>(\[\d*\])*)$")


def type_from_string(ck: Checker, text: str) -> T.DType:
    """A C type name as providers write them (``const char *``, ``struct file *``)."""
    return resolve_typename(ck, typename_from_string(text))


def typename_from_string(text: str) -> A.TypeName:
    words = [w for w in text.replace("*", " * ").split()
             if w not in ("const", "volatile", "restrict", "__user", "userland")]
    stars = 0
    while words and words[-1] == "*":
        stars += 1
        words.pop()
    arrays = []
    while words and re.fullmatch(r"\[\d*\]", words[-1]):
        arrays.append(words.pop())
    if words and words[0] in ("struct", "union", "enum") and len(words) >= 2:
        spec = A.TypeSpec(kind=words[0], name=words[1])
    elif words and T.builtin_from_words(tuple(words)) is not None:
        spec = A.TypeSpec(kind="builtin", words=tuple(words))
    elif len(words) == 1:
        spec = A.TypeSpec(kind="typedef", name=words[0])
    else:
        spec = A.TypeSpec(kind="builtin", words=("long",))
    derived: list = [A.Pointer() for _ in range(stars)]
    for a in arrays:
        n = a[1:-1]
        derived.insert(0, A.Array(size=A.IntLit(int(n), n) if n else None))
    return A.TypeName(spec=spec, derived=derived)


def resolve_typename(ck: Checker, tn: A.TypeName) -> T.DType:
    from pydtrace.sema.decls import resolve_type_name

    return resolve_type_name(ck, tn)


# ---------------------------------------------------------------- the D library


def load_dlib(ck: Checker, name: str) -> None:
    """Parses and checks ``dlib/NAME.d`` once per compilation."""
    loaded = ck.an.dlibs
    if name in loaded:
        return
    loaded.add(name)
    from pydtrace.sema.libs import bundled_enabled

    if not bundled_enabled(ck):  # -x nolibs, or another syslibdir (sema.libs)
        return
    from importlib import resources

    from pydtrace.lang.parser import parse_program

    text = resources.files("pydtrace.dlib").joinpath(f"{name}.d").read_text()
    for dep in re.findall(r"#pragma D depends_on library (\w+)\.d", text):
        load_dlib(ck, dep)
    names = set(ck.an.symbols.typedefs)
    try:
        program = parse_program(text, kind="s", type_names=names, allow_empty=True)
    except DCompileError as exc:
        raise DCompileError(exc.tag, f"D library {name}.d: {exc.message}") from exc
    declare_library(ck, program)


def declare_library(ck: Checker, program: A.Program) -> None:
    """A D library's declarations, inlines and translators (its clauses are ignored)."""
    ck.in_dlib = getattr(ck, "in_dlib", 0) + 1  # type: ignore[attr-defined]
    try:
        for item in program.items:
            if isinstance(item, A.Declaration):
                ck.check_declaration(item)
            elif isinstance(item, A.InlineDecl | A.TranslatorDecl):
                declare_item(ck, item)
    finally:
        ck.in_dlib -= 1  # type: ignore[attr-defined]


def declare_item(ck: Checker, item: A.InlineDecl | A.TranslatorDecl) -> None:
    if isinstance(item, A.InlineDecl):
        t = resolve_typename(ck, item.type)
        from pydtrace.sema.undef import check_inline_args

        check_inline_args(item)
        from pydtrace.sema.inlinedefs import check_inline_definition

        check_inline_definition(ck, item, t)
        if item.name in ck.an.inlines:
            raise err("D_DECL_IDRED", f"identifier redeclared: {item.name}", item)
        ck.an.inlines[item.name] = (t, item)
        return
    out = resolve_typename(ck, item.out_type)
    key = xlator_key(out)
    if key in ck.an.translators and all(
            describe(x.in_type) != describe(item.in_type) for x in xlators_for(ck, key)):
        from pydtrace.sema.xlators import check_translator

        check_translator(ck, item, out)
        ck.an.__dict__.setdefault("xlator_alts", {}).setdefault(key, []).append(item)
        return
    if key in ck.an.translators:
        raise err("D_XLATE_REDECL", f"translator from {describe(item.in_type)} to {out} "
                  "has already been declared", item)
    r = out.resolve()
    if not isinstance(r, T.StructType):
        raise err("D_XLATE_SOU", "translator output type must be a struct or union", item)
    from pydtrace.sema.xlators import check_translator

    check_translator(ck, item, out)
    ck.an.translators[key] = item


def xlators_for(ck: Checker, key: str) -> list:
    """Every translator to output ``key`` (one per input type)."""
    first = ck.an.translators.get(key)
    alts = ck.an.__dict__.get("xlator_alts", {}).get(key, [])
    return ([first] if first is not None else []) + alts


def pick_xlator(ck: Checker, key: str, operand: T.DType):
    """The translator to ``key`` whose input type is the operand's type."""
    items = xlators_for(ck, key)
    if len(items) > 1:
        want = xlator_key(operand)
        for item in items:
            if xlator_key(resolve_typename(ck, item.in_type)) == want:
                return item
    return items[0] if items else None


def describe(tn: A.TypeName) -> str:
    s = tn.spec
    base = " ".join(s.words) if s.kind == "builtin" else \
        (s.name or "") if s.kind == "typedef" else f"{s.kind} {s.name}"
    return base + " *" * sum(isinstance(d, A.Pointer) for d in tn.derived)


def xlator_key(t: T.DType) -> str:
    r = t.resolve()
    if isinstance(r, T.PointerType):
        r = r.target.resolve()
    return str(r)


# ---------------------------------------------------------------- identifiers


def check_ident(ck: Checker, n: A.Ident) -> T.DType | None:
    """Kernel and library identifiers; None if ``n`` is none of them."""
    name = n.name
    if name in ck.an.inlines:
        return use_inline(ck, n)
    lib = dlib_for(name)
    if lib is not None:
        load_dlib(ck, lib)
        if name in ck.an.inlines:
            return use_inline(ck, n)
    if name in ("cwd", "root") and kernel_tag("struct", "fs_struct") is not None:
        member = "pwd" if name == "cwd" else "root"
        value = spec_expr(0, f"string = d_path(&curthread->fs->{member})", n.line)
        rewrites(ck)[n] = value
        ck.expr(value)
        return ck.string
    if name == "curthread":
        t = kernel_tag("struct", "task_struct")
        if t is None:
            raise err("D_IDENT_UNDEF", "curthread needs kernel BTF (struct task_struct)", n)
        ck.an.uses.add(name)
        return T.PointerType(t)
    if name in ("stackdepth",):
        ck.an.uses.add(name)
        return T.UINT32
    if name == "caller":
        ck.an.uses.add(name)
        return T.UINTPTR
    return None


def index_inline(ck: Checker, n: A.Index) -> T.DType | None:
    """``name[args]`` for a parameterised inline (``fds[fd]``, io.d); None if
    ``n`` is not one."""
    if not isinstance(n.base, A.Ident):
        return None
    name = n.base.name
    syms = ck.an.symbols
    if name in syms.globals or ("global", name) in syms.dynvars:
        return None
    if name not in ck.an.inlines:
        lib = dlib_for(name)
        if lib is None:
            return None
        load_dlib(ck, lib)
    found = ck.an.inlines.get(name)
    if found is None or not found[1].params:
        return None
    t, decl = found
    if len(n.keys) != len(decl.params):
        raise err("D_PROTO_LEN", f"{name}[ ] prototype mismatch: {len(n.keys)} args passed, "
                  f"{len(decl.params)} expected", n)
    value = decl.value
    for param, key in zip(decl.params, n.keys, strict=True):
        value = substitute(value, param.name or "", key)
    ck.expr(value)
    rewrites(ck)[n] = value
    return t


def use_inline(ck: Checker, n: A.Ident) -> T.DType:
    t, decl = ck.an.inlines[n.name]
    value = copy.deepcopy(decl.value)
    vt = ck.expr(value)
    rewrites(ck)[n] = value
    c = ck.const(value)
    if c is not None:
        ck.an.consts[n] = c
    if isinstance(value, A.Xlate) or t.resolve().is_string:
        return t
    if not (vt.resolve().is_scalar == t.resolve().is_scalar or vt.resolve().is_string):
        raise err("D_OP_INCOMPAT", f"inline {n.name} definition uses incompatible types", n)
    return t


# ---------------------------------------------------------------- member access


def follow(ck: Checker, node: A.Expr) -> A.Expr:
    seen = 0
    while node in rewrites(ck) and seen < 32:
        node = rewrites(ck)[node]
        seen += 1
    return node


def member_ref(ck: Checker, n: A.MemberRef) -> T.DType:
    bt = ck.expr(n.base)
    base = follow(ck, n.base)
    if isinstance(base, A.Xlate):
        return xlate_member(ck, n, base)
    r = bt.resolve()
    op = "->" if n.arrow else "."
    if n.arrow:
        if not isinstance(r, T.PointerType):
            raise err("D_OP_PTR", "operator -> must be applied to a pointer", n)
        sou = r.target.resolve()
    else:
        sou = r
    if not isinstance(sou, T.StructType):
        if n.arrow:
            raise err("D_OP_SOU", "operator -> cannot be applied to pointer to type "
                      f'"{r.target}"; must be applied to a struct or union pointer', n)
        raise err("D_OP_SOU", f'operator . cannot be applied to type "{bt}"; must be '
                  "applied to a struct or union", n)
    if not sou.complete:
        raise err("D_OP_INCOMPLETE", f"operator {op} cannot be applied to a forward "
                  f"declaration: no {sou} definition is available", n)
    from pydtrace.btf.reader import find_member

    found = find_member(sou, n.name)
    if found is None:
        raise err("D_TYPE_MEMBER", f"{n.name} is not a member of {sou}", n)
    ck.an.members[n] = found
    return found[1].type


def kernel_lvalue(ck: Checker, node: A.Expr) -> bool:
    """Is the (checked) ``node`` an object in kernel memory, so ``&node`` is its
    address? Translated members, D variables and their members are not."""
    if node in rewrites(ck):
        return False
    if isinstance(node, A.MemberRef):
        if node.arrow:
            return isinstance(ck.an.type_of(node.base).resolve(), T.PointerType)
        return kernel_lvalue(ck, node.base)
    if isinstance(node, A.Unary) and node.op == "*":
        return True
    if isinstance(node, A.ExternIdent):
        return True
    if isinstance(node, A.Index) and node.base not in rewrites(ck) and not (
            isinstance(node.base, A.Ident) and node.base.name == "args"):
        bt = ck.an.type_of(node.base).resolve()
        return isinstance(bt, T.PointerType) or (isinstance(bt, T.ArrayType)
                                                 and kernel_lvalue(ck, node.base))
    return False


def xlate_member(ck: Checker, n: A.MemberRef, x: A.Xlate) -> T.DType:
    out = resolve_typename(ck, x.type)
    key = xlator_key(out)
    xl = pick_xlator(ck, key, ck.an.type_of(x.operand))
    if xl is None:
        raise err("D_XLATE_NONE", f"translator does not exist: {out}", n)
    member = next((m for m in xl.members if m.name == n.name), None)
    if member is None:
        sou = out.resolve()
        if isinstance(sou, T.PointerType):
            sou = sou.target.resolve()
        if isinstance(sou, T.StructType) and sou.member(n.name) is not None:
            raise err("D_XLATE_NOCONV", "translator does not define conversion for member: "
                      f"{n.name}", n)
        raise err("D_TYPE_MEMBER", f"{n.name} is not a member of {key}", n)
    value = substitute(member.value, xl.in_name, x.operand)
    if isinstance(value, A.Call) and value.name == "__psargs":
        value = PsArgs(value.args[0], line=n.line)
    from pydtrace.sema.userword import user_words

    value = user_words(value)  # __uword(addr) (procfs.d pr_argc, pr_envp)
    vt = ck.expr(value)
    rewrites(ck)[n] = value
    c = ck.const(value)
    if c is not None:
        ck.an.consts[n] = c
    return vt


def substitute(expr: A.Expr, name: str, replacement: A.Expr) -> A.Expr:
    """A deep copy of ``expr`` with each identifier ``name`` replaced by a copy of
    ``replacement``."""
    memo: dict = {}
    out = copy.deepcopy(expr, memo)

    def walk(node):
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, A.Ident) and item.name == name:
                    node[i] = copy.deepcopy(replacement)
                else:
                    walk(item)
            return
        if not isinstance(node, A.Node):
            return
        for slot in _slots(node):
            value = getattr(node, slot, None)
            if isinstance(value, A.Ident) and value.name == name:
                setattr(node, slot, copy.deepcopy(replacement))
            elif isinstance(value, A.Node | list):
                walk(value)
    if isinstance(out, A.Ident) and out.name == name:
        return copy.deepcopy(replacement)
    walk(out)
    return out


def _slots(node: A.Node) -> tuple[str, ...]:
    return A.fields(node)


def check_xlate(ck: Checker, n: A.Xlate) -> T.DType:
    out = resolve_typename(ck, n.type)
    key = xlator_key(out)
    if key not in ck.an.translators and key in DLIB_TYPES:
        load_dlib(ck, DLIB_TYPES[key])
    ot = ck.expr(n.operand)
    if key not in ck.an.translators:
        raise err("D_XLATE_NONE", f"translator does not exist: {out}", n)
    from pydtrace.sema.xlators import check_input

    check_input(ck, n, pick_xlator(ck, key, ot), ot, out)
    return out


# ---------------------------------------------------------------- other forms


def kernel_module_of(name: str) -> str | None:
    """The module of a kernel symbol in /proc/kallsyms ('vmlinux' for the core kernel)."""
    import re

    from pydtrace.sys import kallsyms

    try:
        m = re.search(rb"(?m)^[0-9a-f]+ [A-Za-z] " + re.escape(name.encode())
                      + rb"(?:\t\[([^\]]+)\])?$", kallsyms._text())
    except OSError:
        return None
    if m is None:
        return None
    return m.group(1).decode() if m.group(1) else "vmlinux"


def extern_ident(ck: Checker, n: A.ExternIdent) -> T.DType:
    from pydtrace.sys import kallsyms

    kmod = kernel_module_of(n.name) if n.module == "`" else None  # ``sym: a user symbol
    if kmod is not None:
        raise err("D_SYM_BADREF", f"kernel module '{kmod}' symbol '{n.name}' may not be "
                  "referenced as a user symbol", n)
    addr = kallsyms.lookup(n.name, n.module)
    if addr is None:
        raise err("D_SYM_BADREF", f"failed to resolve `{n.name}: Unknown symbol name"
                  if not n.module else f"failed to resolve {n.module}`{n.name}: Unknown "
                  "symbol name", n)
    from pydtrace.sema.ksyms import symbol_type

    t = symbol_type(ck, n)  # D_SYM_MODEL, D_SYM_NOTYPES, -x amin, linkmode relocations
    ck.an.externs[n] = addr
    return t


def offsetof(ck: Checker, n: A.Offsetof) -> T.DType:
    t = resolve_typename(ck, n.type).resolve()
    if not isinstance(t, T.StructType):
        raise err("D_OFFSETOF_TYPE", "offsetof( ) first argument must be a struct or union "
                  "type", n)
    from pydtrace.btf.reader import find_member

    found = find_member(t, n.member)
    if found is None:
        raise err("D_TYPE_MEMBER", f"{n.member} is not a member of {t}", n)
    if found[1].bits:
        raise err("D_OFFSETOF_BITFIELD", f"cannot take offset of a bit-field: {n.member}", n)
    ck.an.consts[n] = found[0]
    return T.SIZE_T


def index_memory(ck: Checker, n: A.Index) -> T.DType:
    bt = ck.expr(n.base)
    r = bt.resolve()
    if len(n.keys) != 1:
        raise err("D_OP_PTR", "operator [ ] must be applied to a pointer or array", n)
    it = ck.expr(n.keys[0])
    if not it.resolve().is_integer:
        raise err("D_OP_INT", "operator [ ] index must be of integral type", n)
    if isinstance(r, T.PointerType):
        if isinstance(r.target.resolve(), T.VoidType):
            raise err("D_DEREF_VOID", "cannot dereference pointer to type void", n)
        return r.target
    if isinstance(r, T.ArrayType):
        c = ck.const(n.keys[0])
        if c is not None and r.count and not 0 <= c < r.count:
            raise err("D_ARR_BADREF", f"index {c} is out of range for array of {r.count} "
                      "elements", n)
        return r.elem
    raise err("D_OP_PTR", "operator [ ] must be applied to a pointer or array", n)


def index_args(ck: Checker, n: A.Index) -> T.DType:
    """args[N] (illumos dt_idcook_args): a constant index into the probe's typed arguments."""
    probes = ck.probes
    if len(n.keys) != 1:
        raise err("D_PROTO_LEN", f"args[ ] prototype mismatch: {len(n.keys)} args passed, 1 "
                  "expected", n)
    kt = ck.expr(n.keys[0])
    idx = ck.const(n.keys[0])
    if idx is None or not kt.resolve().is_integer:
        raise err("D_PROTO_ARG", "args[ ] argument #1 is incompatible with prototype:\n"
                  f"\tprototype: integer constant\n\t argument: {kt}", n)
    clause = getattr(ck, "clause", None)
    if clause is None or not probes:
        raise err("D_ARGS_NONE", "args[ ] may not be referenced outside of a probe clause", n)
    d = clause.descs[0]
    desc = f"{d.provider}:{d.module}:{d.function}:{d.name}"
    kinds = {p.arg_types[idx] if 0 <= idx < len(p.arg_types) else None for p in probes}
    if len(kinds) > 1:
        raise err("D_ARGS_MULTI", f"args[ ] may not be referenced because probe description "
                  f"{desc} matches an unstable set of probes", n)
    spec = kinds.pop()
    if spec is None:
        raise err("D_ARGS_IDX", f"index {idx} is out of range for {desc} args[ ]", n)
    from pydtrace.sema.argtypes import check_arg_types

    check_arg_types(ck, idx, spec, n)  # D_ARGS_TYPE, D_ARGS_XLATOR
    value = arg_expr(idx, spec, n.line)
    t = ck.expr(value)
    rewrites(ck)[n] = value
    return t


def arg_expr(idx: int, spec: str, line: int) -> A.Expr:
    """``(native)argN``, ``xlate <out>((native)argN)`` for ``out <= native``, or the
    D expression of ``TYPE = EXPR`` (providers write it with ``argN``)."""
    if " = " in spec:
        return spec_expr(idx, spec, line)
    out, _, native = spec.partition(" <= ")
    raw: A.Expr = A.Ident(f"arg{idx}", line=line)
    if out == "string":
        return A.Stringof(A.Cast(typename_from_string("char *"), raw, line=line), line=line)
    base = A.Cast(typename_from_string(native or out), raw, line=line)
    if native:
        return A.Xlate(typename_from_string(out), base, line=line)
    return base


def spec_expr(idx: int, spec: str, line: int) -> A.Expr:
    from pydtrace.lang.parser import parse_program

    typ, _, expr = spec.partition(" = ")
    program = parse_program(f"inline {typ} __args{idx} = {expr};", allow_empty=True)
    value = program.items[0].value

    def relocate(node) -> None:  # errors point at the script's args[] reference
        if isinstance(node, list):
            for item in node:
                relocate(item)
        elif isinstance(node, A.Node):
            node.line = line
            for slot in _slots(node):
                relocate(getattr(node, slot, None))
    relocate(value)
    if typ.strip() == "string" or isinstance(value, A.Cast | A.Xlate):
        return value
    return A.Cast(typename_from_string(typ), value, line=line)


def arg_display(spec: str) -> str:
    """The type ``dtrace -lv`` shows for an arg_types entry."""
    return spec.partition(" = ")[0].partition(" <= ")[0]


def translated_base(ck: Checker, n: A.MemberRef) -> bool:
    """Checks ``n.base``; True if it is a translated value (xlate, curpsinfo, args[])."""
    ck.expr(n.base)
    return isinstance(follow(ck, n.base), A.Xlate)


@A.node
class PsArgs(A.Node):
    """``pr_psargs``: the task's argument strings, space-separated (codegen.kernel)."""

    task: A.Expr


def check_psargs(ck: Checker, n: PsArgs) -> T.DType:
    ck.expr(n.task)
    return ck.string
