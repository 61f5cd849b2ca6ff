"""``d_path(struct path *)`` (and the ``cwd``/``root`` inlines, ``fi_pathname``):
a bounded walk up the dentry tree, crossing mounts through ``struct mount``.

Pass 1 (unrolled, MAX_DEPTH steps) records, per step, the dentry whose name
is a path component (0 for a mount crossing or after the walk stopped) in a
scratch slot. Pass 2 appends "/" + name for the recorded dentries in reverse
order into the result slot, cut at strsize - 1 bytes.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

MAX_DEPTH = 32
FAULT_BADADDR = 1


def offsets() -> dict[str, int]:
    from pydtrace.btf.reader import find_member
    from pydtrace.sema.kernel import kernel_tag

    def off(sname: str, member: str) -> int:
        t = kernel_tag("struct", sname)
        found = find_member(t, member) if t is not None else None  # type: ignore[arg-type]
        if found is None:
            raise DCompileError("D_CG_EXPR", f"d_path( ) needs kernel BTF (struct {sname} "
                                f"member {member})")
        return found[0]

    return {
        "path_mnt": off("path", "mnt"), "path_dentry": off("path", "dentry"),
        "mount_mnt": off("mount", "mnt"), "mnt_parent": off("mount", "mnt_parent"),
        "mnt_mountpoint": off("mount", "mnt_mountpoint"),
        "mnt_root": off("vfsmount", "mnt_root"), "d_parent": off("dentry", "d_parent"),
        "d_name": off("dentry", "d_name") + off("qstr", "name"),
    }


def s_dpath(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    return build(g, compile_int(g, n.args[0]), n.name == "__d_path_mount"), None


def build(g: ClauseGen, path: int, mount: bool = False) -> int:
    """The result slot (offset from the state pointer) holding the path of the
    ``struct path`` at kernel address ``path`` (``mount``: of its mount point).

    The walk's state lives in stack slots, not registers, so nothing stays live
    across the helper calls (few callee-saved registers, no spills)."""
    from pydtrace.codegen.subr_blocks import clamp, fault_if, slot_ptr

    em = g.em
    ofs = offsets()
    arr = g.scratch_slot(max(1, -(-MAX_DEPTH * 8 // g.slot_size)))
    dst = g.scratch_slot(2)  # the second slot is slack for the bounded name copies
    slots = g.dpath_slots
    if slots is None:  # shared by the clause's walks (they do not nest)
        slots = g.dpath_slots = tuple(em.stack_keep(8) for _ in range(4))  # type: ignore
    tmp, sd, sm, sp = slots
    walked = em.new_label("dpw")

    def ld(slot: int) -> int:
        v = em.vreg()
        em.emit(I.ldx(O.DW, v, O.R10, slot))
        return v

    def read(base_slot: int, off: int, fault: bool = False) -> int:
        a = ld(base_slot)
        if off:
            em.emit(I.add64_imm(a, off))
        em.emit(I.st_imm(O.DW, O.R10, tmp, 0))
        ret = em.call(H.PROBE_READ_KERNEL, [("fp", tmp), ("imm", 8), a])
        if fault:
            fault_if(g, O.JNE, ret, 0, FAULT_BADADDR, a)
        else:
            em.emit(I.jmp_imm(O.JNE, ret, 0, walked))
        return ld(tmp)

    for i in range(MAX_DEPTH):
        em.emit(I.st_imm(O.DW, STATE_REG, arr + 8 * i, 0))
    em.emit(I.stx(O.DW, O.R10, sp, path))
    em.emit(I.stx(O.DW, O.R10, sm, read(sp, ofs["path_mnt"], fault=True)))  # vfsmount
    if mount:  # io.d fi_mount: start at the mount's root
        em.emit(I.stx(O.DW, O.R10, sd, read(sm, ofs["mnt_root"], fault=True)))
    else:
        em.emit(I.stx(O.DW, O.R10, sd, read(sp, ofs["path_dentry"], fault=True)))
    m = ld(sm)
    em.emit(I.add64_imm(m, -ofs["mount_mnt"]))  # container_of: the struct mount
    em.emit(I.stx(O.DW, O.R10, sm, m))
    for i in range(MAX_DEPTH):
        nxt, own = em.new_label("dpn"), em.new_label("dpo")
        em.emit(I.jmp_imm(O.JEQ, ld(sd), 0, walked))
        root = read(sm, ofs["mount_mnt"] + ofs["mnt_root"])
        em.emit(I.jmp_reg(O.JNE, ld(sd), root, own))
        parent = read(sm, ofs["mnt_parent"])  # at the mount's root: cross to its parent
        em.emit(I.jmp_reg(O.JEQ, parent, ld(sm), walked))
        em.emit(I.stx(O.DW, O.R10, sp, parent))
        em.emit(I.stx(O.DW, O.R10, sd, read(sm, ofs["mnt_mountpoint"])))
        em.emit(I.stx(O.DW, O.R10, sm, ld(sp)))
        em.emit(I.ja(nxt))
        em.label(own)
        up = read(sd, ofs["d_parent"])
        d = ld(sd)
        em.emit(I.jmp_reg(O.JEQ, up, d, walked))
        em.emit(I.stx(O.DW, STATE_REG, arr + 8 * i, d))
        em.emit(I.stx(O.DW, O.R10, sd, up))
        em.label(nxt)
    em.label(walked)
    em.emit(I.st_imm(O.DW, O.R10, sp, 0))  # sp: the output position from here on
    full = em.new_label("dpf")
    for i in reversed(range(MAX_DEPTH)):
        skip = em.new_label("dps")
        e = em.vreg()
        em.emit(I.ldx(O.DW, e, STATE_REG, arr + 8 * i))
        em.emit(I.jmp_imm(O.JEQ, e, 0, skip))
        em.emit(I.add64_imm(e, ofs["d_name"]))
        em.emit(I.st_imm(O.DW, O.R10, tmp, 0))
        em.call_void(H.PROBE_READ_KERNEL, [("fp", tmp), ("imm", 8), e])
        pos = ld(sp)
        em.emit(I.jmp_imm(O.JGE, pos, g.strsize - 1, full))
        clamp(g, pos, 0, g.strsize - 2)
        p = slot_ptr(g, dst)
        em.emit(I.alu64_reg(O.ADD, p, pos))
        em.emit(I.st_imm(O.B, p, 0, ord("/")))
        em.emit(I.add64_imm(pos, 1))
        em.emit(I.stx(O.DW, O.R10, sp, pos))
        size = em.vreg()
        em.emit(I.mov64_imm(size, g.strsize))
        em.emit(I.alu64_reg(O.SUB, size, pos))
        clamp(g, size, 1, g.strsize)
        em.emit(I.add64_imm(p, 1))
        got = em.call(H.PROBE_READ_KERNEL_STR, [p, size, ld(tmp)])
        em.emit(I.jmp_imm(O.JSLE, got, 0, skip))
        em.emit(I.add64_imm(got, -1))
        pos = ld(sp)
        em.emit(I.alu64_reg(O.ADD, pos, got))
        em.emit(I.stx(O.DW, O.R10, sp, pos))
        em.label(skip)
    em.label(full)
    ok = em.new_label("dpr")
    pos = ld(sp)
    em.emit(I.jmp_imm(O.JNE, pos, 0, ok))
    em.emit(I.st_imm(O.B, STATE_REG, dst, ord("/")))
    em.emit(I.mov64_imm(pos, 1))
    em.label(ok)
    clamp(g, pos, 0, g.strsize - 1)
    end = slot_ptr(g, dst)
    em.emit(I.alu64_reg(O.ADD, end, pos))
    em.emit(I.st_imm(O.B, end, 0, 0))
    em.emit(I.st_imm(O.B, STATE_REG, dst + g.strsize - 1, 0))
    return dst
