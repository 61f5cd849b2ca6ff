"""The D lexer.

Like dtrace's lex scanner it has two main states:

* **outer** (dtrace's S2): probe descriptions and the start of declarations.
  A run of ``[-$:a-zA-Z_.?*\\[]!][-$:0-9a-zA-Z_.`?*\\[]!]*`` is one probe
  description token, so ``syscall::read*:entry`` and ``tick-1s`` need no quoting.
* **expr** (S0): C-like tokens inside predicates, clause bodies and declarations.

dtrace switches states from its parser; here the lexer follows the same rules
on its own (so ``tokenize`` works standalone): a keyword or type name in the
outer state starts a declaration, which ends at a ``;`` outside braces; a ``/``
or ``{`` after probe descriptions starts a clause, which ends at its closing
``}``. Tokens are produced lazily so the parser can add typedef names while
lexing proceeds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydtrace.errors import DCompileError
from pydtrace.lang import macros as mac
from pydtrace.lang import tokens as T
from pydtrace.lang.tokens import Token

_PSPEC = re.compile(r"[-$:a-zA-Z_.?*\\\[\]!][-$:0-9a-zA-Z_.`?*\\\[\]!]*")
_IDENT = re.compile(r"[a-zA-Z_`][0-9a-zA-Z_`]*")
_INT = re.compile(r"(?:0[xX][0-9A-Fa-f]+|[0-9]+)[uU]?[lL]?[lL]?")
_FP = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFlL]?")
_MACRO = re.compile(r"\$\$?(?:[0-9]+|[a-zA-Z_`][0-9a-zA-Z_`]*)")
_CTL_WORD = re.compile(r'[^\f\n\t\v "]+')
_WS = " \t\n\r\f\v"
_DIGITS = "0123456789"
_DIGITS1 = set(_DIGITS)
_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_`")
_AGG = re.compile(r"@[a-zA-Z_][0-9a-zA-Z_]*")
_PSPEC_ONLY_CHARS = set(":-.?!`")
_RESERVED_PSPECS = ("BEGIN", "END", "ERROR")
# The first probe-description field to fill (right to left) per dtrace(1) flag:
# dtrace.c gives -i (like -n and -s) DTRACE_PROBESPEC_NAME.
_SPEC_START = {"s": 3, "n": 3, "f": 2, "m": 1, "P": 0, "i": 3}
_D_PRAGMAS = frozenset(["attributes", "binding", "depends_on", "option"])
_DIR_PRAGMAS = frozenset(["error", "ident", "line"])
UINT64_MAX = (1 << 64) - 1


def _syntax(message: str, line: int, file: str | None = None) -> DCompileError:
    return DCompileError("D_SYNTAX", message, line, file=file)


def parse_int_text(text: str, line: int) -> int:
    """Value of a D integer constant as written (base prefix, u/l suffixes)."""
    body = text.rstrip("uUlL")
    if body[:2] in ("0x", "0X"):
        value, rest = int(body, 16), ""
    elif body.startswith("0") and len(body) > 1:
        octal = re.match(r"[0-7]*", body).group(0)
        value, rest = int(octal, 8), body[len(octal):]
    else:
        value, rest = int(body), ""
    if value > UINT64_MAX:
        raise DCompileError("D_INT_OFLOW", f"constant {text} results in integer overflow", line)
    if rest:
        raise DCompileError("D_INT_DIGIT",
                            f"constant {text} contains invalid digit {rest[0]}", line)
    return value


def split_probe_desc(text: str, kind: str = "n", macros: mac.MacroEnv | None = None,
                     line: int = 0) -> tuple[str, str, str, str]:
    """Split a probe description into (provider, module, function, name).

    Fields fill right to left starting at the field ``kind`` names (``-P``
    provider, ``-m`` module, ``-f`` function, ``-n``/scripts name); macro
    variables expand inside each field.
    """
    fields = ["", "", "", ""]
    spec = _SPEC_START.get(kind, 3)
    parts = text.split(":")
    for part in reversed(parts):
        if spec < 0:
            raise DCompileError(
                "D_PDESC_INVAL",
                f'invalid probe description "{text}": Overspecified probe description', line)
        fields[spec] = mac.expand_in_field(macros, part, text, line)
        spec -= 1
    return fields[0], fields[1], fields[2], fields[3]


class Lexer:
    """Lazy D tokenizer; ``type_names`` may grow while lexing (typedefs)."""

    def __init__(self, text: str, macros: mac.MacroEnv | None = None, kind: str = "s",
                 type_names: set[str] | None = None) -> None:
        self.text = text
        self.macros = macros if macros is not None else mac.MacroEnv.for_process([])
        self.kind = kind
        self.type_names = type_names if type_names is not None else set(T.BUILTIN_TYPE_NAMES)
        self.pos = 0
        self.line = 1
        self.file: str | None = None
        self.outer = True          # dtrace's S2 state; False is S0
        self.in_decl = False       # S0 entered for a declaration (ends at ';')
        self.after_member = False  # after "." or "->": next word is never a keyword
        self.parens = self.brackets = self.braces = 0

    # ------------------------------------------------------------ driver

    def __iter__(self) -> Iterator[Token]:
        while True:
            tok = self.next_token()
            yield tok
            if tok.kind == T.EOF:
                return

    def next_token(self) -> Token:
        """Return the next token (EOF forever at the end)."""
        while True:
            tok = self._skip_and_control()
            if tok is not None:
                return tok
            if self.pos >= len(self.text):
                return self._tok(T.EOF, "", None)
            tok = self._outer_token() if self.outer else self._expr_token()
            if tok is not None:
                return tok

    def _tok(self, kind: str, text: str, value: object, line: int | None = None) -> Token:
        return Token(kind, text, value, self.line if line is None else line, self.file)

    def _error(self, tag: str, message: str, line: int | None = None) -> DCompileError:
        return DCompileError(tag, message, self.line if line is None else line, file=self.file)

    # ------------------------------------------------------------ whitespace, comments, #

    def _skip_and_control(self) -> Token | None:
        """Skip blanks and comments; handle ``#`` lines. A pragma yields a token."""
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\n":
                self.line += 1
                self.pos += 1
            elif c in _WS:
                self.pos += 1
            elif c == "\\" and not self.outer and text.startswith("\\\n", self.pos):
                self.pos += 2
                self.line += 1
            elif text.startswith("/*", self.pos):
                self._skip_comment()
            elif c == "#" and self._at_line_start():
                tok = self._control_line()
                if tok is not None:
                    return tok
            else:
                return None
        return None

    def _at_line_start(self) -> bool:
        start = self.text.rfind("\n", 0, self.pos) + 1
        return all(ch in " \t\f\v" for ch in self.text[start:self.pos])

    def _skip_comment(self) -> None:
        i = self.pos + 2
        text = self.text
        while i < len(text):
            if text.startswith("/*", i):
                self.pos = i
                raise self._error("D_SYNTAX", "/* encountered inside a comment")
            if text.startswith("*/", i):
                self.pos = i + 2
                return
            if text[i] == "\n":
                self.line += 1
            i += 1
        self.pos = len(text)
        raise self._error("D_SYNTAX", "end-of-file encountered before matching */")

    def _control_line(self) -> Token | None:
        """A ``#`` line: ``#!`` interpreter line, line marker, ``#pragma`` ..."""
        end = self.text.find("\n", self.pos)
        if self.text.startswith("#!", self.pos):
            self.pos = len(self.text) if end < 0 else end
            return None
        line = self.line
        words = self._control_words(self.pos + 1, end)
        if end < 0:
            self.pos = len(self.text)
            raise self._error("D_SYNTAX", "end-of-file encountered before end of control line")
        self.pos = end + 1
        self.line += 1
        return self._directive(words, line)

    def _control_words(self, i: int, end: int) -> list[tuple[str, object]]:
        """Split a control line into ("INT"|"IDENT"|"STRING", value, text) words."""
        text = self.text[i:] if end < 0 else self.text[i:end]
        words: list[tuple[str, object]] = []
        j = 0
        while j < len(text):
            if text[j] in " \t\f\v":
                j += 1
            elif text[j] == '"':
                j = self._control_string(text, j, words)
            else:
                m = _CTL_WORD.match(text, j)
                word = m.group(0)
                if _INT.fullmatch(word):
                    words.append(("INT", parse_int_text(word, self.line), word))
                else:
                    words.append(("IDENT", word, word))
                j = m.end()
        return words

    def _control_string(self, text: str, j: int, words: list) -> int:
        end = _string_end(text, j, '"')
        if end < 0:
            raise self._error("D_SYNTAX", 'syntax error near """')
        raw = text[j + 1:end]
        words.append(("STRING", mac.decode_escapes(raw).split(b"\0")[0].decode(
            "utf-8", "surrogateescape"), text[j:end + 1]))
        return end + 1

    def _directive(self, words: list, line: int) -> Token | None:
        """What dtrace's dt_pragma() does with one control line."""
        if not words:
            return None
        kind0, value0, _ = words[0]
        if kind0 == "INT":
            self._line_marker(words, line, "line", offset=0)
            return None
        if kind0 != "IDENT":
            # dtrace reports this one before stepping back over the newline
            raise self._error("D_PRAGCTL_INVAL", "invalid control directive", line + 1)
        if value0 == "pragma":
            return self._pragma(words[1:], line)
        if value0 in _DIR_PRAGMAS:
            return self._dir_pragma(words, line)
        raise self._error("D_PRAGCTL_INVAL", f"invalid control directive: #{value0}", line)

    def _pragma(self, words: list, line: int) -> Token | None:
        if not words:
            return None
        name = str(words[0][1])
        if name == "D":
            if len(words) < 2:
                return None
            sub = str(words[1][1])
            if sub not in _D_PRAGMAS and sub not in _DIR_PRAGMAS:
                raise self._error("D_PRAGMA_INVAL", f"invalid D pragma: {sub}", line)
            if sub in ("line", "error"):
                return self._dir_pragma(words[1:], line)
        elif name in _DIR_PRAGMAS:
            return self._dir_pragma(words, line)
        else:
            return None  # K&R: unknown non-D pragmas are ignored
        return self._tok(T.PRAGMA, "#pragma", [str(w[1]) for w in words], line)

    def _dir_pragma(self, words: list, line: int) -> Token | None:
        if words[0][1] == "line":
            self._line_marker(words[1:], line, "line", offset=1)
            return None
        if words[0][1] == "error":  # dt_pragma_error: the words, each followed by a blank
            text = "".join(f"{w[1]} " for w in words[1:] if w[0] != "INT")
            raise self._error("D_PRAGERR", f"#error: {text}", line)
        return self._tok(T.PRAGMA, "#" + str(words[0][1]), [str(w[1]) for w in words], line)

    def _line_marker(self, words: list, line: int, name: str, offset: int) -> None:
        """``# N "file"`` makes the next line N; ``#line N`` makes it N + 1 (as dtrace)."""
        ok = (words and words[0][0] == "INT"
              and (len(words) < 2 or words[1][0] == "STRING")
              and (len(words) < 3 or words[2][0] == "INT"))
        if not ok:
            raise self._error("D_PRAGMA_MALFORM",
                              f'malformed #{name} <line> [ ["file"] state ]', line + 1 - offset)
        if len(words) > 1:
            fname = str(words[1][1])
            self.file = None if fname.startswith("/dev/fd/") else fname
        self.line = int(words[0][1]) + offset

    # ------------------------------------------------------------ outer state (S2)

    def _outer_token(self) -> Token:
        text, pos = self.text, self.pos
        c = text[pos]
        if c in _DIGITS:
            return self._int_token()
        m = _PSPEC.match(text, pos)
        if m:
            return self._pspec_or_decl(m.group(0))
        self.pos += 1
        if c == ",":
            return self._tok(",", c, None)
        if c == "/":
            self._enter_expr(decl=False)
            return self._tok("/", c, None)
        if c == "{":
            self._enter_expr(decl=False)
            self.braces += 1
            return self._tok("{", c, None)
        raise self._error("D_SYNTAX", f'syntax error near "{c}"')

    def _enter_expr(self, decl: bool) -> None:
        self.outer = False
        self.in_decl = decl

    def _pspec_or_decl(self, word: str) -> Token:
        """A probe description, or the keyword / type name starting a declaration."""
        if word in T.OUTER_KEYWORDS:
            return self._decl_start(word, word)
        if self.kind == "s" and "`" in word and ":" not in word:  # D`long x; D`my_t *p;
            star = word.find("*")
            head = word[:star] if star > 0 else word
            kw = scoped_keyword(head)
            if kw is not None:
                return self._decl_start(kw, head)
            if head.startswith("D`") and head[2:] in self.type_names:
                return self._decl_start(T.TNAME, head)
        if self.kind == "s" and not (set(word) & _PSPEC_ONLY_CHARS) \
                and word not in _RESERVED_PSPECS:
            star = word.find("*")
            head = word[:star] if star > 0 else word
            if head in T.OUTER_KEYWORDS:
                return self._decl_start(head, head)
            if head in self.type_names:
                return self._decl_start(T.TNAME, head)
        line = self.line
        self.pos += len(word)
        fields = split_probe_desc(word, self.kind, self.macros, line)
        return self._tok(T.PSPEC, word, fields, line)

    def _decl_start(self, kind: str, text: str) -> Token:
        self.pos += len(text)
        self._enter_expr(decl=True)
        return self._tok(kind, text, text)

    # ------------------------------------------------------------ expression state (S0)

    def _expr_token(self) -> Token:
        c = self.text[self.pos]
        after_member, self.after_member = self.after_member, False
        if c == "$":
            return self._macro_token()
        if c in _DIGITS or (c == "." and self.text[self.pos + 1:self.pos + 2] in _DIGITS1):
            return self._number_token()
        if c in _IDENT_START:
            return self._word_token(after_member)
        if c == "@":
            return self._agg_token()
        if c == '"':
            return self._string_token()
        if c == "'":
            return self._char_token()
        return self._operator_token()

    def _word_token(self, after_member: bool) -> Token:
        word = _IDENT.match(self.text, self.pos).group(0)
        self.pos += len(word)
        if word in T.KEYWORDS and not after_member:
            return self._tok(word, word, word)
        if "`" in word and not after_member:
            kw = scoped_keyword(word)
            if kw is not None:
                return self._tok(kw, word, kw)
        return self._tok(T.IDENT, word, word)

    def _agg_token(self) -> Token:
        m = _AGG.match(self.text, self.pos)
        text = m.group(0) if m else "@"
        self.pos += len(text)
        return self._tok(T.AGG, text, text[1:] or "_")

    def _number_token(self) -> Token:
        fp = _FP.match(self.text, self.pos)
        whole = _INT.match(self.text, self.pos)
        if fp and (whole is None or fp.end() > whole.end()):
            raise self._error("D_SYNTAX", "floating-point constants are not permitted")
        return self._int_token()

    def _int_token(self) -> Token:
        text = _INT.match(self.text, self.pos).group(0)
        self.pos += len(text)
        return self._tok(T.INT, text, parse_int_text(text, self.line))

    def _macro_token(self) -> Token:
        m = _MACRO.match(self.text, self.pos)
        if m is None:
            raise self._error("D_SYNTAX", 'syntax error near "$"')
        ref = m.group(0)
        self.pos = m.end()
        if ref.lstrip("$")[0].isdigit():
            value = mac.operand_text(self.macros, ref, self.line)
            if ref.startswith("$$"):
                return self._tok(T.STRING, ref, _c_string(mac.decode_escapes(value)))
            kind, val = mac.classify_operand(value, ref, self.line)
            return self._tok(kind, ref, val)
        number = mac.variable_value(self.macros, ref, self.line)
        if ref.startswith("$$"):
            return self._tok(T.STRING, ref, str(number).encode())
        return self._tok(T.INT, ref, number)

    def _string_token(self) -> Token:
        end = _string_end(self.text, self.pos, '"')
        if end == -2:
            raise self._error("D_STR_NL", "newline encountered in string literal",
                              self.line + 1)
        if end < 0:
            raise self._error("D_SYNTAX", 'syntax error near """')
        raw = self.text[self.pos:end + 1]
        self.pos = end + 1
        return self._tok(T.STRING, raw, _c_string(mac.decode_escapes(raw[1:-1])))

    def _char_token(self) -> Token:
        end = _string_end(self.text, self.pos, "'")
        if end == -2:
            raise self._error("D_CHR_NL", "newline encountered in character constant",
                              self.line + 1)
        if end < 0:
            raise self._error("D_SYNTAX", "syntax error near \"'\"")
        raw = self.text[self.pos:end + 1]
        if raw == "''":
            raise self._error("D_CHR_NULL", "empty character constant")
        data = mac.decode_escapes(raw[1:-1])
        if len(data) > 8:
            raise self._error("D_CHR_OFLOW", "character constant is too long")
        self.pos = end + 1
        return self._tok(T.CHAR, raw, int.from_bytes(data, "big"))

    def _operator_token(self) -> Token:
        op = next((o for o in T.OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            raise self._error("D_SYNTAX", f'syntax error near "{self.text[self.pos]}"')
        self.pos += len(op)
        if op == "/" and self._closes_predicate():
            return self._tok(T.EPRED, op, None)
        self._track_nesting(op)
        if op in (".", "->"):
            self.after_member = True
        return self._tok(op, op, None)

    def _closes_predicate(self) -> bool:
        """dtrace's rule: "/" closes a predicate when the next non-blank is EOF ; { or /."""
        rest = self.text[self.pos:].lstrip(_WS)
        if rest and rest[0] not in ";{/":
            return False
        if self.parens:
            raise self._error("D_SYNTAX", "closing ) expected in predicate before /")
        if self.brackets:
            raise self._error("D_SYNTAX", "closing ] expected in predicate before /")
        return True

    def _track_nesting(self, op: str) -> None:
        if op in "()":
            self.parens += 1 if op == "(" else -1
            if self.parens < 0:
                raise self._error("D_SYNTAX", "extra ) in input stream")
        elif op in "[]":
            self.brackets += 1 if op == "[" else -1
            if self.brackets < 0:
                raise self._error("D_SYNTAX", "extra ] in input stream")
        elif op in "{}":
            self._track_braces(op)
        elif op == ";" and self.in_decl and self.braces == 0:
            self.outer = True

    def _track_braces(self, op: str) -> None:
        self.braces += 1 if op == "{" else -1
        if self.braces < 0:
            raise self._error("D_SYNTAX", "extra } in input stream")
        if op == "}" and self.braces == 0 and not self.in_decl:
            self.outer = True


def _string_end(text: str, start: int, quote: str) -> int:
    """Index of the closing quote; -2 for a raw newline first, -1 for none."""
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == quote:
            return i
        if c == "\n":
            return -2
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] == "\n":
                return -1
            i += 2
            continue
        i += 1
    return -1


def _c_string(data: bytes) -> bytes:
    """D string constants are C strings: an embedded NUL ends them."""
    return data.split(b"\0", 1)[0]


def scoped_keyword(word: str) -> str | None:
    """The type keyword of ``D`int``, ``C`long``, ``vmlinux`char`` (dtrace looks a
    scoped name up as a type first, and the D and C containers and the kernel's
    types hold the built-in integer types); None for anything else. ```int`` (no
    module) is not a type in dtrace either: it stays an identifier."""
    module, tick, base = word.rpartition("`")
    if not tick or not module or "`" in module or base not in T.BUILTIN_TYPE_WORDS:
        return None
    if module in ("D", "C"):
        return base
    if base == "string":  # only the D containers have string
        return None
    if module == "vmlinux":
        return base
    import os

    return base if os.path.exists(f"/sys/kernel/btf/{module}") else None


def tokenize(text: str, macros: mac.MacroEnv | None = None, kind: str = "s",
             type_names: set[str] | None = None) -> list[Token]:
    """All tokens of ``text`` up to and including EOF."""
    return list(Lexer(text, macros, kind, type_names))
