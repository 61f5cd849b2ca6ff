"""Declarations and type names: typedef, struct/union/enum, global variables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

BAD_CLASSES = {"auto", "register", "static"}


def resolve_spec(ck: Checker, spec: A.TypeSpec) -> T.DType:
    syms = ck.an.symbols
    if spec.kind == "builtin":
        t = T.builtin_from_words(tuple(spec.words))
        if t is None:
            raise DCompileError("D_TYPE_ERR", f"invalid type combination: {' '.join(spec.words)}",
                                spec.line or None)
        return ck.string if t.is_string else t
    if spec.kind == "typedef":
        name = spec.name or ""
        if name in syms.typedefs:
            return syms.typedefs[name]
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
    if sou is None:
        sou = T.StructType(spec.kind, spec.name)
        tags[key] = sou
    if spec.members is not None:
        assert isinstance(sou, T.StructType)
        if sou.complete:
            raise DCompileError("D_DECL_TYPERED", f"{spec.kind} {spec.name} is already defined",
                                spec.line or None)
        layout_members(ck, sou, spec.members)
    return sou


def layout_members(ck: Checker, sou: T.StructType, members: list[A.Member]) -> None:
    offset = 0
    align = 1
    for m in members:
        mt = resolve_type_name(ck, m.type)
        a = max(1, mt.align)
        align = max(align, a)
        if sou.kind == "union":
            sou.members.append(T.StructMember(m.name or "", mt, 0))
            offset = max(offset, mt.size)
            continue
        offset = (offset + a - 1) & ~(a - 1)
        sou.members.append(T.StructMember(m.name or "", mt, offset))
        offset += mt.size
    sou.align = align
    sou.size = (offset + align - 1) & ~(align - 1)
    sou.complete = True


def resolve_enum(ck: Checker, spec: A.TypeSpec) -> T.DType:
    tags = ck.an.symbols.tags
    key = ("enum", spec.name or f"<anon{id(spec)}>")
    enum = tags.get(key)
    if enum is None:
        enum = T.EnumType(spec.name)
        tags[key] = enum
    if spec.enumerators is not None:
        assert isinstance(enum, T.EnumType)
        value = 0
        for e in spec.enumerators:
            if e.value is not None:
                ck.expr(e.value)
                c = ck.const(e.value)
                if c is None:
                    raise DCompileError("D_DECL_ENCONST", f"enumerator '{e.name}' must be "
                                        "assigned an integral constant expression",
                                        e.line or None)
                value = c
            enum.values[e.name] = value
            ck.an.symbols.enums[e.name] = (value, enum)
            value += 1
    return enum


def apply_derived(ck: Checker, base: T.DType, derived: list[A.Derived]) -> T.DType:
    t = base
    for d in reversed(derived):
        if isinstance(d, A.Pointer):
            t = T.PointerType(t)
        elif isinstance(d, A.Array):
            if d.keys is not None or d.size is None:
                continue  # associative arrays: issue of dynamic variables
            ck.expr(d.size)
            n = ck.const(d.size)
            if n is None or n < 0:
                raise DCompileError("D_DECL_ARRSUB", "array dimension must be a positive "
                                    "integer constant", d.line or None)
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
    for d in decl.declarators:
        t = apply_derived(ck, base, d.derived)
        if d.name is None:
            continue
        if "typedef" in decl.storage:
            declare_typedef(ck, d, t)
        elif not decl.storage:
            declare_global(ck, d, t)


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
    syms.add_global(d.name, t)
