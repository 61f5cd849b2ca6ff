"""Semantic analysis: resolve names, give every expression a D type, fold constants.

Errors are raised as ``DCompileError`` with DTrace's wording and tag. The result
(``Analysis``) is a set of side tables keyed by AST node; the tree is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.sema.memory import MemoryMixin
from pydtrace.sema.symbols import BUILTINS, AggVar, SymbolTable
from pydtrace.sema.variables import VariablesMixin
from pydtrace.types import model as T

AGG_FUNCS = {"count": (0, 1), "sum": (1, 1), "avg": (1, 1), "min": (1, 1), "max": (1, 1),
             "stddev": (1, 1), "quantize": (1, 2), "lquantize": (3, 5),
             "llquantize": (5, 6)}
ARITH_OPS = {"+", "-", "*", "/"}
INT_OPS = {"%", "&", "|", "^", "<<", ">>"}
COMPARE_OPS = {"==", "!=", "<", "<=", ">", ">="}
LOGIC_OPS = {"&&", "||", "^^"}


@dataclass
class Analysis:
    """Side tables of the typed program, keyed by AST node."""

    symbols: SymbolTable
    types: dict[A.Node, T.DType] = field(default_factory=dict)
    consts: dict[A.Node, int] = field(default_factory=dict)
    strsize: int = 256
    uses: set[str] = field(default_factory=set)  # built-ins read anywhere
    printf_convs: dict[A.Node, list] = field(default_factory=dict)  # parsed formats
    # kernel types, inlines, translators (sema.kernel): node -> expression compiled instead
    rewrites: dict[A.Node, A.Expr] = field(default_factory=dict)
    externs: dict[A.Node, int] = field(default_factory=dict)  # `sym -> address
    relocs: dict[A.Node, str] = field(default_factory=dict)  # `sym -> D_ASRELO text (linkmode)
    inlines: dict[str, tuple] = field(default_factory=dict)
    translators: dict[str, A.Node] = field(default_factory=dict)
    dlibs: set[str] = field(default_factory=set)
    members: dict[A.Node, tuple] = field(default_factory=dict)

    def type_of(self, node: A.Node) -> T.DType:
        return self.types[node]


# Actions (DT_IDENT_ACTFUNC) whose value a D expression cannot use (D_CG_EXPR).
VOID_ACTIONS = frozenset({
    "trace", "tracemem", "printf", "printa", "printm", "exit", "clear", "trunc", "normalize",
    "denormalize", "setopt", "stop", "raise", "panic", "breakpoint", "chill", "system",
    "freopen", "ftruncate", "commit", "discard", "speculate",
})


def err(tag: str, msg: str, node: A.Node) -> DCompileError:
    return DCompileError(tag, msg, node.line or None)


class Checker(VariablesMixin, MemoryMixin):
    """Walks the program once, in source order, as DTrace's compiler does.

    Dynamic variables live in ``sema.variables``, memory and kernel types in
    ``sema.memory``, calls in ``sema.calls``: the mixins keep this file small.
    """

    def __init__(self, strsize: int = 256) -> None:
        self.an = Analysis(SymbolTable(), strsize=strsize)
        self.clause_probes: dict = {}  # clause -> matched probes (set by the caller)
        self.probes: list = []
        self.string = T.StringType(strsize)
        self.options = None  # the invocation's Options (-x amin, linkmode, knodefs)
        self.data_model = 64  # -32 / -64

    # ------------------------------------------------------------ top level

    def check(self, program: A.Program) -> Analysis:
        for item in program.items:
            if isinstance(item, A.Clause):
                self.check_clause(item)
            elif isinstance(item, A.Declaration):
                self.check_declaration(item)
            elif isinstance(item, A.InlineDecl | A.TranslatorDecl):
                from pydtrace.sema.kernel import declare_item

                declare_item(self, item)
            elif isinstance(item, A.ProviderDecl):
                from pydtrace.sema.providers import check_provider

                check_provider(self, item)
        from pydtrace.sema.undef import check_never_assigned

        check_never_assigned(self, program)
        return self.an

    def e_PsArgs(self, n) -> T.DType:  # pr_psargs of the psinfo_t translator (sema.kernel)
        from pydtrace.sema.kernel import check_psargs

        return check_psargs(self, n)

    def e_UserWord(self, n) -> T.DType:  # __uword() in a D library translator (sema.userword)
        from pydtrace.sema.userword import check_userword

        return check_userword(self, n)

    def check_clause(self, clause: A.Clause) -> None:
        from pydtrace.sema.speculation import check_clause_rules, uses_speculation

        if uses_speculation(clause):
            check_clause_rules(clause)
        self.probes = self.clause_probes.get(clause, [])  # args[] types
        self.clause = clause  # its probe description names args[] errors
        if self.options is not None and self.options.get("amin") is not None:
            from pydtrace.stability import check_minimum, clause_attrs

            check_minimum("clause", clause_attrs(clause, self.probes), self.options,
                          clause.line or None)
        # Like dt_cook_clause: actions first, so `/i < 5/ { i++; }` declares
        # i before the predicate reads it; on an undefined name, retry with
        # the predicate first (the error then comes from the right place).
        if clause.predicate is None:
            self.check_body(clause)
            return
        try:
            self.check_body(clause)
        except DCompileError as e:
            if e.tag not in ("D_IDENT_UNDEF", "D_VAR_UNDEF"):
                raise
            self.check_predicate(clause)
            self.check_body(clause)
            return
        self.check_predicate(clause)

    def check_body(self, clause: A.Clause) -> None:
        for stmt in clause.body or []:
            self.stmt(stmt)

    def check_predicate(self, clause: A.Clause) -> None:
        if clause.predicate is not None:
            t = self.expr(clause.predicate)
            if not t.resolve().is_scalar:
                raise err("D_PRED_SCALAR", "predicate result must be of scalar type",
                          clause.predicate)

    def check_declaration(self, decl: A.Declaration) -> None:
        from pydtrace.sema.decls import declare

        declare(self, decl)

    def stmt(self, stmt: A.Stmt) -> None:
        if isinstance(stmt, A.ExprStmt):
            if isinstance(stmt.expr, A.AggRef):
                raise err("D_AGG_NULL", f"expression has null effect: @{stmt.expr.name}", stmt)
            t = self.expr(stmt.expr, statement=True)
            if isinstance(stmt.expr, A.Xlate) and t.resolve().is_pointer:  # dt_cg
                raise err("D_CG_DYN", "expression cannot evaluate to result of a translated "
                          "pointer", stmt)
        elif isinstance(stmt, A.AggStmt):
            self.agg_stmt(stmt)
        elif isinstance(stmt, A.If):
            cond = self.expr(stmt.cond)
            if not cond.resolve().is_scalar:
                raise err("D_OP_SCALAR", "if-statement condition must be of scalar type", stmt)
            for s in stmt.then + (stmt.otherwise or []):
                self.stmt(s)

    # ------------------------------------------------------------ aggregations

    def agg_stmt(self, stmt: A.AggStmt) -> None:
        if stmt.func not in AGG_FUNCS:
            raise err("D_AGG_FUNC", f"@{stmt.name} must be assigned the result of an "
                      "aggregating function", stmt)
        lo, hi = AGG_FUNCS[stmt.func]
        if not lo <= len(stmt.args) <= hi:
            raise err("D_PROTO_LEN", f"{stmt.func}( ) prototype mismatch: {len(stmt.args)} "
                      f"arg{'s' if len(stmt.args) != 1 else ''} passed, "
                      f"{lo if lo == hi else f'at least {lo}'} expected", stmt)
        for i, a in enumerate(stmt.args):
            t = self.expr(a)
            if not t.resolve().is_scalar:
                raise err("D_AGG_SCALAR", f"{stmt.func}( ) argument #{i + 1} must be of "
                          "scalar type", a)
        keys = [self.expr(k) for k in stmt.keys]
        params = self.agg_params(stmt)
        var = self.an.symbols.aggs.get(stmt.name)
        if var is None:
            var = self.an.symbols.add_agg(stmt.name, stmt.func, params, stmt.line)
        elif var.func != stmt.func:
            raise err("D_AGG_REDEF", f"aggregation redefined: @{stmt.name}", stmt)
        elif var.params != params:
            raise params_mismatch(stmt, var.params, params)
        self.agg_keys(var, keys, stmt)

    def agg_keys(self, var: AggVar, keys: list[T.DType], stmt: A.AggStmt) -> None:
        norm = [self.key_type(k) for k in keys]
        if var.key_types is None:
            var.key_types = norm
        elif len(var.key_types) != len(norm) or any(
                not compatible(a, b) for a, b in zip(var.key_types, norm, strict=False)):
            raise err("D_KEY_TYPE", f"@{stmt.name} key signature mismatch", stmt)

    def key_type(self, t: T.DType) -> T.DType:
        r = t.resolve()
        if r.is_string:
            return self.string
        if isinstance(r, T.IntType | T.EnumType):
            return t
        if r.is_pointer or isinstance(r, T.StructType):  # a struct or union: its bytes
            return t
        raise DCompileError("D_KEY_TYPE", f"invalid key type: {t}")

    def agg_params(self, stmt: A.AggStmt) -> tuple[int, ...]:
        if stmt.func == "lquantize":
            from pydtrace.sema.aggparams import lquantize_params

            return lquantize_params(self, stmt)
        if stmt.func == "llquantize":
            from pydtrace.sema.aggparams import llquantize_params

            return llquantize_params(self, stmt)
        return ()

    # ------------------------------------------------------------ expressions

    def expr(self, node: A.Expr, statement: bool = False) -> T.DType:
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            raise err("D_SYNTAX", f"{type(node).__name__} expressions are not supported yet",
                      node)
        t = method(node) if not isinstance(node, A.Call) else method(node, statement)
        self.an.types[node] = t
        return t

    def const(self, node: A.Node) -> int | None:
        return self.an.consts.get(node)

    def e_IntLit(self, n: A.IntLit) -> T.DType:
        self.an.consts[n] = n.value
        return int_literal_type(n)

    def e_CharLit(self, n: A.CharLit) -> T.DType:
        self.an.consts[n] = n.value
        # typed as a hex integer constant: 'abcdefgh' is a long, not an int
        return int_literal_type(A.IntLit(n.value, hex(n.value)))

    def e_StrLit(self, n: A.StrLit) -> T.DType:
        return self.string

    def e_Ident(self, n: A.Ident) -> T.DType:
        syms = self.an.symbols
        if n.name in syms.globals:
            if isinstance(syms.globals[n.name].type.resolve(), T.ArrayType):
                self.an.uses.add("global_addr")  # may decay to a pointer (codegen.gmemory)
            return syms.globals[n.name].type
        dv = syms.dynvars.get(("global", n.name))
        if dv is not None and dv.key_types is not None:
            raise err("D_IDENT_BADREF", f"array '{n.name}' may not be referenced as scalar", n)
        if n.name in BUILTINS:
            self.an.uses.add(n.name)
            t = BUILTINS[n.name].type
            return self.string if t.is_string else t
        if n.name in syms.enums:
            value, typ = syms.enums[n.name]
            self.an.consts[n] = value
            return typ
        if n.name == "NULL":
            self.an.consts[n] = 0
            return T.PointerType(T.VOID)
        if n.name == "args":  # the built-in array, used without [ ]
            raise err("D_IDENT_BADREF", "array 'args' may not be referenced as scalar", n)
        from pydtrace.sema.kernel import check_ident

        kt = check_ident(self, n)
        if kt is not None:
            return kt
        raise err("D_IDENT_UNDEF", f"failed to resolve {n.name}: Unknown variable name", n)

    def e_AggRef(self, n: A.AggRef) -> T.DType:
        raise err("D_AGG_FUNC", f"aggregation @{n.name} may not be used in an expression", n)

    def e_Unary(self, n: A.Unary) -> T.DType:
        if n.op in ("++", "--"):
            return self.incdec(n, n.operand)
        t = self.expr(n.operand)
        r = t.resolve()
        c = self.const(n.operand)
        if n.op in ("-", "+", "~"):
            if not r.is_integer:
                kind = "integral" if n.op == "~" else "arithmetic"
                raise err("D_OP_INT" if n.op == "~" else "D_OP_ARITH",
                          f"operator {n.op} requires an operand of {kind} type", n)
            rt = T.promote(t)
            if c is not None:
                self.an.consts[n] = wrap({"-": -c, "+": c, "~": ~c}[n.op], rt)
            return rt
        if n.op == "!":
            if not r.is_scalar:
                raise err("D_OP_SCALAR", "operator ! requires an operand of scalar type", n)
            if c is not None:
                self.an.consts[n] = int(not c)
            return T.INT
        if n.op == "*":
            if not isinstance(r, T.PointerType):
                raise err("D_DEREF_NONPTR", "cannot dereference non-pointer type", n)
            if isinstance(r.target.resolve(), T.VoidType):
                raise err("D_DEREF_VOID", "cannot dereference pointer to void", n)
            if isinstance(r.target.resolve(), T.FunctionType):
                raise err("D_DEREF_FUNC", "cannot dereference pointer to function", n)
            return r.target
        if n.op == "&":
            if isinstance(n.operand, A.MemberRef) and is_bitfield(self, n.operand):
                raise err("D_ADDROF_BITFIELD", "cannot take address of bit-field", n)
            from pydtrace.sema.kernel import kernel_lvalue

            if kernel_lvalue(self, n.operand):  # &p->m, &a[i], &`sym: kernel memory
                from pydtrace.sema.ptrtypes import pointer_to

                return pointer_to(self, t, n)  # D_TYPE_ERR (sema.ptrtypes)
            from pydtrace.sema.gaddr import global_lvalue

            if global_lvalue(self.an, n.operand):  # &a[i], &s.m of D globals
                self.an.uses.add("global_addr")
                return T.PointerType(t)
            if not isinstance(n.operand, A.Ident | A.SelfVar | A.ThisVar | A.Index):
                raise err("D_ADDROF_LVAL", "unacceptable operand for unary & operator", n)
            raise err("D_ADDROF_VAR", "cannot take address of dynamic variable", n)
        raise err("D_SYNTAX", f"unknown operator {n.op}", n)

    def e_Postfix(self, n: A.Postfix) -> T.DType:
        return self.incdec(n, n.operand)

    def incdec(self, n: A.Node, target: A.Expr) -> T.DType:
        if not isinstance(target, A.Ident):
            return self.incdec_other(n, target)
        if isinstance(target, A.Ident) and target.name not in self.an.symbols.globals \
                and target.name not in BUILTINS:
            self.an.symbols.add_global(target.name, T.INT, target.line or None)
        t = self.expr(target)
        self.require_lvalue(target, "++" if "+" in getattr(n, "op", "") else "--")
        if not t.resolve().is_scalar:
            raise err("D_OP_SCALAR", f"operator {n.op} requires operand of scalar type", n)
        r = t.resolve()
        if isinstance(r, T.PointerType) and isinstance(r.target.resolve(), T.VoidType):
            raise err("D_OP_VFPTR", f"operator {n.op} requires an operand of known size", n)
        return t

    def require_lvalue(self, target: A.Expr, op: str) -> None:
        if isinstance(target, A.Ident) and target.name in self.an.symbols.globals:
            return
        raise err("D_OP_LVAL", f"operator {op} requires modifiable lvalue as an operand",
                  target)

    def e_Binary(self, n: A.Binary) -> T.DType:
        lt = self.expr(n.left)
        rt = None
        if n.op in COMPARE_OPS:  # e == TAG: a kernel enum tag (sema.enumtags)
            from pydtrace.sema.enumtags import enum_tag

            rt = enum_tag(self, n, lt)
        if rt is None:
            rt = self.expr(n.right)
        if n.op in ("+", "-"):  # a D global array decays to a pointer
            from pydtrace.sema.gaddr import decay

            lt, rt = decay(self.an, n.left, lt), decay(self.an, n.right, rt)
        lr, rr = lt.resolve(), rt.resolve()
        if n.op in LOGIC_OPS:
            for side in (lr, rr):
                if not side.is_scalar:
                    raise err("D_OP_SCALAR", f"operator {n.op} requires operands of scalar "
                              "type", n)
            self.fold(n, lambda a, b: int(logic(n.op, a, b)), T.INT)
            return T.INT
        if n.op in COMPARE_OPS:
            return self.compare(n, lt, rt)
        if n.op in ("+", "-") and (lr.is_pointer or rr.is_pointer):
            return self.pointer_arith(n, lt, rt)
        kind, tag = ("arithmetic", "D_OP_ARITH") if n.op in ARITH_OPS else ("integral", "D_OP_INT")
        if not (lr.is_integer and rr.is_integer):
            raise err(tag, f"operator {n.op} requires operands of {kind} type", n)
        result = T.promote(lt) if n.op in ("<<", ">>") else T.arith_result(lt, rt)
        if n.op in ("/", "%") and self.const(n.right) == 0:
            raise err("D_DIV_ZERO", "expression contains division by zero", n)
        self.fold(n, lambda a, b: arith(n.op, a, b, result), result)
        return result

    def fold(self, n: A.Binary, fn, result: T.DType) -> None:
        a, b = self.const(n.left), self.const(n.right)
        if a is not None and b is not None:
            self.an.consts[n] = wrap(fn(a, b), result)

    def compare(self, n: A.Binary, lt: T.DType, rt: T.DType) -> T.DType:
        lr, rr = lt.resolve(), rt.resolve()
        if lr.is_string or rr.is_string:
            if null_compare(self, n):  # strstr(s, "x") != NULL: compares addresses
                return T.INT
            if not (string_like(lr) and string_like(rr)):
                raise err("D_OP_INCOMPAT", f'operands have incompatible types: "{lt}" {n.op} '
                          f'"{rt}"', n)
            return T.INT
        if not (lr.is_scalar and rr.is_scalar):
            raise err("D_OP_INCOMPAT", f'operands have incompatible types: "{lt}" {n.op} '
                      f'"{rt}"', n)
        if lr.is_integer and rr.is_integer:
            self.fold(n, lambda a, b: int(compare(n.op, a, b)), T.INT)
        return T.INT

    def pointer_arith(self, n: A.Binary, lt: T.DType, rt: T.DType) -> T.DType:
        lr, rr = lt.resolve(), rt.resolve()
        if lr.is_pointer and rr.is_integer:
            return lt
        if rr.is_pointer and lr.is_integer and n.op == "+":
            return rt
        if lr.is_pointer and rr.is_pointer and n.op == "-":
            return T.LONG
        raise err("D_OP_INCOMPAT", f'operands have incompatible types: "{lt}" {n.op} "{rt}"', n)

    def e_Assign(self, n: A.Assign) -> T.DType:
        if isinstance(n.target, A.AggRef):
            raise err("D_AGG_FUNC", f"@{n.target.name} must be assigned the result of an "
                      "aggregating function", n)
        vt = self.expr(n.value)
        if isinstance(n.target, A.Ident):
            t = self.assign_ident(n, n.target, vt)
        else:
            t = self.assign_other(n, vt)
        if isinstance(n.value, A.Xlate):  # s = xlate<struct T>(x): member by member
            from pydtrace.sema.xlateassign import expand_xlate_assign

            expand_xlate_assign(self, n, t)
        return t

    def assign_ident(self, n: A.Assign, target: A.Ident, vt: T.DType) -> T.DType:
        syms = self.an.symbols
        if target.name in BUILTINS:
            raise err("D_OP_WRITE", f"operator {n.op} can only be applied to a writable "
                      "variable", target)
        var = syms.globals.get(target.name)
        if var is None:
            if n.op != "=":
                var = syms.add_global(target.name, T.INT, target.line or None)
            else:
                var = syms.add_global(target.name, self.var_type(vt, n), target.line or None)
        self.an.types[target] = var.type
        if isinstance(var.type.resolve(), T.ArrayType):
            raise err("D_OP_ARRFUN", f'operator {n.op} may not be applied to operand of type '
                      f'"{var.type}"', n)
        if not assignable(var.type, vt):
            raise err("D_OP_INCOMPAT", f'operands have incompatible types: "{var.type}" '
                      f'{n.op} "{vt}"', n)
        if n.op != "=" and not (var.type.resolve().is_scalar and vt.resolve().is_integer):
            raise err("D_OP_ARITH", f"operator {n.op} requires operands of arithmetic type", n)
        return var.type

    def var_type(self, vt: T.DType, n: A.Node) -> T.DType:
        r = vt.resolve()
        if r.is_string:
            return self.string
        value = getattr(n, "value", None)
        if isinstance(r, T.VoidType) and isinstance(value, A.Call) and value.name in VOID_ACTIONS:
            raise err("D_CG_EXPR", f"action {value.name}( ) may not be called from a D "
                      "expression (D program context required)", n)
        if isinstance(r, T.VoidType):
            raise err("D_OP_VFPTR", "cannot assign void to a variable", n)
        return vt

    def e_Conditional(self, n: A.Conditional) -> T.DType:
        ct = self.expr(n.cond)
        if not ct.resolve().is_scalar:
            raise err("D_OP_SCALAR", "operator ?: requires a scalar first operand", n)
        if isinstance(n.then, A.AggRef) or isinstance(n.otherwise, A.AggRef):
            raise err("D_OP_DYN", "operator ?: operands cannot be of dynamic type", n)
        a, b = self.expr(n.then), self.expr(n.otherwise)
        if any(isinstance(x, A.Call) and isinstance(t.resolve(), T.VoidType)
               for x, t in ((n.then, a), (n.otherwise, b))):
            raise err("D_OP_ACT", "action cannot be used in a conditional context", n)
        ar, br = a.resolve(), b.resolve()
        if ar.is_string and br.is_string:
            return self.string
        if ar.is_integer and br.is_integer:
            result = T.arith_result(a, b)
            c = self.const(n.cond)
            if c is not None:
                branch = self.const(n.then if c else n.otherwise)
                if branch is not None:
                    self.an.consts[n] = wrap(branch, result)
            return result
        if ar.is_pointer and (br.is_pointer or self.const(n.otherwise) == 0):
            return a
        if br.is_pointer and self.const(n.then) == 0:
            return b
        raise err("D_OP_INCOMPAT", "operator ?: operands must have compatible types", n)

    def e_Index(self, n: A.Index) -> T.DType:
        if isinstance(n.base, A.Ident) and n.base.name == "args":
            return self.index_args(n)
        from pydtrace.sema.regs import index_uregs, is_uregs

        if is_uregs(self, n):
            return index_uregs(self, n)
        from pydtrace.sema.kernel import index_inline

        it = index_inline(self, n)  # fds[fd] (io.d)
        if it is not None:
            return it
        if isinstance(n.base, A.ThisVar) and self.dynvar("this", n.base.name) is None:
            from pydtrace.sema.variables import fail

            raise fail("D_ARR_LOCAL", "local variables may not be used as associative "
                       f"arrays: {n.base.name}", n)
        if isinstance(n.base, A.SelfVar) or (isinstance(n.base, A.Ident)
                                             and n.base.name not in self.an.symbols.globals):
            return self.index_assoc(n)
        if len(n.keys) > 1 and isinstance(n.base, A.Ident):
            raise err("D_ARR_BADREF", f"cannot access scalar {n.base.name} as an associative "
                      "array", n)
        return self.index_memory(n)

    def e_Comma(self, n: A.Comma) -> T.DType:
        self.expr(n.left)
        return self.expr(n.right)

    def e_Cast(self, n: A.Cast) -> T.DType:
        from pydtrace.sema.decls import resolve_type_name

        target = resolve_type_name(self, n.type)
        src = self.expr(n.operand)
        tr, sr = target.resolve(), src.resolve()
        if isinstance(tr, T.VoidType):
            return target
        if tr.is_string and (sr.is_string or sr.is_pointer or isinstance(sr, T.ArrayType)):
            return self.string
        if isinstance(tr, T.StructType) and (tr is sr or isinstance(sr, T.StructType) and (
                tr.kind, tr.name) == (sr.kind, sr.name) and tr.name):
            self.an.rewrites[n] = n.operand  # a cast to the same struct type is no change
            return target
        from pydtrace.sema.gaddr import global_object

        if tr.is_scalar and isinstance(sr, T.ArrayType) and global_object(self.an, n.operand):
            return target  # a D global array decays to a pointer (codegen.gmemory)
        if not (tr.is_scalar and sr.is_scalar):
            raise err("D_CAST_INVAL", f'invalid cast expression: "{src}" to "{target}"', n)
        c = self.const(n.operand)
        if c is not None and tr.is_integer:
            self.an.consts[n] = wrap(c, target)
        return target

    def e_Sizeof(self, n: A.Sizeof) -> T.DType:
        from pydtrace.sema.decls import resolve_type_name

        if isinstance(n.operand, A.TypeName):
            t = resolve_type_name(self, n.operand)
        else:
            t = self.expr(n.operand)
            if isinstance(n.operand, A.MemberRef) and is_bitfield(self, n.operand):
                raise err("D_SIZEOF_BITFIELD", "cannot apply sizeof to a bit-field", n)
        if t.size == 0:
            raise err("D_SIZEOF_TYPE", "cannot apply sizeof to an operand of unknown size", n)
        self.an.consts[n] = t.size
        return T.SIZE_T

    def e_Stringof(self, n: A.Stringof) -> T.DType:
        t = self.expr(n.operand).resolve()
        if not (t.is_scalar or t.is_string or isinstance(t, T.ArrayType)):
            raise err("D_STRINGOF_TYPE", "cannot apply stringof to a value of type "
                      f"{self.an.types[n.operand]}", n)
        return self.string

    def e_Call(self, n: A.Call, statement: bool) -> T.DType:
        from pydtrace.sema.calls import check_call

        return check_call(self, n, statement)


# ---------------------------------------------------------------- helpers

PARAM_NAMES = {
    "lquantize": [("D_LQUANT_MATCHBASE", "base"), ("D_LQUANT_MATCHLIM", "limit"),
                  ("D_LQUANT_MATCHSTEP", "step")],
    "llquantize": [("D_LLQUANT_FACTORMATCH", "factor"), ("D_LLQUANT_LOWMATCH", "low magnitude"),
                   ("D_LLQUANT_HIGHMATCH", "high magnitude"),
                   ("D_LLQUANT_NSTEPMATCH", "linear steps per magnitude")],
}


def params_mismatch(stmt: A.AggStmt, old: tuple, new: tuple) -> DCompileError:
    """lquantize()/llquantize() reused with other parameters: name the first that differs."""
    for i, (tag, what) in enumerate(PARAM_NAMES.get(stmt.func, [])):
        if old[i] != new[i]:
            return err(tag, f"{stmt.func}( ) {what} (argument #{i + 1}) doesn't match previous "
                       f"declaration: expected {old[i]}, found {new[i]}", stmt)
    return err("D_AGG_REDEF", f"aggregation redefined: @{stmt.name}", stmt)


def is_bitfield(ck: Checker, n: A.MemberRef) -> bool:
    """Is ``n`` (already typed) a bit-field member?"""
    found = ck.an.members.get(n)
    if found is not None:
        return bool(found[1].bits)
    bt = ck.an.types.get(n.base)
    if bt is None:
        return False
    r = bt.resolve()
    sou = r.target.resolve() if n.arrow and isinstance(r, T.PointerType) else r
    if not isinstance(sou, T.StructType):
        return False
    m = sou.member(n.name)
    return m is not None and bool(m.bits)


def null_compare(ck: Checker, n: A.Binary) -> bool:
    """A string compared with NULL (or 0) compares the string's address."""
    for a, b in ((n.left, n.right), (n.right, n.left)):
        if ck.an.type_of(a).resolve().is_string and ck.const(b) == 0:
            br = ck.an.type_of(b).resolve()
            if br.is_integer or (br.is_pointer and br.target.resolve() is T.VOID):
                ck.an.__dict__.setdefault("null_compares", set()).add(n)
                return True
    return False


