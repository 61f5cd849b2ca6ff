"""Lowering of dynamic variables: ``self->``, ``this->`` and associative arrays.

* ``this->x``: fixed offsets in the per-CPU state map, between the machine state
  and the scratch slots (``STATE_SCRATCH + var.offset``); shared by the clauses
  of one firing, never zeroed.
* ``self->x``, ``self->a[k]`` and global arrays ``a[k1, k2]``: one BPF hash map
  per variable (``dv<id>``). Thread-local keys start with the 64-bit
  ``pid_tgid`` (init-namespace tgid and tid: unique across pid namespaces);
  then each key: integers 8 bytes, strings ``strsize`` bytes rounded up to 8,
  zero padded. Values: 8 bytes for integers and pointers (stored extended),
  ``strsize`` rounded up for strings.

A missing element reads 0 (or ""); storing 0 into an integer deletes it; a
failed insertion (map full: ``dynvarsize``) counts a dynamic variable drop in
the state map (``STATE_DYNDROPS``), reported by the consumer.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import STATE_DYNDROPS, STATE_SCRATCH
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.sema.symbols import DynVar
from pydtrace.sema.variables import value_size
from pydtrace.types import model as T

BPF_ANY = 0
STACK_KEY_MAX = 64  # bigger keys are built in scratch slots of the state map


def unsupported(node: A.Node, what: str) -> DCompileError:
    return DCompileError("D_VAR_UNSUP", f"{what} are not supported yet", node.line or None)


def map_name(var: DynVar) -> str:
    return f"dv{var.id}"


def key_fields(var: DynVar, strsize: int) -> list[tuple[int, int, str]]:
    """(offset, size, kind) of each key part; kind ``tid``, ``int`` or ``string``."""
    parts: list[tuple[int, int, str]] = []
    off = 0
    if var.scope == "self":
        parts.append((0, 8, "tid"))
        off = 8
    for kt in var.key_types or []:
        r = kt.resolve()
        if isinstance(r, T.StructType):  # a struct or union key: a copy of its bytes
            size, kind = (max(1, r.size) + 7) & ~7, "sou"
        else:
            size = (strsize + 7) & ~7 if r.is_string else 8
            kind = "string" if r.is_string else "int"
        parts.append((off, size, kind))
        off += size
    return parts


def key_size(var: DynVar, strsize: int) -> int:
    return sum(size for _, size, _ in key_fields(var, strsize))


def dynvar_maps(an, options) -> list:
    """MapSpecs of the hash maps of thread-local variables and associative arrays."""
    from pydtrace.codegen.program import MapSpec
    from pydtrace.sys import syscall as sc

    specs = []
    budget = int(options["dynvarsize"])
    for var in an.symbols.dynvars.values():
        if var.scope == "this":
            continue
        ks, vs = key_size(var, an.strsize), value_size(var, an.strsize)
        entries = max(1, budget // (ks + vs + 64))
        specs.append(MapSpec(map_name(var), sc.BPF_MAP_TYPE_HASH, ks, vs, entries))
    return specs


def var_of(g: ClauseGen, node: A.Expr) -> DynVar:
    syms = g.an.symbols.dynvars
    if isinstance(node, A.SelfVar):
        return syms[("self", node.name)]
    if isinstance(node, A.ThisVar):
        return syms[("this", node.name)]
    assert isinstance(node, A.Index)
    if isinstance(node.base, A.SelfVar):
        return syms[("self", node.base.name)]
    assert isinstance(node.base, A.Ident)
    return syms[("global", node.base.name)]


def check_value_type(var: DynVar, node: A.Node) -> None:
    r = var.type.resolve()
    if not (r.is_scalar or r.is_string):
        raise DCompileError("D_CG_DYN", f"dynamic variables of type {var.type} are not "
                            "supported yet", node.line or None)


def build_key(g: ClauseGen, var: DynVar, node: A.Expr) -> int | tuple:
    """Writes the key of ``node``'s element; returns a helper-argument form."""
    from pydtrace.codegen.expr import compile_int
    from pydtrace.codegen.strings import copy_string

    em = g.em
    fields = key_fields(var, g.strsize)
    size = sum(s for _, s, _ in fields)
    if size <= STACK_KEY_MAX:
        base, boff = 10, em.stack_alloc(size)
        arg: int | tuple = ("fp", boff)
    else:
        boff = g.scratch_slot()
        for _ in range(1, -(-size // g.slot_size)):
            g.scratch_slot()
        base = STATE_REG
        arg = ("reg+", STATE_REG, boff)
    keys = node.keys if isinstance(node, A.Index) else []
    it = iter(keys)
    for off, fsize, kind in fields:
        if kind == "tid":
            from pydtrace.codegen import subject as S  # sched:::on-cpu: the incoming thread

            r = S.pid_tgid(g) if S.uses_subject(g) else em.call(H.GET_CURRENT_PID_TGID)
            em.emit(I.stx(O.DW, base, boff + off, r))
        elif kind == "int":
            em.emit(I.stx(O.DW, base, boff + off, compile_int(g, next(it))))
        elif kind == "sou":
            copy_sou_key(g, base, boff + off, next(it), fsize)
        else:
            copy_string(g, base, boff + off, next(it), fsize, pad=True)
    return arg


def copy_sou_key(g: ClauseGen, base: int, off: int, node: A.Expr, size: int) -> None:
    """A struct or union key: its bytes (zero-padded to ``size``) at base+off."""
    from pydtrace.codegen.dstructs import address
    from pydtrace.codegen.faults import fault_label
    from pydtrace.codegen.subr_blocks import fault_addr

    em = g.em
    nbytes = max(1, g.an.type_of(node).resolve().size)
    for pad in range(nbytes & ~7, size, 8):  # the tail past the last whole word
        em.emit(I.st_imm(O.DW, base, off + pad, 0))
    src = address(g, node)
    dst = em.copy(base)
    em.emit(I.add64_imm(dst, off))
    got = em.call(H.PROBE_READ_KERNEL, [dst, ("imm", nbytes), src])
    em.emit(I.jmp_imm(O.JSLT, got, 0, fault_label(g, 1, fault_addr(g, src))))


def lookup(g: ClauseGen, var: DynVar, key) -> int:
    return g.em.call(H.MAP_LOOKUP_ELEM, [("map", map_name(var)), key])


def this_off(g: ClauseGen, var: DynVar) -> int:
    return STATE_SCRATCH + var.offset


# ---------------------------------------------------------------- reads


def read_int(g: ClauseGen, node: A.Expr) -> int:
    var = var_of(g, node)
    check_value_type(var, node)
    em = g.em
    if var.scope == "this":
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, STATE_REG, this_off(g, var)))
        return reg
    ptr = lookup(g, var, build_key(g, var, node))
    out = em.vreg()
    found, done = em.new_label("dvfound"), em.new_label("dvdone")
    em.emit(I.jmp_imm(O.JNE, ptr, 0, found))
    em.emit(I.mov64_imm(out, 0))
    em.emit(I.ja(done))
    em.label(found)
    em.emit(I.ldx(O.DW, out, ptr, 0))
    em.label(done)
    return out


