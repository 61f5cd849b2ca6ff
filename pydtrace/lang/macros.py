"""Macro variables: ``$1``, ``$$1``, ``$pid``, ``$target`` ... (expanded by the lexer).

The lexer turns each macro reference into exactly one token (never recursively);
this module knows the values and how an operand's text becomes a token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from pydtrace.errors import DCompileError

_INT_OPERAND = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)([uU]?[lL]?[lL]?)\Z")
_IDENT_OPERAND = re.compile(r"[A-Za-z_`][A-Za-z0-9_`]*\Z")
UINT64_MAX = (1 << 64) - 1


@dataclass
class MacroEnv:
    """Values of the macro variables for one compilation.

    ``args`` are the operands after the options (``$1`` is ``args[0]``); ``$0``
    is ``prog``. ``referenced`` collects the operand numbers the program used.
    """

    args: list[str] = field(default_factory=list)
    prog: str = "dtrace"
    target: int | None = None
    defaultargs: bool = False
    values: dict[str, int] = field(default_factory=dict)
    referenced: set[int] = field(default_factory=set)

    @classmethod
    def for_process(cls, args: list[str], prog: str = "dtrace",
                    target: int | None = None) -> MacroEnv:
        """Macros describing the calling (dtrace) process, as dtrace defines them."""
        values = {
            "pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgrp(),
            "sid": os.getsid(0), "uid": os.getuid(), "gid": os.getgid(),
            "euid": os.geteuid(), "egid": os.getegid(),
        }
        return cls(args=list(args), prog=prog, target=target, values=values)

    def operand(self, n: int) -> str | None:
        """The text of ``$n`` marking it referenced, or None when it is missing."""
        if n == 0:
            self.referenced.add(0)
            return self.prog
        if 1 <= n <= len(self.args):
            self.referenced.add(n)
            return self.args[n - 1]
        return None

    def variable(self, name: str) -> int | None:
        """The value of ``$name``; ``$target`` is 0 unless -c/-p gave a process."""
        if name == "target":
            return self.target if self.target is not None else 0
        return self.values.get(name)


def operand_text(env: MacroEnv, ref: str, line: int) -> str:
    """Text of the operand reference ``ref`` (``$3`` or ``$$3``) or D_MACRO_UNDEF."""
    n = int(ref.lstrip("$"))
    text = env.operand(n)
    if text is not None:
        return text
    if env.defaultargs:
        return "" if ref.startswith("$$") else "0"
    raise DCompileError("D_MACRO_UNDEF", f"macro argument {ref} is not defined", line)


def variable_value(env: MacroEnv, ref: str, line: int) -> int:
    """Value of ``$name`` / ``$$name`` or D_MACRO_UNDEF."""
    value = env.variable(ref.lstrip("$"))
    if value is None:
        raise DCompileError("D_MACRO_UNDEF", f"macro variable {ref} is not defined", line)
    return value


def classify_operand(text: str, ref: str, line: int) -> tuple[str, object]:
    """How an operand used as ``$N`` lexes: ("INT", int), ("IDENT", str) or ("STRING", bytes).

    Like dtrace: integer-looking text (optional sign, C base prefixes and
    suffixes) is an integer, identifier-looking text an identifier, anything else
    a string with one pair of surrounding double quotes removed.
    """
    m = _INT_OPERAND.match(text)
    if m and not (_is_octal(m.group(2)) and set(m.group(2)) & set("89")):
        value = int(m.group(2), 8) if _is_octal(m.group(2)) else int(m.group(2), 0)
        if value > UINT64_MAX:
            raise DCompileError(
                "D_MACRO_OFLOW",
                f"macro argument {ref} constant {text.lstrip('+-')} results in integer overflow",
                line)
        return "INT", -value if m.group(1) == "-" else value
    if _IDENT_OPERAND.match(text):
        return "IDENT", text
    if len(text) != 1 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return "STRING", decode_escapes(text)


def _is_octal(digits: str) -> bool:
    return len(digits) > 1 and digits[0] == "0" and digits[1] not in "xX"


_SIMPLE_ESCAPES = {
    "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
    "\\": 92, '"': 34,  # dtrace's stresc2chr: \' and \? keep their backslash
}


def decode_escapes(text: str) -> bytes:
    """Decode C escapes like dtrace: ``\\ooo`` (1-3 digits), ``\\xh...``; unknown
    escapes keep their backslash."""
    out = bytearray()
    raw = text.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x5C or i + 1 >= len(raw):
            out.append(c)
            i += 1
            continue
        i = _decode_one_escape(raw, i + 1, out)
    return bytes(out)


def _decode_one_escape(raw: bytes, i: int, out: bytearray) -> int:
    """Decode the escape whose letter is at ``raw[i]``; returns the next index."""
    ch = chr(raw[i])
    if ch in "01234567":
        j = i
        while j < len(raw) and j < i + 3 and chr(raw[j]) in "01234567":
            j += 1
        out.append(int(raw[i:j], 8) & 0xFF)
        return j
    if ch == "x":
        j = i + 1
        while j < len(raw) and chr(raw[j]) in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 1:
            out.extend(b"\\x")
            return j
        out.append(int(raw[i + 1:j], 16) & 0xFF)
        return j
    if ch in _SIMPLE_ESCAPES:
        out.append(_SIMPLE_ESCAPES[ch])
    else:
        out.extend(b"\\" + raw[i:i + 1])
    return i + 1


def check_unused(env: MacroEnv, line: int | None = None) -> None:
    """D_MACRO_UNUSED when the last operand was never referenced (dtrace checks
    only the last one; ``-x argref`` skips this check)."""
    n = len(env.args)
    if n and n not in env.referenced:
        raise DCompileError(
            "D_MACRO_UNUSED",
            f"extraneous argument '{env.args[-1]}' (${n} is not referenced)", line)


def expand_in_field(env: MacroEnv | None, text: str, spec: str, line: int) -> str:
    """Expand the first macro reference of one probe-description field.

    As in dtrace, a field is ``prefix $macro suffix`` where only ``$N`` may have
    a suffix (``$name`` runs to the end of the field); failures are D_PDESC_INVAL.
    """
    at = text.find("$")
    if at < 0:
        return text
    prefix, ref = text[:at], text[at + 1:]
    if ref.startswith("$") and len(ref) > 1:
        ref = ref[1:]
    m = re.match(r"[0-9]+", ref)
    if env is not None and m:
        value = env.operand(int(m.group(0)))
        if value is not None:
            return prefix + value + ref[m.end():]
    elif env is not None and ref:
        number = env.variable(ref)
        if number is not None:
            return prefix + str(number)
    raise DCompileError(
        "D_PDESC_INVAL",
        f'invalid probe description "{spec}": Undefined macro variable in probe description',
        line)
