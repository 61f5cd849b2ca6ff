"""Network subroutines: inet_ntoa, inet_ntoa6, inet_ntop (address text) and
the byte-order conversions htons/htonl/htonll and ntohs/ntohl/ntohll."""

from __future__ import annotations

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.codegen import subr_loops as L
from pydtrace.codegen.context import STATE_REG, ClauseGen
from pydtrace.codegen.subr_blocks import (
    FAULT_BADADDR,
    FAULT_ILLOP,
    clamp,
    ctx_get,
    ctx_set,
    fault_if,
    run_loop,
    slot_ptr,
    slots_for,
)
from pydtrace.lang import ast as A

AF_INET, AF_INET6 = 2, 10

def i_bswap(g: ClauseGen, n: A.Call) -> int:
    from pydtrace.codegen.expr import compile_int

    bits = {"s": 16, "l": 32, "ll": 64}[n.name[4:]]
    reg = g.em.copy(compile_int(g, n.args[0]))
    g.em.emit(I.Insn(O.ALU | O.END | 0x08, reg, 0, 0, bits))  # to big endian
    if bits < 64:
        g.em.emit(I.alu64_imm(O.AND, reg, (1 << bits) - 1) if bits < 32 else I.mov32(reg, reg))
    return reg


def s_inet_ntoa(g: ClauseGen, n: A.Call):
    """Dotted quad of the 4 bytes at the address (kernel memory first, then user)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, n.args[0]))
    raw = em.stack_alloc(8)
    got = em.call(H.PROBE_READ_KERNEL, [("fp", raw), ("imm", 4), addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    dst = g.scratch_slot()
    buf = g.scratch_slot()
    pos_reg = slot_ptr(g, dst)
    for k in range(4):
        byte = em.vreg()
        em.emit(I.ldx(O.B, byte, O.R10, raw + k))
        ctx_set(g, L.CTX_A, ("imm", buf))
        ctx_set(g, L.CTX_X1, byte)
        ctx_set(g, L.CTX_X2, ("imm", 10))
        ctx_set(g, L.CTX_X3, ("imm", 70))
        em.emit(I.st_imm(O.B, STATE_REG, buf + 71, ord("." if k < 3 else "\0")))
        em.emit(I.st_imm(O.B, STATE_REG, buf + 72, 0))
        run_loop(g, "digits", None, 4)
        pos = ctx_get(g, L.CTX_X3)
        clamp(g, pos, 60, 70)
        src = slot_ptr(g, buf)
        em.emit(I.alu64_reg(O.ADD, src, pos))
        em.emit(I.add64_imm(src, 1))
        got = em.call(H.PROBE_READ_KERNEL_STR, [pos_reg, ("imm", 6), src])
        clamp(g, got, 1, 6)
        em.emit(I.add64_imm(got, -1))
        em.emit(I.alu64_reg(O.ADD, pos_reg, got))
    return dst, None


def read_addr(g: ClauseGen, node: A.Expr, size: int) -> int:
    """Copies ``size`` bytes at the address into scratch (a fault if unreadable)."""
    from pydtrace.codegen.expr import compile_int

    em = g.em
    addr = em.copy(compile_int(g, node))
    raw = slots_for(g, 16)
    got = em.call(H.PROBE_READ_KERNEL, [("reg+", STATE_REG, raw), ("imm", size), addr])
    fault_if(g, O.JSLT, got, 0, FAULT_BADADDR, addr)
    return raw


def s_inet_ntoa6(g: ClauseGen, n: A.Call):
    raw = read_addr(g, n.args[0], 16)
    out = slots_for(g, L.NTOP_BUF)
    ntoa6_text(g, raw, out, False)
    dst = g.scratch_slot()
    g.em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize),
                                             slot_ptr(g, out)])
    return dst, None


def s_inet_ntop(g: ClauseGen, n: A.Call):
    from pydtrace.codegen.expr import compile_int

    em = g.em
    af = em.copy(compile_int(g, n.args[0]))
    inet6, done = em.new_label("ntop6"), em.new_label("ntopd")
    em.emit(I.jmp_imm(O.JEQ, af, AF_INET6, inet6))
    fault_if(g, O.JNE, af, AF_INET, FAULT_ILLOP)
    out = slots_for(g, L.NTOP_BUF)
    raw = read_addr(g, n.args[1], 4)
    # the four bytes as the embedded IPv4 part (bytes 12-15) of the v6 writer
    word = em.vreg()
    em.emit(I.ldx(O.W, word, STATE_REG, raw))
    em.emit(I.stx(O.W, STATE_REG, raw + 12, word))
    pos = ntoa6_run(g, raw, out, em.mov_imm(12), 4)
    clamp(g, pos, 0, L.NTOP_BUF - 1)
    end = slot_ptr(g, out)
    em.emit(I.alu64_reg(O.ADD, end, pos))
    em.emit(I.st_imm(O.B, end, 0, 0))
    em.emit(I.ja(done))
    em.label(inet6)
    raw6 = read_addr(g, n.args[1], 16)
    ntoa6_text(g, raw6, out, True)
    em.label(done)
    dst = g.scratch_slot()
    em.call_void(H.PROBE_READ_KERNEL_STR, [("reg+", STATE_REG, dst), ("imm", g.strsize),
                                           slot_ptr(g, out)])
    return dst, None


def ntoa6_text(g: ClauseGen, raw: int, out: int, ntop: bool) -> None:
    """The text of the 16 bytes at state + raw into state + out (illumos'
    algorithm: the longest zero run becomes "::"; a v4-mapped or v4-compatible
    address ends in dotted decimal, and inet_ntoa6 then prints only that part)."""
    em = g.em
    words = []
    for k in range(4):
        w = em.vreg()
        em.emit(I.ldx(O.W, w, STATE_REG, raw + 4 * k))
        words.append(w)
    v4 = em.mov_imm(0)
    no4, yes4 = em.new_label("no4"), em.new_label("yes4")
    em.emit(I.jmp_imm(O.JNE, words[0], 0, no4))
    em.emit(I.jmp_imm(O.JNE, words[1], 0, no4))
    compat = em.new_label("compat")
    em.emit(I.jmp_imm(O.JEQ, words[2], 0, compat))
    mapped = em.mov_imm(0xFFFF0000)
    em.emit(I.jmp_reg(O.JNE, words[2], mapped, no4))
    em.emit(I.ja(yes4))
    em.label(compat)  # ::a.b.c.d, except :: and ::1
    em.emit(I.jmp_imm(O.JEQ, words[3], 0, no4))
    em.emit(I.jmp_imm(O.JEQ, words[3], 0x01000000, no4))
    em.label(yes4)
    em.emit(I.mov64_imm(v4, 1))
    em.label(no4)
    ctx_set(g, L.CTX_A, ("imm", raw))
    ctx_set(g, L.CTX_X1, ("imm", -1))
    ctx_set(g, L.CTX_X2, ("imm", -1))
    ctx_set(g, L.CTX_X3, ("imm", 1))
    run_loop(g, "zrun", None, 16)
    fz, nz = ctx_get(g, L.CTX_X2), ctx_get(g, L.CTX_X3)
    last = em.mov_imm(7)
    first = em.mov_imm(0)
    plain = em.new_label("plain6")
    em.emit(I.jmp_imm(O.JEQ, v4, 0, plain))
    em.emit(I.mov64_imm(last, 5))
    if not ntop:
        em.emit(I.mov64_imm(first, 12))
    em.label(plain)
    # "::" at group fz/2 when the run's last group (fz + nz - 2)/2 is printed
    cstart, nextk, skipc = em.mov_imm(-1), em.copy(fz), em.mov_imm(-1)
    em.emit(I.alu64_reg(O.ADD, nextk, nz))
    em.emit(I.alu64_imm(O.ARSH, nextk, 1))
    nozero = em.new_label("nz6")
    em.emit(I.jmp_imm(O.JSLT, fz, 0, nozero))
    half = em.copy(fz)
    em.emit(I.alu64_imm(O.RSH, half, 1))
    em.emit(I.mov64(skipc, half))
    rend = em.copy(nextk)
    em.emit(I.add64_imm(rend, -1))
    em.emit(I.jmp_reg(O.JSGT, rend, last, nozero))
    em.emit(I.mov64(cstart, half))
    em.label(nozero)
    ctx_set(g, L.CTX_X3, cstart)
    ctx_set(g, L.CTX_X4, nextk)
    ctx_set(g, L.CTX_X5, skipc)
    ctx_set(g, L.CTX_X6, last)
    ctx_set(g, L.CTX_OUT, v4)
    pos = ntoa6_run(g, raw, out, first, 16)
    clamp(g, pos, 0, L.NTOP_BUF - 1)
    end = slot_ptr(g, out)
    em.emit(I.alu64_reg(O.ADD, end, pos))
    em.emit(I.st_imm(O.B, end, 0, 0))


def ntoa6_run(g: ClauseGen, raw: int, out: int, first: int, count: int) -> int:
    """Runs the ntoa6 writer from item ``first``; returns the text's length."""
    em = g.em
    loopvars = slots_for(g, 16)
    ctx_set(g, L.CTX_A, ("imm", out))
    ctx_set(g, L.CTX_B, ("imm", raw))
    ctx_set(g, L.CTX_X7, ("imm", loopvars))
    em.emit(I.stx(O.DW, STATE_REG, loopvars, first))
    em.emit(I.st_imm(O.DW, STATE_REG, loopvars + 8, 0))
    run_loop(g, "ntoa6", None, count)
    pos = em.vreg()
    em.emit(I.ldx(O.DW, pos, STATE_REG, loopvars + 8))
    return pos
