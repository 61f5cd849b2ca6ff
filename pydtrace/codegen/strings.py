"""String values: pointers to NUL-terminated buffers readable for ``strsize`` bytes.

Literals live in the read-only ``strtab`` map, temporaries in per-CPU scratch
slots of the machine state, string globals in the ``globals`` map.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.layout import STATE_PROBE_ID
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.sema.symbols import GlobalVar

COMM_SIZE = 16
PROBE_STRINGS = ("probeprov", "probemod", "probefunc", "probename")
# The ``pdesc`` map (one value): for each probe id, its provider, module,
# function and name in PDESC_FIELD-byte NUL-padded fields, followed by strsize
# zero bytes so that a strsize-byte read from any field stays inside the value.
PDESC_MAP = "pdesc"
PDESC_FIELD = 128
PDESC_ENTRY = 4 * PDESC_FIELD
PDESC_SHIFT = 9  # log2(PDESC_ENTRY)


def pdesc_blob(probes: dict, entries: int, strsize: int) -> bytes:
    """The ``pdesc`` map's value for probes by id (``entries`` = max id + 1)."""
    blob = bytearray(entries * PDESC_ENTRY + strsize)
    for pid, p in probes.items():
        for i, text in enumerate((p.provider, p.module, p.function, p.name)):
            raw = text.encode()[:PDESC_FIELD - 1]
            off = pid * PDESC_ENTRY + i * PDESC_FIELD
            blob[off:off + len(raw)] = raw
    return bytes(blob)


def probe_string_ptr(g: ClauseGen, node: A.Ident) -> int:
    """probeprov/mod/func/name of the probe that fired, looked up by probe id."""
    entries = g.pdesc_entries
    if entries <= 0:
        raise DCompileError("D_CG_EXPR", f"{node.name} differs across the probes of "
                            "this clause; not supported here", node.line or None)
    g.pdesc_used = True  # type: ignore[attr-defined]  # ProgramBuilder creates the map
    em = g.em
    idx = em.vreg()
    ok = em.new_label("pdesc")
    em.emit(I.ldx(O.W, idx, STATE_REG, STATE_PROBE_ID))
    em.emit(I.jmp_imm(O.JLT, idx, entries, ok))
    em.emit(I.mov64_imm(idx, 0))
    em.label(ok)
    em.emit(I.alu64_imm(O.LSH, idx, PDESC_SHIFT))
    ptr = em.vreg()
    field = PROBE_STRINGS.index(node.name) * PDESC_FIELD
    em.emit(I.ld_map_value(ptr, PDESC_MAP, field))
    em.emit(I.alu64_reg(O.ADD, ptr, idx))
    return ptr


def literal_of(g: ClauseGen, node: A.Expr) -> bytes | None:
    """The bytes of a string known at compile time."""
    if isinstance(node, A.StrLit):
        return node.value[: g.strsize - 1]
    if isinstance(node, A.Ident) and node.name in PROBE_STRINGS:
        return g.probe_strings.get(node.name)
    return None


def max_length(g: ClauseGen, node: A.Expr) -> int:
    """An upper bound of the bytes (NUL included) a string expression can hold."""
    lit = literal_of(g, node)
    if lit is not None:
        return len(lit) + 1
    if isinstance(node, A.Ident) and node.name == "execname":
        return COMM_SIZE
    return g.strsize


def string_ptr(g: ClauseGen, node: A.Expr) -> int:
    em = g.em
    if node in g.an.rewrites:  # inlines, translated members (sema.kernel)
        return string_ptr(g, g.an.rewrites[node])
    lit = literal_of(g, node)
    if lit is not None:
        reg = em.vreg()
        em.emit(I.ld_map_value(reg, "strtab", g.consts.add(lit)))
        return reg
    if isinstance(node, A.Ident):
        var = g.an.symbols.globals.get(node.name)
        if var is not None and not var.type.resolve().is_pointer:  # char *p: read at p
            from pydtrace.codegen.nullstr import checked

            reg = em.vreg()
            em.emit(I.ld_map_value(reg, "globals", var.offset))
            return checked(g, reg)  # a NULL string is an invalid address fault
        if node.name == "execname":
            return execname_ptr(g)
        if node.name in PROBE_STRINGS:
            return probe_string_ptr(g, node)
    if isinstance(node, A.Conditional):
        return conditional_ptr(g, node)
    return string_other(g, node)


