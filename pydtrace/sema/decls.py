"""Declarations and type names: typedef, struct/union/enum, global variables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

BAD_CLASSES = {"auto", "register", "static"}


def decl_words_error(spec: A.TypeSpec) -> DCompileError:
    """dt_decl_check: which rule a bad list of type words breaks."""
    words = list(spec.words)
    size = {"short", "long"} & set(words)
    sign = {"signed", "unsigned"} & set(words)
    line = spec.line or None
    if "char" in words and size:
        return DCompileError("D_DECL_CHARATTR", "invalid type declaration: short and long may "
                             "not be used with char type", line)
    if "void" in words and (size or sign):
        return DCompileError("D_DECL_VOIDATTR", "invalid type declaration: attributes may not "
                             "be used with void type", line)
    ints = {"char", "short", "int", "long", "signed", "unsigned"}
    if sign and set(words) - ints - {"float", "double"}:
        return DCompileError("D_DECL_SIGNINT", "invalid type declaration: signed and unsigned "
                             "may only be used with integer type", line)
    if "long" in words and set(words) - ints - {"float", "double"}:
        return DCompileError("D_DECL_LONGINT", "invalid type declaration: long and long long "
                             "may only be used with integer or floating-point type", line)
    if size == {"short", "long"} and words.count("short") == 1 and words.count("long") <= 2 \
            and len(set(words) - {"short", "long", "int"} - sign) == 0 and len(sign) <= 1:
        # dt_decl_type: both attributes pass; the name it builds is no type
        base = ["int"] if "int" in words else []
        name = " ".join([*sign, "short", *["long"] * words.count("long"), *base])
        return DCompileError("D_UNKNOWN", f"failed to resolve type {name} : Unknown type name",
                             line)
    return DCompileError("D_DECL_COMBO", "invalid type combination", line)


def resolve_spec(ck: Checker, spec: A.TypeSpec) -> T.DType:
    syms = ck.an.symbols
    if spec.kind == "builtin":
        t = T.builtin_from_words(tuple(spec.words))
        if t is None:
            raise decl_words_error(spec)
        return ck.string if t.is_string else t
    if spec.kind == "typedef":
        name = spec.name or ""
        if name in syms.typedefs:
            return syms.typedefs[name]
        from pydtrace.sema.kernel import kernel_typedef, lookup_typedef  # D library, BTF

        if "`" in name:  # D`t: the D container's types; mod`t and `t: the kernel's
            module, _, base = name.rpartition("`")
            found = lookup_typedef(ck, base) if module == "D" else kernel_typedef(base)
        else:
            found = lookup_typedef(ck, name)
        if found is not None:
            return found
        raise DCompileError("D_TYPE_ERR", f"failed to resolve type {name}", spec.line or None)
    if spec.kind in ("struct", "union"):
        return resolve_sou(ck, spec)
    if spec.kind == "enum":
        return resolve_enum(ck, spec)
    raise DCompileError("D_TYPE_ERR", f"unknown type {spec.kind}", spec.line or None)


def resolve_sou(ck: Checker, spec: A.TypeSpec) -> T.DType:
    tags = ck.an.symbols.tags
    key = (spec.kind, spec.name or f"<anon{id(spec)}>")
    sou = tags.get(key)
    if sou is None and spec.members is None and spec.name:
        from pydtrace.sema.kernel import kernel_tag  # not declared in D: kernel BTF

        sou = kernel_tag(spec.kind, spec.name)
        if sou is not None:
            return sou
    if sou is None:
        sou = T.StructType(spec.kind, spec.name)
        tags[key] = sou
    if spec.members is not None:
        assert isinstance(sou, T.StructType)
        if sou.complete:
            raise DCompileError("D_DECL_TYPERED", f"type redeclared: {spec.kind} {spec.name}",
                                spec.line or None)
        layout_members(ck, sou, spec.members)
    return sou


DUPMEMBER = "Duplicate member name definition"  # libctf's ECTF_DUPMEMBER text


def layout_members(ck: Checker, sou: T.StructType, members: list[A.Member]) -> None:
    """C layout (SysV x86-64): natural alignment, bit-fields packed in storage
    units of their declared type, unions overlaid at offset 0."""
    from pydtrace.sema.dmembers import layout_bitfield

    bitpos = 0  # next free bit (structs); union: size in bits
    align = 1
    names: set[str] = set()
    for m in members:
        mt = resolve_type_name(ck, m.type)
        mr = mt.resolve()
        if isinstance(mr, T.StructType | T.EnumType) and not getattr(mr, "complete", True):
            raise DCompileError("D_DECL_INCOMPLETE", f"incomplete struct/union/enum {mt}: "
                                f"{m.name}", m.line or None)  # a forward declaration
        if isinstance(mr, T.VoidType | T.FunctionType):  # dt_decl_member: a size of 0
            raise DCompileError("D_DECL_VOIDOBJ", f"cannot have void member: {m.name}",
                                m.line or None)
        bits = member_bits(ck, m, mt) if m.bits is not None else None
        if m.name and m.name in names:  # ctf_add_member: ECTF_DUPMEMBER
            raise DCompileError("D_UNKNOWN", f"failed to define member '{m.name}': "
                                f"{DUPMEMBER}", m.line or None)
        names.add(m.name or "")
        if bits is not None:
            start = 0 if sou.kind == "union" else bitpos
            off, bit_off, end = layout_bitfield(start, mt, bits)
            if m.name:
                align = max(align, mt.align)
                sou.members.append(T.StructMember(m.name, mt, off, bit_off, bits))
            bitpos = max(bitpos, end) if sou.kind == "union" else end
            continue
        a = max(1, mt.align)
        align = max(align, a)
        if sou.kind == "union":
            sou.members.append(T.StructMember(m.name or "", mt, 0))
            bitpos = max(bitpos, mt.size * 8)
            continue
        offset = ((bitpos + 7) // 8 + a - 1) & ~(a - 1)
        sou.members.append(T.StructMember(m.name or "", mt, offset))
        bitpos = (offset + mt.size) * 8
    size = (bitpos + 7) // 8
    sou.align = align
    sou.size = (size + align - 1) & ~(align - 1)
    sou.complete = True


def member_bits(ck: Checker, m: A.Member, mt: T.DType) -> int:
    r = mt.resolve()
    if not isinstance(r, T.IntType | T.EnumType):
        raise DCompileError("D_DECL_BFTYPE", f"invalid type for bit-field: {m.name}",
                            m.line or None)
    assert m.bits is not None
    ck.expr(m.bits)
    bits = ck.const(m.bits)
    if bits == 0 and not m.name:
        return bits  # ": 0" ends the storage unit
    if bits is None or bits <= 0:
        raise DCompileError("D_DECL_BFCONST", "positive integral constant expression "
                            "expected as bit-field size", m.line or None)
    if bits > r.size * 8:
        raise DCompileError("D_DECL_BFSIZE", f"bit-field too big for type: {m.name or '(anon)'}",
                            m.line or None)
    return bits


def resolve_enum(ck: Checker, spec: A.TypeSpec) -> T.DType:
    tags = ck.an.symbols.tags
    key = ("enum", spec.name or f"<anon{id(spec)}>")
    enum = tags.get(key)
    if enum is None and spec.enumerators is None and spec.name:
        from pydtrace.sema.kernel import kernel_tag  # not declared in D: kernel BTF

        enum = kernel_tag("enum", spec.name)
        if enum is not None:
            return enum
    if enum is None:
        enum = T.EnumType(spec.name)
        tags[key] = enum
    if spec.enumerators is not None:
        assert isinstance(enum, T.EnumType)
        value = 0
        seen: set[str] = set()
        for e in spec.enumerators:
            if e.value is not None:
                ck.expr(e.value)
                c = ck.const(e.value)
                if c is None:
                    raise DCompileError("D_DECL_ENCONST", f"enumerator '{e.name}' must be "
                                        "assigned to an integral constant expression",
                                        e.line or None)
                if not -(1 << 31) <= c < 1 << 31:
                    raise DCompileError("D_DECL_ENOFLOW", f"enumerator '{e.name}' value "
                                        "overflows INT_MAX (2147483647)", e.line or None)
                value = c
            if e.name in seen:  # ctf_add_enumerator: ECTF_DUPMEMBER
                raise DCompileError("D_UNKNOWN", f"failed to define enumerator '{e.name}': "
                                    f"{DUPMEMBER}", e.line or None)
            seen.add(e.name)
            enum.values[e.name] = value
            ck.an.symbols.enums[e.name] = (value, enum)
            value += 1
    return enum


def apply_derived(ck: Checker, base: T.DType, derived: list[A.Derived]) -> T.DType:
    t = base
    for i, d in enumerate(derived):  # dt_decl_array: [n][int] is an array of arrays
        if isinstance(d, A.Array) and d.keys is not None and i and \
                isinstance(derived[i - 1], A.Array):
            raise DCompileError("D_DECL_DYNOBJ", "cannot declare array of associative arrays",
                                d.line or None)
    for d in reversed(derived):
        if isinstance(d, A.Pointer):
            t = T.PointerType(t)
        elif isinstance(d, A.Function):
            t = T.FunctionType(t)
        elif isinstance(d, A.Array):
            if d.keys is not None or d.size is None:
                continue  # associative arrays: issue of dynamic variables
            ck.expr(d.size)
            n = ck.const(d.size)
            if n is None or n < 0:
                raise DCompileError("D_DECL_ARRSUB", "positive integral constant expression or "
                                    "tuple signature expected as array declaration subscript",
                                    d.line or None)
            if n > 0xFFFFFFFF:
                raise DCompileError("D_DECL_ARRBIG", "array dimension too big", d.line or None)
            t = T.ArrayType(t, n)
    return t


def resolve_type_name(ck: Checker, tn: A.TypeName) -> T.DType:
    return apply_derived(ck, resolve_spec(ck, tn.spec), tn.derived)


def declare(ck: Checker, decl: A.Declaration) -> None:
    for cls in decl.storage:
        if cls in BAD_CLASSES:
            raise DCompileError("D_DECL_BADCLASS", "specified storage class not appropriate "
                                "in D", decl.line or None)
    if len([c for c in decl.storage if c != "typedef"]) > 1:
        raise DCompileError("D_DECL_CLASS", "only one storage class allowed in a declaration",
                            decl.line or None)
    base = resolve_spec(ck, decl.spec)
    if not decl.declarators and decl.spec.kind not in ("struct", "union", "enum"):
        raise DCompileError("D_DECL_USELESS", "useless declaration", decl.line or None)
    for d in decl.declarators:
        t = apply_derived(ck, base, d.derived)
        if d.name is None:
            continue
        if "`" in d.name:
            raise DCompileError("D_DECL_SCOPE", "D scoping operator may not be used in a "
                                f"declaration name ({d.name})", d.line or None)
        if not {"typedef", "extern"} & set(decl.storage):
            check_variable_decl(ck, decl, d, t)
        keys = assoc_keys(ck, d.derived)
        if "typedef" in decl.storage:
            declare_typedef(ck, d, t)
        elif "self" in decl.storage or "this" in decl.storage:
            scope = "self" if "self" in decl.storage else "this"
            if scope == "this" and keys is not None:
                raise DCompileError("D_DECL_LOCASSC", "associative arrays may not be "
                                    "declared as local variables: " + d.name, d.line or None)
            ck.declare_dynvar(scope, d.name, t, keys, d)
        elif not decl.storage and keys is not None:
            ck.declare_dynvar("global", d.name, t, keys, d)
        elif not decl.storage:
            declare_global(ck, d, t)


def check_variable_decl(ck: Checker, decl: A.Declaration, d: A.Declarator,
                        t: T.DType) -> None:
    """dt_node_decl's checks of a global, self-> or this-> variable declaration."""
    from pydtrace.sema.symbols import BUILTINS

    top = d.derived[0] if d.derived else None
    line = d.line or None
    if isinstance(top, A.Array) and top.size is None and top.keys is None:
        raise DCompileError("D_DECL_ARRNULL", "array declaration requires array dimension or "
                            f"tuple signature: {d.name}", line)
    if not decl.storage and d.name in BUILTINS:
        raise DCompileError("D_DECL_IDRED", f"built-in identifier redeclared: {d.name}", line)
    if isinstance(top, A.Array) and top.keys is not None:
        return
    r = t.resolve()
    if isinstance(r, T.StructType | T.EnumType) and not getattr(r, "complete", True):
        raise DCompileError("D_DECL_INCOMPLETE", f"incomplete struct/union/enum {t}: {d.name}",
                            line)


def assoc_keys(ck: Checker, derived: list[A.Derived]) -> list[T.DType] | None:
    """The key types of an associative array declarator (``a[int, string]``)."""
    for x in derived:
        if isinstance(x, A.Array) and x.keys is not None:
            return [resolve_type_name(ck, k) for k in x.keys]
    return None


def declare_typedef(ck: Checker, d: A.Declarator, t: T.DType) -> None:
    typedefs = ck.an.symbols.typedefs
    if d.name in typedefs and d.name not in T.BUILTIN_TYPEDEFS:
        raise DCompileError("D_DECL_TYPERED", f"type redeclared: {d.name}", d.line or None)
    typedefs[d.name] = T.Typedef(d.name, t)


def declare_global(ck: Checker, d: A.Declarator, t: T.DType) -> None:
    syms = ck.an.symbols
    if d.name in syms.globals:
        raise DCompileError("D_DECL_IDRED", f"identifier redeclared: {d.name}", d.line or None)
    if isinstance(t.resolve(), T.VoidType):
        raise DCompileError("D_DECL_VOIDOBJ", f"cannot have void object: {d.name}",
                            d.line or None)
    syms.add_global(d.name, t, d.line or None)
