"""Trampoline argument fills for user-space probes (pid and USDT providers).

Uprobes run BPF_PROG_TYPE_KPROBE programs whose context is the user's
``struct pt_regs`` (x86-64), read directly with ``ldx``. USDT arguments come
from the SystemTap SDT operand strings (``-4@%eax``, ``8@-16(%rbp)``,
``-4@$5``, ``8@40+sym(%rip)``), parsed by :func:`parse_sdt_args` into
hashable tuples that travel in ``Probe.data`` and select the program group.
"""

from __future__ import annotations

import re

from pydtrace.bpf import helpers as H
from pydtrace.bpf import insn as I
from pydtrace.bpf import opcodes as O
from pydtrace.bpf.insn import Item
from pydtrace.codegen.layout import STATE_ARGS

# struct pt_regs (x86-64) offsets
PT = {"r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56,
      "r9": 64, "r8": 72, "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112, "ip": 128,
      "sp": 152}
ENTRY_ARG_REGS = ("di", "si", "dx", "cx", "r8", "r9")
MEM_SLOT = -8


def _regs() -> dict[str, tuple[int, int, int]]:
    """Register name -> (pt_regs offset, width in bytes, bit shift)."""
    out: dict[str, tuple[int, int, int]] = {}
    for r in ("ax", "bx", "cx", "dx"):
        off = PT[r]
        out.update({"r" + r: (off, 8, 0), "e" + r: (off, 4, 0), r: (off, 2, 0),
                    r[0] + "l": (off, 1, 0), r[0] + "h": (off, 1, 8)})
    for r in ("si", "di", "bp", "sp"):
        off = PT[r]
        out.update({"r" + r: (off, 8, 0), "e" + r: (off, 4, 0), r: (off, 2, 0),
                    r + "l": (off, 1, 0)})
    for n in range(8, 16):
        off = PT[f"r{n}"]
        out.update({f"r{n}": (off, 8, 0), f"r{n}d": (off, 4, 0), f"r{n}w": (off, 2, 0),
                    f"r{n}b": (off, 1, 0), f"r{n}l": (off, 1, 0)})
    out["rip"] = (PT["ip"], 8, 0)
    return out


REGS = _regs()
MEM_RE = re.compile(r"^(?P<disp>[-+]?[\w.$@+-]*?)\((?P<base>%\w+)?(?:,(?P<index>%\w+)"
                    r"(?:,(?P<scale>\d+))?)?\)$")


class SdtArgError(ValueError):
    pass


def _num(text: str) -> int:
    return int(text, 0) if text else 0


def parse_sdt_arg(spec: str, symbol_value=None) -> tuple:
    """One ``N@operand`` -> ("reg", off, shift, size, signed) | ("imm", value, size, signed)
    | ("mem", base_off, index_off, scale, disp, size, signed) where base_off -1 is none
    and base_off -2 means rip-relative (disp then is relative to the probe pc)."""
    size_text, at, op = spec.partition("@")
    if not at:
        size_text, op = "8", spec
    try:
        size = int(size_text)
    except ValueError:
        raise SdtArgError(spec) from None
    signed = size < 0
    size = abs(size) or 8
    if size not in (1, 2, 4, 8):
        raise SdtArgError(spec)
    if op.startswith("%"):
        reg = REGS.get(op[1:])
        if reg is None:
            raise SdtArgError(spec)
        off, width, shift = reg
        return ("reg", off, shift, min(size, width), signed)
    if op.startswith("$"):
        try:
            return ("imm", _num(op[1:]), size, signed)
        except ValueError:
            raise SdtArgError(spec) from None
    m = MEM_RE.match(op)
    if m is None:
        raise SdtArgError(spec)
    base, index = m.group("base"), m.group("index")
    scale = int(m.group("scale") or 1)
    disp_text = m.group("disp") or ""
    disp = 0
    for term in re.findall(r"[-+]?[^-+]+", disp_text):
        t = term.lstrip("+")
        try:
            disp += int(t, 0)
        except ValueError:
            neg = t.startswith("-")
            value = symbol_value(t.lstrip("-")) if symbol_value else None
            if value is None:
                raise SdtArgError(spec) from None
            disp += -value if neg else value
    if base == "%rip":
        if index:
            raise SdtArgError(spec)
        return ("mem", -2, -1, 1, disp, size, signed)
    base_off = REGS[base[1:]][0] if base and base[1:] in REGS else -1
    index_off = REGS[index[1:]][0] if index and index[1:] in REGS else -1
    if (base and base_off < 0) or (index and index_off < 0):
        raise SdtArgError(spec)
    return ("mem", base_off, index_off, scale, disp, size, signed)