def string_other(g: ClauseGen, node: A.Expr) -> int:
    """Strings computed by subroutines, held by dynamic variables, or read from memory."""
    from pydtrace.codegen import memory, subr, variables

    if isinstance(node, A.Call):
        return subr.string_call(g, node)
    if isinstance(node, A.SelfVar | A.ThisVar) or (
            isinstance(node, A.Index) and isinstance(node.base, A.SelfVar)) or (
            isinstance(node, A.Index) and isinstance(node.base, A.Ident)
            and node.base.name not in g.an.symbols.globals and node.base.name != "args"):
        return variables.string_var(g, node)
    return memory.string_mem(g, node)


def scratch_ptr(g: ClauseGen) -> int:
    off = g.scratch_slot()
    reg = g.em.copy(STATE_REG)
    g.em.emit(I.add64_imm(reg, off))
    return reg


def execname_ptr(g: ClauseGen) -> int:
    from pydtrace.codegen import subject as S  # sched:::on-cpu: the incoming thread

    buf = scratch_ptr(g)
    if S.uses_subject(g):
        S.comm(g, buf, 0, COMM_SIZE)
        return buf
    g.em.call_void(H.GET_CURRENT_COMM, [buf, ("imm", COMM_SIZE)])
    return buf


def conditional_ptr(g: ClauseGen, n: A.Conditional) -> int:
    from pydtrace.codegen.expr import cond_jump

    out = g.em.vreg()
    other, done = g.em.new_label("selse"), g.em.new_label("sdone")
    cond_jump(g, n.cond, other)
    g.em.emit(I.mov64(out, string_ptr(g, n.then)))
    g.em.emit(I.ja(done))
    g.em.label(other)
    g.em.emit(I.mov64(out, string_ptr(g, n.otherwise)))
    g.em.label(done)
    return out


def store_literal(g: ClauseGen, base: int, off: int, data: bytes, size: int) -> None:
    """Writes ``data`` NUL-padded to ``size`` bytes with immediate stores."""
    buf = data[: size - 1] + b"\0" * (size - min(len(data), size - 1))
    pos = 0
    while pos < size:
        chunk = 8 if size - pos >= 8 else 4 if size - pos >= 4 else 2 if size - pos >= 2 else 1
        value = int.from_bytes(buf[pos:pos + chunk], "little")
        if chunk == 8:
            tmp = g.em.vreg()
            g.em.load_imm(tmp, value)
            g.em.emit(I.stx(O.DW, base, off + pos, tmp))
        else:
            signed = value - (1 << (chunk * 8)) if value >> (chunk * 8 - 1) else value
            g.em.emit(I.st_imm(O.SIZE_OF_BYTES[chunk], base, off + pos, signed))
        pos += chunk


def zero_fill(g: ClauseGen, base: int, off: int, size: int) -> None:
    for pos in range(0, size - size % 8, 8):
        g.em.emit(I.st_imm(O.DW, base, off + pos, 0))
    for pos in range(size - size % 8, size):
        g.em.emit(I.st_imm(O.B, base, off + pos, 0))


def copy_string(g: ClauseGen, base: int, off: int, node: A.Expr, size: int,
                pad: bool) -> None:
    """Copies a string value into ``base+off`` (``size`` bytes). With ``pad`` the
    bytes after the NUL are zeroed too (hash-map keys must compare equal)."""
    lit = literal_of(g, node)
    if lit is not None:
        store_literal(g, base, off, lit, size if pad else min(size, len(lit) + 1))
        return
    if isinstance(node, A.Ident) and node.name == "execname" and size >= COMM_SIZE:
        from pydtrace.codegen import subject as S

        if S.uses_subject(g):
            S.comm(g, base, off, COMM_SIZE)
        else:
            g.em.call_void(H.GET_CURRENT_COMM, [("reg+", base, off), ("imm", COMM_SIZE)])
        if pad and size > COMM_SIZE:
            zero_fill(g, base, off + COMM_SIZE, size - COMM_SIZE)
        return
    src = string_ptr(g, node)
    if pad:
        zero_fill(g, base, off, size)
    g.em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", base, off), ("imm", size), src])