def string_like(t: T.DType) -> bool:
    if t.is_string:
        return True
    if isinstance(t, T.PointerType | T.ArrayType):
        elem = t.target if isinstance(t, T.PointerType) else t.elem
        return isinstance(elem.resolve(), T.IntType) and elem.resolve().size == 1
    return False


def compatible(a: T.DType, b: T.DType) -> bool:
    ar, br = a.resolve(), b.resolve()
    if ar.is_string or br.is_string:
        return ar.is_string and br.is_string
    if ar.is_integer and br.is_integer:
        return True
    if ar.is_pointer and br.is_pointer:
        return True
    return ar == br


def assignable(var: T.DType, value: T.DType) -> bool:
    vr, xr = var.resolve(), value.resolve()
    if isinstance(xr, T.ArrayType) and isinstance(vr, T.PointerType):  # array decay
        target = vr.target.resolve()
        return isinstance(target, T.VoidType) or str(target) == str(xr.elem.resolve())
    if vr.is_string:
        return string_like(xr)
    if vr.is_integer:
        return xr.is_integer
    if vr.is_pointer:
        return xr.is_scalar
    return vr == xr


def int_literal_type(n: A.IntLit) -> T.DType:
    text = n.text.lower()
    unsigned = "u" in text
    longs = text.count("l")
    plain_decimal = not text.startswith("0") or text in ("0",) or text.startswith("0u") \
        or text.startswith("0l")
    v = n.value
    candidates: list[T.IntType] = []
    for size_rank, t_s, t_u in ((0, T.INT, T.UINT), (1, T.LONG, T.ULONG), (2, T.LLONG, T.ULLONG)):
        if size_rank < min(longs, 2):
            continue
        if not unsigned:
            candidates.append(t_s)
        if unsigned or not plain_decimal:
            candidates.append(t_u)
    for t in candidates:
        limit = 1 << (t.size * 8 - (1 if t.signed else 0))
        if v < limit:
            return t
    return T.ULLONG


def wrap(value: int, t: T.DType) -> int:
    """``value`` truncated to ``t``'s width and re-signed."""
    r = t.resolve()
    size = r.size if r.size in (1, 2, 4, 8) else 8
    bits = size * 8
    value &= (1 << bits) - 1
    signed = getattr(r, "signed", False) and not r.is_pointer
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def arith(op: str, a: int, b: int, t: T.DType) -> int:
    signed = getattr(t.resolve(), "signed", True)
    if op in ("/", "%"):
        if b == 0:
            return 0
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1) if signed else a // b
        return q if op == "/" else a - q * b
    return {"+": a + b, "-": a - b, "*": a * b, "&": a & b, "|": a | b, "^": a ^ b,
            "<<": a << (b & 63), ">>": a >> (b & 63)}[op]


def compare(op: str, a: int, b: int) -> bool:
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
            ">=": a >= b}[op]


def logic(op: str, a: int, b: int) -> bool:
    return {"&&": bool(a) and bool(b), "||": bool(a) or bool(b),
            "^^": bool(a) != bool(b)}[op]
