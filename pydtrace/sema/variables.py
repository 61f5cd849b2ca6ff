"""Semantic analysis of dynamic variables: ``self->``, ``this->``, associative
arrays (global ``a[k1, k2]`` and thread-local ``self->a[k]``). Mixed into ``Checker``.

A variable's type is fixed by its declaration (``self int x;``,
``int a[int, string];``) or its first assignment; a variable first *read*
(``/self->ts/`` before ``self->ts = timestamp``) is provisionally a 64-bit
integer until an assignment types it. An array's key signature is fixed by its
first use; later uses must match (D_PROTO_LEN / D_PROTO_ARG, as dt_idcook_sign).
"""

from __future__ import annotations

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.sema.symbols import BUILTINS, DynVar
from pydtrace.types import model as T


def fail(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


def var_label(var: DynVar) -> str:
    return {"self": "self->", "this": "this->"}.get(var.scope, "") + var.name


def is_d_lvalue(ck, target: A.Expr) -> bool:
    """Members and elements of D global variables (``s.m``, ``g[i]``, ``s.a[i].m``),
    and memory reached through a pointer (``*p``, ``p->m``, ``p[i]``), which must
    be scratch memory at run time (alloca): codegen.dmemory.scratch_loc checks.
    Kernel (BTF) objects and user memory are never writable."""
    while isinstance(target, A.MemberRef | A.Index | A.Unary):
        if dynvar_struct(ck, target):  # self->s.m, a[k].m, this->s.m
            return True
        if isinstance(target, A.Unary):
            if target.op != "*":
                return False
            return writable_pointer(ck, target.operand)
        if isinstance(target, A.MemberRef) and target.arrow:
            return writable_pointer(ck, target.base)
        if isinstance(target, A.Index) and len(target.keys) == 1:
            bt = ck.expr(target.base).resolve()
            if isinstance(bt, T.PointerType):
                return writable_pointer(ck, target.base)
        target = target.base
    if dynvar_struct(ck, target):
        return True
    return isinstance(target, A.Ident) and target.name in ck.an.symbols.globals


def dynvar_struct(ck, node: A.Expr) -> bool:
    """Is ``node`` a struct-valued dynamic variable (or associative element)?"""
    if isinstance(node, A.Index):
        base = node.base
        if not (isinstance(base, A.SelfVar) or (
                isinstance(base, A.Ident) and base.name not in ck.an.symbols.globals
                and base.name != "args" and ("global", base.name) in ck.an.symbols.dynvars)):
            return False
    elif not isinstance(node, A.SelfVar | A.ThisVar):
        return False
    return isinstance(ck.expr(node).resolve(), T.StructType)


def writable_pointer(ck, node: A.Expr) -> bool:
    t = ck.expr(node).resolve()
    if not isinstance(t, T.PointerType) or getattr(t, "userland", False):
        return False
    return type(t.target.resolve()).__name__ != "BtfStruct"


def this_area(symbols) -> int:
    """Assigns offsets to the ``this->`` variables (idempotent); returns the area's
    size. The area sits in the per-CPU state map right before the scratch slots."""
    off = 0
    for var in symbols.dynvars.values():
        if var.scope != "this":
            continue
        size = max(8, (var.type.size + 7) & ~7)
        var.offset = off
        off += size
    symbols.this_size = off
    return off


def value_size(var: DynVar, strsize: int) -> int:
    r = var.type.resolve()
    if r.is_string:
        return (strsize + 7) & ~7
    return max(8, (r.size + 7) & ~7)


class VariablesMixin:
    # ------------------------------------------------------------ symbols

    def dynvar(self, scope: str, name: str) -> DynVar | None:
        return self.an.symbols.dynvars.get((scope, name))

    def new_dynvar(self, scope: str, name: str, typ: T.DType,
                   keys: list[T.DType] | None, implicit: bool = False,
                   line: int | None = None) -> DynVar:
        syms = self.an.symbols
        syms.take_id(scope, name, line)  # D_ID_OFLOW
        var = DynVar(name, scope, typ, len(syms.dynvars) + 1, keys, implicit)
        syms.dynvars[(scope, name)] = var
        return var

    def declare_dynvar(self, scope: str, name: str, typ: T.DType,
                       keys: list[T.DType] | None, node: A.Node) -> None:
        """``self int x;``, ``this string s;``, ``int a[int, string];``."""
        if self.dynvar(scope, name) is not None or (
                scope == "global" and name in self.an.symbols.globals):
            raise fail("D_DECL_IDRED", f"identifier redeclared: {name}", node)
        r = typ.resolve()
        if isinstance(r, T.VoidType):
            raise fail("D_DECL_VOIDOBJ", f"cannot have void object: {name}", node)
        if r.is_string:
            typ = self.string
        var = self.new_dynvar(scope, name, typ,
                              [self.key_type(k) for k in keys] if keys is not None else None,
                              line=node.line or None)
        var.declared = True

    # ------------------------------------------------------------ reads

    def e_SelfVar(self, n: A.SelfVar) -> T.DType:
        return self.scalar_var("self", n)

    def e_ThisVar(self, n: A.ThisVar) -> T.DType:
        return self.scalar_var("this", n)

    def scalar_var(self, scope: str, n: A.SelfVar | A.ThisVar) -> T.DType:
        var = self.dynvar(scope, n.name)
        if var is None:
            var = self.new_dynvar(scope, n.name, T.INT64, None, implicit=True,
                                  line=n.line or None)
            from pydtrace.sema.undef import note_implicit_read

            note_implicit_read(self, scope, n.name, n)
        elif var.key_types is not None:
            raise fail("D_ARR_BADREF", f"{var_label(var)} is an associative array and "
                       "must be referenced with [ ]", n)
        return var.type

    def index_assoc(self, n: A.Index) -> T.DType:
        var = self.assoc_var(n, create=None)
        return var.type

    def assoc_var(self, n: A.Index, create: T.DType | None) -> DynVar:
        """The array ``n`` refers to, its keys checked (and typed). With ``create``,
        an unknown array is created with that value type."""
        scope, name = self.assoc_name(n)
        keys = []
        for k in n.keys:
            t = self.expr(k)
            r = t.resolve()
            if isinstance(r, T.VoidType) or not (r.is_scalar or r.is_string
                                                  or isinstance(r, T.StructType)):
                raise fail("D_KEY_TYPE", f"{t} expression may not be used as array index: "
                           f"key #{len(keys) + 1}", k)
            keys.append(self.key_type(t))
        var = self.dynvar(scope, name)
        if var is None:
            if create is None:
                if scope == "global":
                    raise fail("D_IDENT_UNDEF", f"failed to resolve {name}: Unknown "
                               "variable name", n)
                create = T.INT64
                var = self.new_dynvar(scope, name, create, keys, implicit=True,
                                      line=n.line or None)
                from pydtrace.sema.undef import note_implicit_read

                note_implicit_read(self, scope, name, n)
            else:
                var = self.new_dynvar(scope, name, create, keys, line=n.line or None)
            return var
        if var.key_types is None:
            raise fail("D_IDENT_BADREF", f"{var_label(var)} is a scalar and may not be "
                       "referenced with [ ]", n)
        self.check_signature(var, keys, n)
        return var

    def assoc_name(self, n: A.Index) -> tuple[str, str]:
        if isinstance(n.base, A.SelfVar):
            return "self", n.base.name
        assert isinstance(n.base, A.Ident)
        if n.base.name in BUILTINS:
            raise fail("D_IDENT_BADREF", f"{n.base.name} is not an array", n)
        return "global", n.base.name

    def check_signature(self, var: DynVar, keys: list[T.DType], n: A.Index) -> None:
        from pydtrace.sema.check import compatible

        want = var.key_types or []
        label = var_label(var)
        if len(keys) != len(want):
            raise fail("D_PROTO_LEN", f"{label}[ ] prototype mismatch: {len(keys)} "
                       f"arg{'s' if len(keys) != 1 else ''} passed, {len(want)} expected", n)
        for i, (have, proto) in enumerate(zip(keys, want, strict=True)):
            if not compatible(have, proto):
                raise fail("D_PROTO_ARG", f"{label}[ ] argument #{i + 1} is incompatible "
                           f"with prototype:\n\tprototype: {proto}\n\t argument: {have}", n)

    # ------------------------------------------------------------ writes

    def target_var(self, target: A.Expr, vt: T.DType, op: str, node: A.Node) -> DynVar | None:
        """The dynamic variable an assignment or ``++`` writes, created or re-typed
        by this first assignment; None if ``target`` is not a dynamic variable."""
        first = vt if op == "=" else (vt if vt.resolve().is_integer else T.INT)
        if isinstance(target, A.SelfVar | A.ThisVar):
            scope = "self" if isinstance(target, A.SelfVar) else "this"
            var = self.dynvar(scope, target.name)
            if var is None:
                var = self.new_dynvar(scope, target.name, self.var_type(first, node), None,
                                      line=target.line or None)
            elif var.key_types is not None:
                raise fail("D_ARR_BADREF", f"{var_label(var)} is an associative array and "
                           "must be referenced with [ ]", target)
        elif isinstance(target, A.Index) and (
                isinstance(target.base, A.SelfVar) or (
                    isinstance(target.base, A.Ident)
                    and target.base.name not in self.an.symbols.globals
                    and target.base.name != "args")):
            var = self.assoc_var(target, create=self.var_type(first, node))
        else:
            return None
        if var.implicit:
            var.type = self.var_type(first, node)
            var.implicit = False
        self.an.types[target] = var.type
        return var

    def assign_other(self, n: A.Assign, vt: T.DType) -> T.DType:
        """Assignment to anything but a plain global (``self->x``, ``a[k]``, ``s.m``)."""
        from pydtrace.sema.check import assignable

        var = self.target_var(n.target, vt, n.op, n)
        if var is None:
            return self.assign_memory(n, vt)
        if not assignable(var.type, vt):
            raise fail("D_OP_INCOMPAT", f'operands have incompatible types: "{var.type}" '
                       f'{n.op} "{vt}"', n)
        if n.op != "=" and not (var.type.resolve().is_scalar and vt.resolve().is_integer):
            raise fail("D_OP_ARITH", f"operator {n.op} requires operands of arithmetic type",
                       n)
        return var.type

    def assign_memory(self, n: A.Assign, vt: T.DType) -> T.DType:
        """Stores into members of D-declared struct variables (``s.m = v``)."""
        from pydtrace.sema.check import assignable

        if (isinstance(n.target, A.Index) and isinstance(n.target.base, A.ThisVar)
                and self.dynvar("this", n.target.base.name) is None):
            self.expr(n.target)  # this->a[i] = v with a undeclared: D_ARR_LOCAL
        if is_d_lvalue(self, n.target):
            t = self.expr(n.target)
            if not assignable(t, vt):
                raise fail("D_OP_INCOMPAT", f'operands have incompatible types: "{t}" '
                           f'{n.op} "{vt}"', n)
            return t
        raise fail("D_OP_LVAL", f"operator {n.op} requires modifiable lvalue as an operand",
                   n.target)

    def incdec_other(self, n: A.Node, target: A.Expr) -> T.DType:
        op = getattr(n, "op", "++")
        var = self.target_var(target, T.INT, "+=", n)
        if var is None:
            if is_d_lvalue(self, target):
                t = self.expr(target)
            else:
                raise fail("D_OP_LVAL", f"operator {op} requires modifiable lvalue as an "
                           "operand", target)
        else:
            t = var.type
        if not t.resolve().is_scalar:
            raise fail("D_OP_SCALAR", f"operator {op} requires operand of scalar type", n)
        return t
