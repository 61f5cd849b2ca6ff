"""Lowering of the user-stack built-ins: ``ustack()`` (action and aggregation key),
``ucaller``, ``ustackdepth``, ``usym()``/``ufunc()``/``uaddr()``/``umod()``.

Stacks are walked by ``bpf_get_stack``/``bpf_get_stackid`` with BPF_F_USER_STACK
(frame pointers; the kernel adds the caller at a uprobe on a function's first
instruction). A ustack() key is ``pid << 32 | stack id`` into the ``ustacks``
stack-trace map; a usym()-family key is the address, with its process noted in
the ``upids`` map (address -> pid) for the consumer, which symbolizes through
``output.ustacks`` from /proc/PID/maps and the objects' ELF symbols.
"""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen.context import ClauseGen
from pydtrace.codegen.kernel import BPF_F_REUSE_STACKID, BPF_F_USER_STACK, MAX_FRAMES, ctx_reg
from pydtrace.lang import ast as A

USTACK_MAP = "ustacks"
UPIDS_MAP = "upids"
UPIDS_ENTRIES = 16384
USTACK_ENTRIES = 4096
UCALLS = {"ustack", "jstack", "usym", "ufunc", "uaddr", "umod"}


def ustack_frames(g: ClauseGen, n: A.Call) -> int:
    if n.args:
        c = g.an.consts.get(n.args[0])
        return max(1, min(MAX_FRAMES, c or 1))
    opt = "jstackframes" if n.name == "jstack" else "ustackframes"
    return max(1, min(MAX_FRAMES, int(g.options[opt])))


def load_builtin(g: ClauseGen, name: str) -> int:
    em = g.em
    if name == "ucaller" and g.info.probes and all(p.kind in ("uprobe_entry",
                                                                  "umulti_entry")
                                                   for p in g.info.probes):
        # at a function's first instruction the return address is at [sp] (the frame
        # pointer walk would skip the caller), as DTrace reads it on entry probes
        from pydtrace.codegen.uprobe import PT

        slot = em.stack_alloc(8)
        em.zero_stack(slot, 8)
        sp = em.vreg()
        em.emit(I.ldx(O.DW, sp, ctx_reg(g), PT["sp"]))
        em.call_void(H.PROBE_READ_USER, [("fp", slot), ("imm", 8), sp])
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, 10, slot))
        return reg
    if name == "ucaller":
        buf = em.stack_alloc(16)
        em.zero_stack(buf, 16)
        em.call_void(H.GET_STACK, [ctx_reg(g), ("fp", buf), ("imm", 16),
                                   ("imm", BPF_F_USER_STACK)])
        reg = em.vreg()
        em.emit(I.ldx(O.DW, reg, 10, buf + 8))
        return reg
    # ustackdepth
    from pydtrace.codegen.strings import scratch_ptr

    buf = scratch_ptr(g)
    size = min(MAX_FRAMES * 8, (g.slot_size // 8) * 8)
    n = em.call(H.GET_STACK, [ctx_reg(g), buf, ("imm", size), ("imm", BPF_F_USER_STACK)])
    done = em.new_label("usd")
    em.emit(I.jmp_imm(O.JSGT, n, 0, done))
    em.emit(I.mov64_imm(n, 0))
    em.label(done)
    em.emit(I.alu64_imm(O.RSH, n, 3))
    return n


def tgid(g: ClauseGen) -> int:
    r = g.em.call(H.GET_CURRENT_PID_TGID)
    g.em.emit(I.alu64_imm(O.RSH, r, 32))
    return r


def lower_call(g: ClauseGen, n: A.Call) -> int:
    """ustack() as a key: pid << 32 | stack id; usym() and friends: the address."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    if n.name in ("ustack", "jstack"):
        frames = getattr(g.an, "ustack_key_frames", set())
        nframes = ustack_frames(g, n)
        frames.add(nframes)
        g.an.ustack_key_frames = frames  # type: ignore[attr-defined]  # sizes the map
        sid = em.call(H.GET_STACKID, [ctx_reg(g), ("map", USTACK_MAP),
                                      ("imm", BPF_F_USER_STACK | BPF_F_REUSE_STACKID)])
        em.emit(I.mov32(sid, sid))
        # ids are < USTACK_ENTRIES: bits 24-30 carry nframes (bit 31: a failed lookup)
        em.emit(I.alu64_imm(O.OR, sid, nframes << 24))
        pid = tgid(g)
        em.emit(I.alu64_imm(O.LSH, pid, 32))
        em.emit(I.alu64_reg(O.OR, sid, pid))
        return sid
    addr = compile_int(g, n.args[0])
    note_pid(g, addr)
    return addr


def note_pid(g: ClauseGen, addr: int) -> None:
    """upids[addr] = the current process (the consumer's key to its address space)."""
    em = g.em
    g.an.uses.add("upids")
    key, val = em.stack_alloc(8), em.stack_alloc(8)
    em.emit(I.stx(O.DW, 10, key, addr))
    pid = tgid(g)
    em.emit(I.stx(O.DW, 10, val, pid))
    em.call_void(H.MAP_UPDATE_ELEM, [("map", UPIDS_MAP), ("fp", key), ("fp", val),
                                     ("imm", 0)])


def act_ustack(g: ClauseGen, n: A.Call) -> None:
    """The ustack() action: the pid, then the PCs, straight into the record."""
    from pydtrace.output.ustacks import UStackAct

    nframes = ustack_frames(g, n)
    assert g.record is not None
    pid_fld = g.info.layout.add(8, "int", False)
    g.em.emit(I.stx(O.DW, g.record, pid_fld.offset, tgid(g)))
    fld = g.info.layout.add(nframes * 8, "bytes", False)
    g.em.call_void(H.GET_STACK, [ctx_reg(g), ("reg+", g.record, fld.offset),
                                 ("imm", nframes * 8), ("imm", BPF_F_USER_STACK)])
    g.info.actions.append(UStackAct(pid_fld, fld, nframes))


def record_uaddr(g: ClauseGen, n: A.Call) -> None:
    """trace(usym(addr)) and friends: pid and address, symbolized by the consumer."""
    from pydtrace.codegen.expr import compile_int
    from pydtrace.output.ustacks import USymAct

    assert g.record is not None
    pid_fld = g.info.layout.add(8, "int", False)
    g.em.emit(I.stx(O.DW, g.record, pid_fld.offset, tgid(g)))
    fld = g.info.layout.add(8, "int", False)
    g.em.emit(I.stx(O.DW, g.record, fld.offset, compile_int(g, n.args[0])))
    g.info.actions.append(USymAct(pid_fld, fld, n.name))


def map_specs(an, options) -> list:
    from pydtrace.codegen.program import MapSpec
    from pydtrace.sys import syscall as sc

    out = []
    used = getattr(an, "ustack_key_frames", set())
    if used:
        out.append(MapSpec(USTACK_MAP, sc.BPF_MAP_TYPE_STACK_TRACE, 4, 8 * max(used),
                           USTACK_ENTRIES))
    if "upids" in an.uses:
        out.append(MapSpec(UPIDS_MAP, sc.BPF_MAP_TYPE_LRU_HASH, 8, 8, UPIDS_ENTRIES))
    return out
