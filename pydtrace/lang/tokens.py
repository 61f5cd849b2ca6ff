"""Token kinds and keyword tables of the D lexer.

Punctuation and keywords use their own spelling as the token kind (``"+="``,
``"sizeof"``); the other kinds are the upper-case names below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Token kinds that carry a value.
INT = "INT"          # value: int (probe id when seen in the outer scope)
CHAR = "CHAR"        # value: int, packed big-endian like a C multi-char constant
STRING = "STRING"    # value: bytes, escapes decoded
IDENT = "IDENT"      # value: str; may hold backquotes (`` mod`sym ``)
TNAME = "TNAME"      # a name the outer-scope lexer decided is a type name
AGG = "AGG"          # value: aggregation name without "@" ("_" for a bare "@")
PSPEC = "PSPEC"      # value: (provider, module, function, name), macros expanded
EPRED = "EPRED"      # the "/" closing a predicate
PRAGMA = "PRAGMA"    # value: list[str], the words after "#pragma" (or "#ident" ...)
EOF = "EOF"

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Every keyword of the language (illumos dt_lex.l plus `userland`).
KEYWORDS = _words("""
auto break case char const continue counter default do double else enum extern
float for goto if import inline int long offsetof probe provider register restrict
return self short signed sizeof static string stringof struct switch this translator
typedef union unsigned userland void volatile while xlate
""")

# Keywords recognised in the outer scope (probe descriptions and declarations);
# anything else there lexes as a probe description.
OUTER_KEYWORDS = _words("""
auto char const counter double enum extern float import inline int long provider
register restrict self short signed static string struct this translator typedef
union unsigned void volatile userland
""")

STORAGE_CLASSES = frozenset(["auto", "register", "static", "extern", "typedef", "self", "this"])
TYPE_QUALIFIERS = frozenset(["const", "volatile", "restrict", "userland"])
BUILTIN_TYPE_WORDS = frozenset([
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "string",
])

# Operators, longest first so that a greedy scan picks ">>=" before ">>" before ">".
OPERATORS = (
    "<<=", ">>=", "...",
    "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "^^",
    "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=",
    "+", "-", "*", "/", "%", "<", ">", "=", "!", "~", "&", "|", "^",
    "?", ":", ",", ";", ".", "(", ")", "[", "]", "{", "}",
)

# Type names D knows before any program is read (the D library and CTF add more).
BUILTIN_TYPE_NAMES = _words("""
int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t
intmax_t uintmax_t size_t ssize_t ptrdiff_t off_t off64_t time_t hrtime_t clock_t
uint_t uchar_t ushort_t ulong_t u_int u_char u_short u_long u_longlong_t longlong_t
id_t pid_t uid_t gid_t processorid_t psetid_t zoneid_t projid_t taskid_t ctid_t
dev_t major_t minor_t caddr_t daddr_t ino_t mode_t nlink_t key_t boolean_t _Bool
ipaddr_t in6_addr_t in_addr_t in_port_t sa_family_t socklen_t
psinfo_t lwpsinfo_t bufinfo_t devinfo_t fileinfo_t cpuinfo_t chipid_t lgrp_id_t
kthread_t proc_t cpu_t vnode_t file_t timespec_t timestruc_t timeval_t
""")


@dataclass(slots=True)
class Token:
    """One lexeme: ``text`` is as written in the source (macros unexpanded)."""

    kind: str
    text: str
    value: Any = None
    line: int = 0
    file: str | None = None  # set after a cpp line marker naming a file

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.value!r}, line={self.line})"
