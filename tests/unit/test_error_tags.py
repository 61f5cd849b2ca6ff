# ruff: noqa: E501
"""One compile error per D_* tag (illumos ``dt_errtags.h``), with DTrace's wording.

Each ``CASES`` row compiles a small script with ``-x errtags -e`` and checks the
whole diagnostic: ``dtrace: failed to compile script P: [D_TAG] line N: message``
and exit status 1, never a traceback. Tags that cannot be produced on Linux or
by construction are listed in ``UNREACHABLE`` with the reason; their names must
still be defined in ``pydtrace.errtags``. Every ``D_*`` literal in the sources
must be a known tag too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pydtrace import cli, errtags

IN = "struct in_t { int a; char *s; };\nstruct out_t { int b; int c; };\n"
XL = IN + "translator struct out_t < struct in_t *p > { b = p->a; };\n"

# (tag, program, message, extra argv); message None = only the tag is checked.
CASES: list[tuple[str, str, str | None, tuple[str, ...]]] = [
    ("D_SYNTAX", "BEGIN { x = ; }", 'syntax error near ";"', ()),
    ("D_EMPTY", "", "empty D program translation unit", ()),
    ("D_TYPE_MEMBER", "struct s { int a; };\nstruct s v;\nBEGIN { trace(v.b); }",
     "b is not a member of struct s", ()),
    ("D_CG_EXPR", "BEGIN { x = printf(\"a\"); }",
     "action printf( ) may not be called from a D expression (D program context required)", ()),
    ("D_PDESC_ZERO", "nosuch:::probe { }",
     "probe description nosuch:::probe does not match any probes", ()),
    ("D_PDESC_INVAL", "a:b:c:d:e { }", None, ()),
    ("D_PRED_SCALAR", 'BEGIN /"s"/ { }', "predicate result must be of scalar type", ()),
    ("D_FUNC_IDENT", "BEGIN { (1)(2); }", "function designator is not of function type", ()),
    ("D_FUNC_UNDEF", "BEGIN { nosuchfunc(); }", None, ()),
    ("D_FUNC_IDKIND", "BEGIN { pid(); }", "scalar 'pid' may not be referenced as a function", ()),
    ("D_OFFSETOF_TYPE", "BEGIN { trace(offsetof(int, a)); }",
     "offsetof operand must be a struct or union type", ()),
    ("D_OFFSETOF_BITFIELD", "struct s { int a:3; int b; };\nBEGIN { trace(offsetof(struct s, a)); }",
     "cannot take offset of a bit-field: a", ()),
    ("D_SIZEOF_TYPE", "BEGIN { trace(sizeof (struct nosuch)); }",
     "cannot apply sizeof to an operand of unknown size", ()),
    ("D_SIZEOF_BITFIELD", "struct s { int a:3; };\nstruct s v;\nBEGIN { trace(sizeof (v.a)); }",
     "cannot apply sizeof to a bit-field", ()),
    ("D_STRINGOF_TYPE", "struct s { int a; };\nstruct s v;\nBEGIN { trace(stringof(v)); }",
     "cannot apply stringof to a value of type struct s", ()),
    ("D_OP_INT", "BEGIN { x = 1 % \"a\"; }", "operator % requires operands of integral type", ()),
    ("D_OP_SCALAR", 'BEGIN { x = !"a"; }', "operator ! requires an operand of scalar type", ()),
    ("D_OP_ARITH", 'BEGIN { x = "a" * 2; }', "operator * requires operands of arithmetic type", ()),
    ("D_OP_WRITE", "BEGIN { pid = 1; }", "operator = can only be applied to a writable variable", ()),
    ("D_OP_LVAL", "BEGIN { x = 1; x++ = 2; }", "operator = requires modifiable lvalue as an operand", ()),
    ("D_OP_INCOMPAT", 'BEGIN { x = 1; x = "s"; }',
     'operands have incompatible types: "int" = "string"', ()),
    ("D_OP_VFPTR", "BEGIN { x = (void *)0; x++; }", "operator ++ requires an operand of known size", ()),
    ("D_OP_ARRFUN", "int a[5];\nBEGIN { a = 1; }",
     'operator = may not be applied to operand of type "int [5]"', ()),
    ("D_OP_PTR", "BEGIN { x = 1; trace(x->a); }", "operator -> must be applied to a pointer", ()),
    ("D_OP_SOU", "BEGIN { x = (int *)0; trace(x->a); }",
     'operator -> cannot be applied to pointer to type "int"; must be applied to a struct or '
     "union pointer", ()),
    ("D_OP_INCOMPLETE", "struct nosuch *p;\nBEGIN { trace(p->a); }",
     "operator -> cannot be applied to a forward declaration: no struct nosuch definition is "
     "available", ()),
    ("D_OP_DYN", "BEGIN { x = 1 ? @a : 2; }", "operator ?: operands cannot be of dynamic type", ()),
    ("D_OP_ACT", "BEGIN { 1 ? trace(1) : trace(2); }",
     "action cannot be used in a conditional context", ()),
    ("D_AGG_REDEF", "BEGIN { @a = count(); @a = sum(1); }", "aggregation redefined: @a", ()),
    ("D_AGG_FUNC", "BEGIN { @a = 1; }", "@a must be assigned the result of an aggregating function",
     ()),
    ("D_AGG_MDIM", "BEGIN { @a[1][2] = count(); }",
     "improper attempt to reference @a as a multi-dimensional array", ()),
    ("D_ARR_BADREF", "int a[5];\nBEGIN { trace(a[1, 2]); }",
     "cannot access scalar a as an associative array", ()),
    ("D_ARR_LOCAL", "BEGIN { this->a[1] = 1; }",
     "local variables may not be used as associative arrays: a", ()),
    ("D_PROC_BADPID", "pid0:::entry { }", "'pid0' does not contain a valid pid", ()),
    ("D_PROC_GRAB", "pid999999999:::entry { }", "failed to grab process 999999999", ()),
    ("D_CG_DYN", XL + "struct in_t *x;\nBEGIN { xlate<struct out_t *>(x); }",
     "expression cannot evaluate to result of a translated pointer", ()),
    ("D_OP_IDENT", "inline int a = 1;\nstruct s { int a; };\nstruct s v;\nBEGIN { trace(v.a); }",
     "operator . must be followed by an identifier", ()),
    ("D_PROC_BADPROV", "$1:::entry { }", "'123' is not a valid provider", ("123",)),
    ("D_DIV_ZERO", "BEGIN { x = 1 / 0; }", "expression contains division by zero", ()),
    ("D_DEREF_NONPTR", "BEGIN { x = 1; trace(*x); }", "cannot dereference non-pointer type", ()),
    ("D_DEREF_VOID", "BEGIN { trace(*(void *)0); }", "cannot dereference pointer to void", ()),
    ("D_DEREF_FUNC", "typedef void fn_t(int);\nfn_t *f;\nBEGIN { trace(*f); }",
     "cannot dereference pointer to function", ()),
    ("D_ADDROF_LVAL", "BEGIN { trace(&1); }", "unacceptable operand for unary & operator", ()),
    ("D_ADDROF_VAR", "BEGIN { x = 1; trace(&x); }", "cannot take address of dynamic variable", ()),
    ("D_ADDROF_BITFIELD", "struct s { int a:3; };\nstruct s *p;\nBEGIN { trace(&p->a); }",
     "cannot take address of bit-field", ()),
    ("D_XLATE_REDECL", XL + "translator struct out_t < struct in_t *p > { b = p->a; };",
     "translator from struct in_t * to struct out_t has already been declared", ()),
    ("D_XLATE_NOCONV", XL + "struct in_t *ip;\nBEGIN { trace(xlate <struct out_t> (ip).c); }",
     "translator does not define conversion for member: c", ()),
    ("D_XLATE_NONE", XL + "BEGIN { trace(xlate <struct out_t> (1).b); }",
     'cannot translate from "int" to "struct out_t"', ()),
    ("D_XLATE_SOU", "translator int < int x > { a = x; };",
     "translator output type must be a struct or union", ()),
    ("D_XLATE_INCOMPAT", IN + "translator struct out_t < struct in_t *p > { b = p->s; };",
     'translator member b definition uses incompatible types: "int" = "char *"', ()),
    ("D_XLATE_MEMB", IN + "translator struct out_t < struct in_t *p > { z = 1; };",
     "translator member z is not a member of struct out_t", ()),
    ("D_CAST_INVAL", "struct s { int a; };\nstruct s v;\nBEGIN { trace((int)v); }",
     'invalid cast expression: "struct s" to "int"', ()),
    ("D_PRAGERR", '#pragma error "boom"\nBEGIN { }', None, ()),
    ("D_PRAGCTL_INVAL", "#define X 1\nBEGIN { }", "invalid control directive: #define", ()),
    ("D_PRAGMA_INVAL", "#pragma D nosuch\nBEGIN { }", "invalid D pragma: nosuch", ()),
    ("D_PRAGMA_UNUSED", "#pragma D attributes Stable/Stable/Common nosuchident\nBEGIN { }",
     "unused #pragma attributes", ()),
    ("D_PRAGMA_MALFORM", "#pragma D option\nBEGIN { }", None, ()),
    ("D_PRAGMA_OPTSET", "#pragma D option nosuchopt\nBEGIN { }", None, ()),
    ("D_PRAGMA_SCOPE", "#pragma D attributes Stable/Stable/Common pid\nBEGIN { }",
     "#pragma attributes cannot modify entity defined outside program scope", ()),
    ("D_PRAGMA_DEPEND", "#pragma D depends_on provider nosuchprov\nBEGIN { }",
     "program requires provider nosuchprov", ()),
    ("D_MACRO_UNDEF", "BEGIN { trace($1); }", "macro argument $1 is not defined", ()),
    ("D_MACRO_OFLOW", "BEGIN { trace($1); }", None, ("99999999999999999999999",)),
    ("D_MACRO_UNUSED", "BEGIN { }", "extraneous argument 'extra' ($1 is not referenced)",
     ("extra",)),
    ("D_INT_OFLOW", "BEGIN { x = 0x1ffffffffffffffff; }", None, ()),
    ("D_INT_DIGIT", "BEGIN { x = 09; }", None, ()),
    ("D_STR_NL", 'BEGIN { x = "a\nb"; }', None, ()),
    ("D_CHR_NL", "BEGIN { x = 'a\nb'; }", None, ()),
    ("D_CHR_NULL", "BEGIN { x = ''; }", None, ()),
    ("D_CHR_OFLOW", "BEGIN { x = 'abcdefghi'; }", None, ()),
    ("D_IDENT_BADREF", "BEGIN { a[1] = 1; trace(a); }", "array 'a' may not be referenced as scalar",
     ()),
    ("D_SYM_BADREF", "BEGIN { trace(``vfs_read); }",
     "kernel module 'vmlinux' symbol 'vfs_read' may not be referenced as a user symbol", ()),
    ("D_IDENT_UNDEF", "BEGIN { trace(y); }", "failed to resolve y: Unknown variable name", ()),
    ("D_VAR_UNDEF", "BEGIN { trace(self->x); }", "self->x has not yet been declared or assigned",
     ()),
    ("D_PROTO_LEN", "BEGIN { trace(1, 2); }", "trace( ) prototype mismatch: 2 args passed, 1 expected",
     ()),
    ("D_PROTO_ARG", "BEGIN { trace(strlen(1)); }", None, ()),
    ("D_ARGS_IDX", "BEGIN { trace(args[0]); }", "index 0 is out of range for :::BEGIN args[ ]",
     ()),
    ("D_ARGS_NONE", "inline int a0 = args[0];\nBEGIN { }",
     "args[ ] may not be referenced outside of a probe clause", ()),
    ("D_REGS_IDX", "BEGIN { trace(uregs[-1]); }", "index -1 is out of range for array uregs", ()),
    ("D_KEY_TYPE", 'BEGIN { @a[1] = count(); @a["x"] = count(); }', None, ()),
    ("D_PRINTF_DYN_PROTO", 'BEGIN { printf("%*d"); }', None, ()),
    ("D_PRINTF_DYN_TYPE", 'BEGIN { printf("%*d", "a", 1); }', None, ()),
    ("D_PRINTF_AGG_CONV", 'BEGIN { printf("%@d", 1); }', None, ()),
    ("D_PRINTF_ARG_PROTO", 'BEGIN { printf("%d"); }',
     "printf( ) prototype mismatch: conversion #1 (%d) is missing a corresponding value "
     "argument", ()),
    ("D_PRINTF_ARG_TYPE", 'BEGIN { printf("%d", "s"); }', None, ()),
    ("D_PRINTF_ARG_EXTRA", 'BEGIN { printf("%d", 1, 2); }', None, ()),
    ("D_PRINTF_ARG_FMT", 'BEGIN { printf("%Q", 1); }', "format conversion #1 is undefined: %Q", ()),
    ("D_PRINTF_FMT_EMPTY", 'BEGIN { printf(""); }', None, ()),
    ("D_DECL_CHARATTR", "short char x;",
     "invalid type declaration: short and long may not be used with char type", ()),
    ("D_DECL_VOIDATTR", "unsigned void x;",
     "invalid type declaration: attributes may not be used with void type", ()),
    ("D_DECL_SIGNINT", "unsigned string x;",
     "invalid type declaration: signed and unsigned may only be used with integer type", ()),
    ("D_DECL_LONGINT", "long string x;",
     "invalid type declaration: long and long long may only be used with integer or "
     "floating-point type", ()),
    ("D_DECL_IDENT", "int int8_t x;", "old-style declaration or incorrect type specified", ()),
    ("D_DECL_CLASS", "self this int x;", "only one storage class allowed in a declaration", ()),
    ("D_DECL_BADCLASS", "static int x;", "specified storage class not appropriate in D", ()),
    ("D_DECL_PARMCLASS", "int a[extern int];",
     "inappropriate storage class for function or associative array parameter", ()),
    ("D_DECL_COMBO", "int char x;", "invalid type combination", ()),
    ("D_DECL_ARRSUB", "int a[-1];",
     "positive integral constant expression or tuple signature expected as array declaration "
     "subscript", ()),
    ("D_DECL_ARRNULL", "int a[];", "array declaration requires array dimension or tuple "
     "signature: a", ()),
    ("D_DECL_ARRBIG", "int a[0x100000000];", "array dimension too big", ()),
    ("D_DECL_IDRED", "int pid;", "built-in identifier redeclared: pid", ()),
    ("D_DECL_TYPERED", "struct s { int a; };\nstruct s { int b; };", "type redeclared: struct s", ()),
    ("D_DECL_MNAME", "struct s { int; };", "member declaration requires a name", ()),
    ("D_DECL_SCOPE", "int a`b;", "D scoping operator may not be used in a declaration name (a`b)",
     ()),
    ("D_DECL_BFCONST", "struct s { int a:0; };",
     "positive integral constant expression expected as bit-field size", ()),
    ("D_DECL_BFSIZE", "struct s { char a:9; };", "bit-field too big for type: a", ()),
    ("D_DECL_BFTYPE", "struct s { string a:3; };", "invalid type for bit-field: a", ()),
    ("D_DECL_ENCONST", 'enum e { A = "x" };\nBEGIN { }',
     "enumerator 'A' must be assigned to an integral constant expression", ()),
    ("D_DECL_ENOFLOW", "enum e { A = 0x100000000 };",
     "enumerator 'A' value overflows INT_MAX (2147483647)", ()),
    ("D_DECL_USELESS", "int;", "useless declaration", ()),
    ("D_DECL_LOCASSC", "this int a[int];",
     "associative arrays may not be declared as local variables: a", ()),
    ("D_DECL_VOIDOBJ", "void x;", "cannot have void object: x", ()),
    ("D_DECL_DYNOBJ", "int a[2][int];", "cannot declare array of associative arrays", ()),
    ("D_DECL_INCOMPLETE", "struct nosuch x;", "incomplete struct/union/enum struct nosuch: x", ()),
    ("D_DECL_PROTO_VARARGS", "int a[...];",
     "array prototype may not use a variable-length argument list", ()),
    ("D_DECL_PROTO_TYPE", "int a[void];",
     "array prototype may not use parameter of type void: (anonymous), parameter #1", ()),
    ("D_DECL_PROTO_VOID", "provider p { probe x(void, int); };", "void must be sole parameter", ()),
    ("D_DECL_PROTO_NAME", "provider p { probe x(void v); };",
     "void parameter may not have a name: v", ()),
    ("D_DECL_PROTO_FORM", "int a[int x, int x];",
     "parameter is already declared in array prototype: x, parameter #2", ()),
    ("D_COMM_COMM", "BEGIN { commit(1); commit(2); }", "commit( ) may not follow commit( )", ()),
    ("D_COMM_DREC", "BEGIN { trace(1); commit(1); }",
     "commit( ) may not follow data-recording action(s)", ()),
    ("D_SPEC_SPEC", "BEGIN { speculate(1); speculate(2); }",
     "speculate( ) may not follow speculate( )", ()),
    ("D_SPEC_COMM", "BEGIN { commit(1); speculate(1); }", "speculate( ) may not follow commit( )",
     ()),
    ("D_SPEC_DREC", "BEGIN { trace(1); speculate(1); }",
     "speculate( ) may not follow data-recording action(s)", ()),
    ("D_AGG_COMM", "BEGIN { commit(1); @a = count(); }",
     "aggregating actions may not follow commit( )", ()),
    ("D_AGG_SPEC", "BEGIN { speculate(1); @a = count(); }",
     "aggregating actions may not follow speculate( )", ()),
    ("D_AGG_NULL", "BEGIN { @a; }", "expression has null effect: @a", ()),
    ("D_AGG_SCALAR", 'BEGIN { @ = sum("x"); }', "sum( ) argument #1 must be of scalar type", ()),
    ("D_ACT_SPEC", "BEGIN { speculate(1); raise(9); }",
     "destructive actions may not follow speculate( )", ("-w",)),
    ("D_EXIT_SPEC", "BEGIN { speculate(1); exit(0); }", "exit( ) may not follow speculate( )", ()),
    ("D_DREC_COMM", "BEGIN { commit(1); trace(1); }",
     "data-recording actions may not follow commit( )", ()),
    ("D_PRINTA_PROTO", 'BEGIN { printa("%d"); }',
     "printa( ) prototype mismatch: 1 args passed, 2 expected", ()),
    ("D_PRINTA_AGGARG", "BEGIN { printa(1); }",
     "printa( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n"
     "\t argument: int", ()),
    ("D_PRINTA_AGGBAD", "BEGIN { printa(@a); }", "undefined aggregation: @a", ()),
    ("D_PRINTA_AGGKEY", "BEGIN { @a[1] = count(); @b = count(); printa(@a, @b); }",
     "printa( ): @a and @b do not have matching key signatures: @a has 1 key, @b has 0 keys",
     ()),
    ("D_PRINTA_AGGPROTO", 'BEGIN { @a[1] = count(); @b["x"] = count(); printa(@a, @b); }',
     None, ()),
    ("D_TRACE_VOID", "BEGIN { trace((void)0); }", "trace( ) may not be applied to a void expression",
     ()),
    ("D_TRACE_DYN", XL + "struct in_t *ip;\nBEGIN { trace(xlate <struct out_t *> (ip)); }",
     "trace( ) may not be applied to a translated pointer", ()),
    ("D_TRACE_AGG", "BEGIN { @a = count(); trace(@a); }", None, ()),
    ("D_PRINT_VOID", "BEGIN { print((void)0); }", "print( ) may not be applied to a void expression",
     ()),
    ("D_PRINT_DYN", XL + "struct in_t *ip;\nBEGIN { print(xlate <struct out_t *> (ip)); }",
     "print( ) may not be applied to a translated pointer", ()),
    ("D_PRINT_AGG", "BEGIN { @a = count(); print(@a); }",
     "print( ) may not be applied to an aggregation -- did you mean printa()?", ()),
    ("D_TRACEMEM_ADDR", 'BEGIN { tracemem("a", 10); }', None, ()),
    ("D_TRACEMEM_SIZE", "BEGIN { tracemem(arg0, 0); }",
     "tracemem( ) argument #2 must be a non-zero positive integral constant expression", ()),
    ("D_TRACEMEM_ARGS", "BEGIN { tracemem(arg0, 10, 5, 1); }",
     "tracemem ( ) prototype mismatch: expected at most 3 args", ()),
    ("D_TRACEMEM_DYNSIZE", 'BEGIN { tracemem(arg0, 10, "a"); }',
     "tracemem ( ) dynamic size (argument #3) must be of scalar type", ()),
    ("D_STACK_PROTO", "BEGIN { stack(1, 2); }", "stack( ) prototype mismatch: too many arguments",
     ()),
    ("D_STACK_SIZE", "BEGIN { stack(0); }",
     "stack( ) size must be a non-zero positive integral constant expression", ()),
    ("D_USTACK_FRAMES", "BEGIN { ustack(0); }",
     "ustack( ) argument #1 must be a non-zero positive integer constant", ()),
    ("D_USTACK_STRSIZE", "BEGIN { ustack(1, -1); }",
     "ustack( ) argument #2 must be a positive integer constant", ()),
    ("D_USTACK_PROTO", "BEGIN { ustack(1, 2, 3); }",
     "ustack( ) prototype mismatch: too many arguments", ()),
    ("D_LQUANT_BASETYPE", "BEGIN { x = 0; @ = lquantize(1, x, 10); }",
     "lquantize( ) argument #1 must be an integer constant", ()),
    ("D_LQUANT_BASEVAL", "BEGIN { @ = lquantize(1, 0x100000000, 0x100000010); }",
     "lquantize( ) argument #1 must be a 32-bit quantity", ()),
    ("D_LQUANT_LIMTYPE", "BEGIN { x = 0; @ = lquantize(1, 0, x); }",
     "lquantize( ) argument #2 must be an integer constant", ()),
    ("D_LQUANT_LIMVAL", "BEGIN { @ = lquantize(1, 0, 0x100000000); }",
     "lquantize( ) argument #2 must be a 32-bit quantity", ()),
    ("D_LQUANT_MISMATCH", "BEGIN { @ = lquantize(1, 10, 5); }", None, ()),
    ("D_LQUANT_STEPTYPE", "BEGIN { x = 1; @ = lquantize(1, 0, 10, x); }",
     "lquantize( ) argument #3 must be a non-zero positive integer constant", ()),
    ("D_LQUANT_STEPVAL", "BEGIN { @ = lquantize(1, 0, 100000, 70000); }",
     "lquantize( ) argument #3 must be a 16-bit quantity", ()),
    ("D_LQUANT_STEPLARGE", "BEGIN { @ = lquantize(1, 0, 10, 20); }",
     "lquantize( ) step (argument #3) too large: must have at least one quantization level", ()),
    ("D_LQUANT_STEPSMALL", "BEGIN { @ = lquantize(1, 0, 100000, 1); }",
     "lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit "
     "quantity", ()),
    ("D_CLEAR_PROTO", "BEGIN { @a = count(); clear(@a, 1); }",
     "clear( ) prototype mismatch: 2 args passed, 1 expected", ()),
    ("D_CLEAR_AGGARG", "BEGIN { clear(1); }",
     "clear( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n"
     "\t argument: int", ()),
    ("D_CLEAR_AGGBAD", "BEGIN { clear(@a); }", "undefined aggregation: @a", ()),
    ("D_NORMALIZE_PROTO", "BEGIN { @a = count(); normalize(@a); }",
     "normalize( ) prototype mismatch: 1 args passed, 2 expected", ()),
    ("D_NORMALIZE_SCALAR", 'BEGIN { @a = count(); normalize(@a, "x"); }',
     "normalize( ) argument #2 must be of scalar type", ()),
    ("D_NORMALIZE_AGGARG", "BEGIN { normalize(1, 2); }",
     "normalize( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n"
     "\t argument: int", ()),
    ("D_NORMALIZE_AGGBAD", "BEGIN { normalize(@a, 2); }", "undefined aggregation: @a", ()),
    ("D_TRUNC_PROTO", "BEGIN { @a = count(); trunc(@a, 1, 2); }",
     "trunc( ) prototype mismatch: 3 args passed, no more than 2 expected", ()),
    ("D_TRUNC_SCALAR", 'BEGIN { @a = count(); trunc(@a, "x"); }',
     "trunc( ) argument #2 must be of scalar type", ()),
    ("D_TRUNC_AGGARG", "BEGIN { trunc(1); }",
     "trunc( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n"
     "\t argument: int", ()),
    ("D_TRUNC_AGGBAD", "BEGIN { trunc(@a); }", "undefined aggregation: @a", ()),
    ("D_PROV_BADNAME", "provider p { probe " + "x" * 70 + "(); };",
     "probe name may not exceed 63 characters: ::" + "x" * 70, ()),
    ("D_PROV_INCOMPAT", "provider p { probe a(int); };\nprovider p { probe a(char *); };",
     "probe p:a output prototype argument #1 mismatch:\n\t current: char *\n\tprevious: int",
     ()),
    ("D_PROV_PRDUP", "provider p { probe a(); probe a(); };", "probe redeclared: p:a", ()),
    ("D_PROV_PRARGLEN", "provider p { probe a(" + ", ".join(["int"] * 256) + "); };",
     "probe ::a input prototype exceeds 255 parameters: 256 params used", ()),
    ("D_PROV_PRXLATOR", "provider p { probe a(int x) : (char *x); };",
     "translator for p:a output argument #1 from int to char * is not defined", ()),
    ("D_FREOPEN_INVALID", 'BEGIN { freopen("."); }', 'freopen( ) argument #1 cannot be "."',
     ("-w",)),
    ("D_LQUANT_MATCHBASE", "BEGIN { @a = lquantize(1, 0, 10); @a = lquantize(1, 1, 10); }",
     "lquantize( ) base (argument #1) doesn't match previous declaration: expected 0, found 1",
     ()),
    ("D_LQUANT_MATCHLIM", "BEGIN { @a = lquantize(1, 0, 10); @a = lquantize(1, 0, 20); }",
     "lquantize( ) limit (argument #2) doesn't match previous declaration: expected 10, found 20",
     ()),
    ("D_LQUANT_MATCHSTEP", "BEGIN { @a = lquantize(1, 0, 10); @a = lquantize(1, 0, 10, 2); }",
     "lquantize( ) step (argument #3) doesn't match previous declaration: expected 1, found 2",
     ()),
    ("D_LLQUANT_FACTORTYPE", "BEGIN { x = 10; @ = llquantize(1, x, 0, 6, 20); }",
     "llquantize( ) argument #1 (factor) must be an integer constant", ()),
    ("D_LLQUANT_FACTORVAL", "BEGIN { @ = llquantize(1, 70000, 0, 6, 20); }",
     "llquantize( ) argument #1 (factor) must be an unsigned 16-bit quantity", ()),
    ("D_LLQUANT_FACTORMATCH",
     "BEGIN { @a = llquantize(1, 10, 0, 6, 100); @a = llquantize(1, 100, 0, 6, 100); }",
     "llquantize( ) factor (argument #1) doesn't match previous declaration: expected 10, "
     "found 100", ()),
    ("D_LLQUANT_LOWTYPE", "BEGIN { x = 0; @ = llquantize(1, 10, x, 6, 20); }",
     "llquantize( ) argument #2 (low magnitude) must be an integer constant", ()),
    ("D_LLQUANT_LOWVAL", "BEGIN { @ = llquantize(1, 10, 70000, 6, 20); }",
     "llquantize( ) argument #2 (low magnitude) must be an unsigned 16-bit quantity", ()),
    ("D_LLQUANT_LOWMATCH",
     "BEGIN { @a = llquantize(1, 10, 0, 6, 20); @a = llquantize(1, 10, 1, 6, 20); }",
     "llquantize( ) low magnitude (argument #2) doesn't match previous declaration: expected 0, "
     "found 1", ()),
    ("D_LLQUANT_HIGHTYPE", "BEGIN { x = 6; @ = llquantize(1, 10, 0, x, 20); }",
     "llquantize( ) argument #3 (high magnitude) must be an integer constant", ()),
    ("D_LLQUANT_HIGHVAL", "BEGIN { @ = llquantize(1, 10, 0, 70000, 20); }",
     "llquantize( ) argument #3 (high magnitude) must be an unsigned 16-bit quantity", ()),
    ("D_LLQUANT_HIGHMATCH",
     "BEGIN { @a = llquantize(1, 10, 0, 6, 20); @a = llquantize(1, 10, 0, 7, 20); }",
     "llquantize( ) high magnitude (argument #3) doesn't match previous declaration: expected "
     "6, found 7", ()),
    ("D_LLQUANT_NSTEPTYPE", "BEGIN { x = 20; @ = llquantize(1, 10, 0, 6, x); }",
     "llquantize( ) argument #4 (linear steps per magnitude) must be an integer constant", ()),
    ("D_LLQUANT_NSTEPVAL", "BEGIN { @ = llquantize(1, 10, 0, 6, 70000); }",
     "llquantize( ) argument #4 (linear steps per magnitude) must be an unsigned 16-bit "
     "quantity", ()),
    ("D_LLQUANT_NSTEPMATCH",
     "BEGIN { @a = llquantize(1, 10, 0, 6, 20); @a = llquantize(1, 10, 0, 6, 50); }",
     "llquantize( ) linear steps per magnitude (argument #4) doesn't match previous declaration: "
     "expected 20, found 50", ()),
    ("D_LLQUANT_MAGRANGE", "BEGIN { @ = llquantize(1, 10, 6, 6, 20); }",
     "llquantize( ) high magnitude (argument #3) must be greater than low magnitude "
     "(argument #2)", ()),
    ("D_LLQUANT_FACTORNSTEPS", "BEGIN { @ = llquantize(1, 10, 0, 6, 5); }",
     "llquantize( ) factor (argument #1) must be less than or equal to the number of linear "
     "steps per magnitude (argument #4)", ()),
    ("D_LLQUANT_FACTOREVEN", "BEGIN { @ = llquantize(1, 10, 0, 6, 15); }",
     "llquantize( ) factor (argument #1) must evenly divide the number of steps per magnitude "
     "(argument #4), and the number of steps per magnitude must evenly divide a power of the "
     "factor", ()),
    ("D_LLQUANT_FACTORSMALL", "BEGIN { @ = llquantize(1, 1, 0, 6, 20); }",
     "llquantize( ) factor (argument #1) must be two or more", ()),
    ("D_ATTR_MIN", "BEGIN { }",
     "attributes for clause (Stable/Stable/Common) are less than predefined minimum",
     ("-xamin=Standard",)),
    ("D_LLQUANT_MAGTOOBIG", "BEGIN { @ = llquantize(1, 10, 0, 30, 20); }",
     "llquantize( ) factor (10) raised to power of high magnitude (30) overflows 64-bits", ()),
    # 80 values live at once: more than R0-R9 plus the 512-byte frame's 64 spill slots
    ("D_NOREG", "BEGIN { a = 1; x = " + " + (".join(f"a * {i}" for i in range(1, 81))
     + ")" * 79 + "; }", "Insufficient registers to generate code", ()),
    # global ids run from DIF_VAR_OTHER_UBASE (0x500) below DIF_VAR_OTHER_MAX (0xffff)
    ("D_ID_OFLOW", "int " + ", ".join(f"v{i}" for i in range(0xFFFF - 0x500 + 1)) + ";",
     "cannot create v64255: limit on number of global variables exceeded", ()),
    ("D_UNKNOWN", "struct s { int a; int a; };",
     "failed to define member 'a': Duplicate member name definition", ()),
]



def with_clause(program: str) -> str:
    """Declarations alone are an empty program (D_EMPTY): give them a clause."""
    if program and not any(k in program for k in ("BEGIN", ":::", ":b:", "#")):
        return program + "\nBEGIN { }"
    return program


CASES = [(tag, with_clause(prog), msg, extra) for tag, prog, msg, extra in CASES]

UNREACHABLE: dict[str, str] = {
    "D_VAR_UNSUP": "illumos libdtrace never raises it; Oracle's dt_cg_tramp_var does only for "
                   "a variable its provider trampolines name by string ('x->y' with x not "
                   "self/this), never for D source; the trampolines here name no D variables",
    "D_QUANT_PROTO": "declared in dt_errtags.h but raised by neither illumos nor Oracle "
                     "libdtrace: quantize() arity is D_PROTO_LEN, its value D_AGG_SCALAR",
}

# Reachable tags the compiler does not produce yet (wrong tag, wrong wording or no
# error): each row stays in CASES and runs as an expected failure until fixed.
NOT_YET: frozenset[str] = frozenset()


def compile_script(tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str,
                   extra: tuple[str, ...]) -> tuple[int, str, str, str]:
    path = tmp_path / "t.d"
    path.write_text(program)
    flags = [a for a in extra if a.startswith("-")]
    operands = [a for a in extra if not a.startswith("-")]
    status = cli.main(["-x", "errtags", "-e", *flags, "-s", str(path), *operands])
    out, err = capsys.readouterr()
    return status, out, err, str(path)


# Tags produced only against the running kernel (probe listings): their rows are in
# tests/kernel/test_error_tags_kernel.py, checked the same way.
KERNEL_ONLY: frozenset[str] = frozenset({"D_ARGS_MULTI", "D_PROC_FUNC", "D_PROC_NAME",
                                         "D_PROC_OFF", "D_PROC_ALIGN", "D_ASRELO",
                                         "D_SYM_MODEL", "D_SYM_NOTYPES", "D_ARGS_TYPE",
                                         "D_ARGS_XLATOR", "D_IDENT_AMBIG", "D_TYPE_ERR",
                                         "D_PROC_DYN", "D_PROC_LIB", "D_PROC_CREATEFAIL",
                                         "D_PROC_NODEV", "D_PROC_USDT"})


def test_table_covers_every_tag() -> None:
    tags = {c[0] for c in CASES}
    assert not tags & set(UNREACHABLE)
    assert not tags & KERNEL_ONLY and not KERNEL_ONLY & set(UNREACHABLE)
    assert tags | set(UNREACHABLE) | KERNEL_ONLY == set(errtags.TAGS)
    assert len(errtags.TAGS) == 219


@pytest.mark.parametrize(
    ("tag", "program", "message", "extra"),
    [pytest.param(*c, marks=pytest.mark.xfail(reason="not produced yet", strict=True))
     if c[0] in NOT_YET else c for c in CASES],
    ids=[c[0] for c in CASES])
def test_error_tag(tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str, program: str,
                   message: str | None, extra: tuple[str, ...]) -> None:
    status, out, err, path = compile_script(tmp_path, capsys, program, extra)
    assert "Traceback" not in err
    assert status == 1, err
    assert out == ""
    m = re.fullmatch(rf"dtrace: failed to compile script {re.escape(path)}: "
                     rf"\[(D_[A-Z_]+)\] (?:(?:line \d+|in action list|in predicate): )?(.*)\n",
                     err, re.S)
    assert m, err
    assert m.group(1) == tag, err
    if message is not None:
        assert m.group(2) == message


@pytest.mark.parametrize("tag", sorted(UNREACHABLE))
def test_unreachable_tag_is_defined(tag: str) -> None:
    assert errtags.known(tag)
    assert UNREACHABLE[tag]


def test_first_error_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = "BEGIN { trace(y); }\nBEGIN { x = 1 / 0; }\n"
    status, _, err, _ = compile_script(tmp_path, capsys, program, ())
    assert status == 1
    assert "[D_IDENT_UNDEF] line 1:" in err


def test_sources_use_only_known_tags() -> None:
    root = Path(__file__).resolve().parents[2] / "pydtrace"
    unknown = set()
    for src in root.rglob("*.py"):
        for tag in re.findall(r"[\"'](D_[A-Z_]+)[\"']", src.read_text()):
            if not errtags.known(tag) and tag not in errtags.PREFIXES:
                unknown.add(f"{src.name}: {tag}")
    assert not unknown
