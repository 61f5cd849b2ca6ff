"""The D language front end: lexer, parser, syntax tree and printer."""

from pydtrace.lang.lexer import Lexer, split_probe_desc, tokenize
from pydtrace.lang.macros import MacroEnv, check_unused
from pydtrace.lang.parser import parse_program
from pydtrace.lang.printer import format_program

__all__ = [
    "Lexer", "MacroEnv", "check_unused", "format_program", "parse_program",
    "split_probe_desc", "tokenize",
]