def store_string_global(g: ClauseGen, var: GlobalVar, value: A.Expr) -> int:
    dst = g.em.vreg()
    g.em.emit(I.ld_map_value(dst, "globals", var.offset))
    from pydtrace.codegen.nullstr import store

    store(g, dst, 0, value, g.strsize)  # NULL values are marked (codegen.nullstr)
    from pydtrace.codegen.subr import assigned_value

    return assigned_value(g, value, dst)


def string_compare_jump(g: ClauseGen, n: A.Binary, false_label: str) -> None:
    """Jumps to ``false_label`` unless ``left OP right`` holds (strcmp order)."""
    left_lit, right_lit = literal_of(g, n.left), literal_of(g, n.right)
    if n.op in ("==", "!=") and (left_lit is not None or right_lit is not None):
        other = n.right if left_lit is not None else n.left
        lit = left_lit if left_lit is not None else right_lit
        assert lit is not None
        equal_literal_jump(g, other, lit, n.op == "==", false_label)
        return
    cmp = strcmp(g, string_ptr(g, n.left), string_ptr(g, n.right))
    from pydtrace.codegen.expr import JUMP_SIGNED, NEGATE

    g.em.emit(I.jmp_imm(JUMP_SIGNED[NEGATE[n.op]], cmp, 0, false_label))


def equal_literal_jump(g: ClauseGen, node: A.Expr, lit: bytes, want_equal: bool,
                       false_label: str) -> None:
    """Compares ``len(lit)+1`` bytes inline, eight at a time: no helper call."""
    ptr = string_ptr(g, node)
    data = lit + b"\0"
    mismatch = false_label if want_equal else g.em.new_label("ne")
    pos = 0
    while pos < len(data):
        chunk = 8 if len(data) - pos >= 8 else 4 if len(data) - pos >= 4 else \
            2 if len(data) - pos >= 2 else 1
        reg = g.em.vreg()
        g.em.emit(I.ldx(O.SIZE_OF_BYTES[chunk], reg, ptr, pos))
        want = int.from_bytes(data[pos:pos + chunk], "little")
        if chunk == 8 or want >= (1 << 31):
            tmp = g.em.vreg()
            g.em.load_imm(tmp, want)
            g.em.emit(I.jmp_reg(O.JNE, reg, tmp, mismatch))
        else:
            g.em.emit(I.jmp_imm(O.JNE, reg, want, mismatch))
        pos += chunk
    if not want_equal:
        g.em.emit(I.ja(false_label))
        g.em.label(mismatch)


def strcmp(g: ClauseGen, a: int, b: int) -> int:
    """Byte-wise comparison bounded by strsize; returns <0, 0 or >0 in a vreg."""
    em = g.em
    i, out = em.mov_imm(0), em.mov_imm(0)
    loop, done = em.new_label("cmp"), em.new_label("cmpdone")
    pa, pb = em.copy(a), em.copy(b)
    em.label(loop)
    ca, cb = em.vreg(), em.vreg()
    em.emit(I.ldx(O.B, ca, pa, 0))
    em.emit(I.ldx(O.B, cb, pb, 0))
    em.emit(I.mov64(out, ca))
    em.emit(I.alu64_reg(O.SUB, out, cb))
    em.emit(I.jmp_imm(O.JNE, out, 0, done))
    em.emit(I.jmp_imm(O.JEQ, ca, 0, done))
    em.emit(I.add64_imm(pa, 1))
    em.emit(I.add64_imm(pb, 1))
    em.emit(I.add64_imm(i, 1))
    em.emit(I.jmp_imm(O.JLT, i, g.strsize - 1, loop))
    em.label(done)
    return out