def lower_self(g: ClauseGen, n: A.SelfVar) -> int:
    return read_int(g, n)


def lower_this(g: ClauseGen, n: A.ThisVar) -> int:
    return read_int(g, n)


def lower_index_assoc(g: ClauseGen, n: A.Index) -> int:
    return read_int(g, n)


def string_var(g: ClauseGen, node: A.Expr) -> int:
    """Pointer to the string held by a dynamic variable; NULL (a missing element
    or a stored NULL, codegen.nullstr) is an invalid address fault."""
    from pydtrace.codegen.nullstr import checked, var_ptr

    ptr = var_ptr(g, node)
    assert ptr is not None
    return checked(g, ptr)


# ---------------------------------------------------------------- writes


def count_dyndrop(g: ClauseGen) -> None:
    reg = g.em.vreg()
    g.em.emit(I.ldx(O.DW, reg, STATE_REG, STATE_DYNDROPS))
    g.em.emit(I.add64_imm(reg, 1))
    g.em.emit(I.stx(O.DW, STATE_REG, STATE_DYNDROPS, reg))


def write_int(g: ClauseGen, var: DynVar, key, value: int) -> None:
    """Stores ``value``: 0 deletes the element; a failed insertion is a drop."""
    em = g.em
    if var.scope == "this":
        em.emit(I.stx(O.DW, STATE_REG, this_off(g, var), value))
        return
    store, done = em.new_label("dvstore"), em.new_label("dvstored")
    em.emit(I.jmp_imm(O.JNE, value, 0, store))
    em.call_void(H.MAP_DELETE_ELEM, [("map", map_name(var)), key])
    em.emit(I.ja(done))
    em.label(store)
    slot = em.stack_alloc(8)
    em.emit(I.stx(O.DW, 10, slot, value))
    r = em.call(H.MAP_UPDATE_ELEM, [("map", map_name(var)), key, ("fp", slot),
                                    ("imm", BPF_ANY)])
    em.emit(I.jmp_imm(O.JEQ, r, 0, done))
    count_dyndrop(g)
    em.label(done)