def parse_sdt_args(text: str, pc: int, symbol_value=None) -> tuple:
    """All operands of a note; rip-relative displacements become pc-relative."""
    out = []
    for spec in text.split():
        arg = parse_sdt_arg(spec, symbol_value)
        if arg[0] == "mem" and arg[1] == -2:
            arg = arg[:4] + (arg[4] - pc,) + arg[5:]
        out.append(arg)
    return tuple(out)


def _zero(out: list[Item], first: int) -> None:
    for i in range(first, 10):
        out.append(I.st_imm(O.DW, O.R7, STATE_ARGS + 8 * i, 0))


def _extend(out: list[Item], size: int, signed: bool) -> None:
    """R1 truncated to ``size`` bytes, sign- or zero-extended."""
    if size == 8:
        return
    if signed:
        out.append(I.movsx64(O.R1, O.R1, size * 8))
    elif size == 4:
        out.append(I.mov32(O.R1, O.R1))
    else:
        out.append(I.alu64_imm(O.AND, O.R1, (1 << (size * 8)) - 1))


def args_uprobe_entry(out: list[Item]) -> None:
    """pid entry / offset probes: arg0..5 = di si dx cx r8 r9 (System V ABI)."""
    for i, reg in enumerate(ENTRY_ARG_REGS):
        out += [I.ldx(O.DW, O.R1, O.R6, PT[reg]), I.stx(O.DW, O.R7, STATE_ARGS + 8 * i, O.R1)]
    _zero(out, 6)


def args_uprobe_return(out: list[Item]) -> None:
    """pid return probes (uretprobes): arg0 = 0 (the returning instruction's offset is
    not known to a uretprobe), arg1 = the return value (ax)."""
    out += [I.st_imm(O.DW, O.R7, STATE_ARGS, 0), I.ldx(O.DW, O.R1, O.R6, PT["ax"]),
            I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1)]
    _zero(out, 2)


def args_uprobe_ret(out: list[Item]) -> None:
    """pid return probes on the return instructions (providers.pid): arg0 = the
    instruction's offset, from the attach cookie's high half, arg1 = the return
    value (ax)."""
    out += [I.mov64(O.R1, O.R6), I.call_helper(H.GET_ATTACH_COOKIE),
            I.alu64_imm(O.RSH, O.R0, 32), I.stx(O.DW, O.R7, STATE_ARGS, O.R0),
            I.ldx(O.DW, O.R1, O.R6, PT["ax"]), I.stx(O.DW, O.R7, STATE_ARGS + 8, O.R1)]
    _zero(out, 2)


def load_sdt_arg(out: list[Item], i: int, arg: tuple) -> None:
    slot = STATE_ARGS + 8 * i
    if arg[0] == "reg":
        _, off, shift, size, signed = arg
        out.append(I.ldx(O.DW, O.R1, O.R6, off))
        if shift:
            out.append(I.alu64_imm(O.RSH, O.R1, shift))
        _extend(out, size, signed)
    elif arg[0] == "imm":
        _, value, size, signed = arg
        value &= (1 << (size * 8)) - 1
        if signed and value >> (size * 8 - 1):
            value -= 1 << (size * 8)
        out.append(I.ld_imm64(O.R1, value) if not -(1 << 31) <= value < (1 << 31)
                   else I.mov64_imm(O.R1, value))
    else:
        _, base, index, scale, disp, size, signed = arg
        if base == -2:
            out.append(I.ldx(O.DW, O.R3, O.R6, PT["ip"]))
        elif base >= 0:
            out.append(I.ldx(O.DW, O.R3, O.R6, base))
        else:
            out.append(I.mov64_imm(O.R3, 0))
        if index >= 0:
            out.append(I.ldx(O.DW, O.R1, O.R6, index))
            if scale > 1:
                out.append(I.alu64_imm(O.MUL, O.R1, scale))
            out.append(I.alu64_reg(O.ADD, O.R3, O.R1))
        if disp:
            if -(1 << 31) <= disp < (1 << 31):
                out.append(I.add64_imm(O.R3, disp))
            else:
                out += [I.ld_imm64(O.R1, disp), I.alu64_reg(O.ADD, O.R3, O.R1)]
        out += [I.st_imm(O.DW, O.R10, MEM_SLOT, 0), I.mov64(O.R1, O.R10),
                I.add64_imm(O.R1, MEM_SLOT), I.mov64_imm(O.R2, size),
                I.call_helper(H.PROBE_READ_USER), I.ldx(O.DW, O.R1, O.R10, MEM_SLOT)]
        _extend(out, size, signed)
    out.append(I.stx(O.DW, O.R7, slot, O.R1))


def args_usdt(out: list[Item], probes: list) -> None:
    """USDT probes: the note's operands (probe.data[4]; programs group by them)."""
    specs = usdt_args(probes[0])
    for i, arg in enumerate(specs[:10]):
        load_sdt_arg(out, i, arg)
    _zero(out, min(len(specs), 10))


def usdt_args(probe) -> tuple:
    return probe.data[4]