def write_string(g: ClauseGen, var: DynVar, key, value: A.Expr) -> int:
    from pydtrace.codegen.nullstr import null_jump, store
    from pydtrace.codegen.subr import assigned_value

    em = g.em
    if var.scope == "this":
        off = this_off(g, var)
        store(g, STATE_REG, off, value, g.strsize)
        ptr = em.copy(STATE_REG)
        em.emit(I.add64_imm(ptr, off))
        return assigned_value(g, value, ptr)
    slot = g.scratch_slot()
    store(g, STATE_REG, slot, value, g.strsize)
    done, null = em.new_label("dsstored"), em.new_label("dsnull")
    sptr = em.copy(STATE_REG)
    em.emit(I.add64_imm(sptr, slot))
    null_jump(g, sptr, null)  # storing NULL deletes the element (reads back NULL)
    r = em.call(H.MAP_UPDATE_ELEM, [("map", map_name(var)), key, ("reg+", STATE_REG, slot),
                                    ("imm", BPF_ANY)])
    em.emit(I.jmp_imm(O.JEQ, r, 0, done))
    count_dyndrop(g)
    em.emit(I.ja(done))
    em.label(null)
    em.call_void(H.MAP_DELETE_ELEM, [("map", map_name(var)), key])
    em.label(done)
    ptr = em.copy(STATE_REG)
    em.emit(I.add64_imm(ptr, slot))
    return assigned_value(g, value, ptr)


def is_dynvar(g: ClauseGen, node: A.Expr) -> bool:
    if isinstance(node, A.SelfVar | A.ThisVar):
        return True
    return isinstance(node, A.Index) and (
        isinstance(node.base, A.SelfVar) or (
            isinstance(node.base, A.Ident) and node.base.name not in g.an.symbols.globals
            and node.base.name != "args"))


def current(g: ClauseGen, var: DynVar, key) -> int:
    """The element's value (0 when missing), for compound assignments."""
    em = g.em
    if var.scope == "this":
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, STATE_REG, this_off(g, var)))
        return reg
    ptr = lookup(g, var, key)
    out = em.mov_imm(0)
    done = em.new_label("dvcur")
    em.emit(I.jmp_imm(O.JEQ, ptr, 0, done))
    em.emit(I.ldx(O.DW, out, ptr, 0))
    em.label(done)
    return out


def store_other(g: ClauseGen, n: A.Assign) -> int:
    """Assignment to a dynamic variable or memory location; returns the value vreg."""
    from pydtrace.codegen.expr import compile_int, emit_arith, normalize

    if not is_dynvar(g, n.target):
        from pydtrace.codegen.memory import store_member

        return store_member(g, n)
    var = var_of(g, n.target)
    check_value_type(var, n.target)
    key = None if var.scope == "this" else build_key(g, var, n.target)
    if var.type.resolve().is_string:
        return write_string(g, var, key, n.value)
    if n.op != "=":  # the target is read before the right operand is evaluated
        cur = current(g, var, key)
        value = compile_int(g, n.value)
        emit_arith(g, n.op[:-1], cur, value, var.type, n)
        value = cur
    else:
        value = compile_int(g, n.value)
    value = g.em.copy(value)
    normalize(g, value, var.type)
    write_int(g, var, key, value)
    return value


def incdec_other(g: ClauseGen, target: A.Expr, op: str, prefix: bool) -> int:
    from pydtrace.codegen.assign import stepped

    if not is_dynvar(g, target):
        from pydtrace.codegen.memory import incdec_member

        return incdec_member(g, target, op, prefix)
    var = var_of(g, target)
    check_value_type(var, target)
    key = None if var.scope == "this" else build_key(g, var, target)
    old = current(g, var, key)
    new = stepped(g, old, op, var.type)
    write_int(g, var, key, new)
    return new if prefix else old
