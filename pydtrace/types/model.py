"""The D type model: integers, strings, pointers, arrays, structs, with C layout.

``str(t)`` prints the type as D spells it (``unsigned int``, ``char *``).
"""

from __future__ import annotations

from pydtrace.record import Record, field, record


class DType(Record):
    """Base of all D types; subclasses provide ``size`` and ``align``."""

    size: int
    align: int

    @property
    def is_integer(self) -> bool:
        return False

    @property
    def is_pointer(self) -> bool:
        return False

    @property
    def is_string(self) -> bool:
        return False

    @property
    def is_scalar(self) -> bool:
        """Integers and pointers: what fits in a register."""
        return self.is_integer or self.is_pointer

    def resolve(self) -> DType:
        """The type behind typedefs."""
        return self


@record(eq=True)
class IntType(DType):
    """An integer type of 1, 2, 4 or 8 bytes."""

    name: str
    size: int
    signed: bool

    @property
    def align(self) -> int:  # type: ignore[override]
        return self.size

    @property
    def is_integer(self) -> bool:
        return True

    @property
    def rank(self) -> int:
        return {1: 1, 2: 2, 4: 3, 8: 4}[self.size] * 2 + (0 if self.signed else 1)

    def __str__(self) -> str:
        return self.name


@record(eq=True)
class VoidType(DType):
    """``void``."""

    size: int = 0

    @property
    def align(self) -> int:  # type: ignore[override]
        return 1

    def __str__(self) -> str:
        return "void"


@record(eq=True)
class StringType(DType):
    """D's by-value string; its storage size is ``strsize``."""

    size: int = 256

    @property
    def align(self) -> int:  # type: ignore[override]
        return 1

    @property
    def is_string(self) -> bool:
        return True

    def __str__(self) -> str:
        return "string"


@record(eq=True)
class FloatType(DType):
    """A floating-point type (values can only be traced)."""

    name: str
    size: int

    @property
    def align(self) -> int:  # type: ignore[override]
        return self.size

    def __str__(self) -> str:
        return self.name


@record(eq=True)
class PointerType(DType):
    """A pointer; ``userland`` marks user-space addresses."""

    target: DType
    userland: bool = False
    size: int = 8

    @property
    def align(self) -> int:  # type: ignore[override]
        return 8

    @property
    def is_pointer(self) -> bool:
        return True

    def __str__(self) -> str:
        inner = str(self.target)
        return f"{inner}*" if inner.endswith("*") else f"{inner} *"


@record(eq=True)
class FunctionType(DType):
    """A function type (``typedef int f_t(int);``): only pointed to, never a value."""

    ret: DType
    size: int = 0

    @property
    def align(self) -> int:  # type: ignore[override]
        return 1

    def __str__(self) -> str:
        return f"{self.ret} ()"


@record(eq=True)
class ArrayType(DType):
    """A fixed-size array."""

    elem: DType
    count: int

    @property
    def size(self) -> int:  # type: ignore[override]
        return self.elem.size * self.count

    @property
    def align(self) -> int:  # type: ignore[override]
        return self.elem.align

    def __str__(self) -> str:
        return f"{self.elem} [{self.count}]"


@record
class StructMember(Record):
    """One member of a struct or union, bit-fields included."""

    name: str
    type: DType
    offset: int  # bytes
    bit_offset: int = 0
    bits: int = 0  # 0: not a bit-field


@record
class StructType(DType):
    """A struct or union with C layout."""

    kind: str  # "struct" or "union"
    name: str | None
    members: list[StructMember] = field(default_factory=list)
    size: int = 0
    align: int = 1
    complete: bool = False

    def member(self, name: str) -> StructMember | None:
        return next((m for m in self.members if m.name == name), None)

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" if self.name else f"{self.kind} <anon>"


@record
class EnumType(DType):
    """An enum and its constants."""

    name: str | None
    values: dict[str, int] = field(default_factory=dict)
    size: int = 4
    align: int = 4

    @property
    def is_integer(self) -> bool:
        return True

    @property
    def signed(self) -> bool:
        return True

    @property
    def rank(self) -> int:
        return 6

    def __str__(self) -> str:
        return f"enum {self.name}" if self.name else "enum <anon>"


@record(eq=True)
class Typedef(DType):
    """A named alias of another type."""

    name: str
    target: DType

    def resolve(self) -> DType:
        return self.target.resolve()

    @property
    def size(self) -> int:  # type: ignore[override]
        return self.target.size

    @property
    def align(self) -> int:  # type: ignore[override]
        return self.target.align

    @property
    def is_integer(self) -> bool:
        return self.resolve().is_integer

    @property
    def is_pointer(self) -> bool:
        return self.resolve().is_pointer

    @property
    def is_string(self) -> bool:
        return self.resolve().is_string

    def __str__(self) -> str:
        return self.name


CHAR = IntType("char", 1, True)
UCHAR = IntType("unsigned char", 1, False)
SHORT = IntType("short", 2, True)
USHORT = IntType("unsigned short", 2, False)
INT = IntType("int", 4, True)
UINT = IntType("unsigned int", 4, False)
LONG = IntType("long", 8, True)
ULONG = IntType("unsigned long", 8, False)
LLONG = IntType("long long", 8, True)
ULLONG = IntType("unsigned long long", 8, False)
BOOL = IntType("_Bool", 1, False)
VOID = VoidType()

INT64 = Typedef("int64_t", LLONG)
UINT64 = Typedef("uint64_t", ULLONG)
UINT32 = Typedef("uint32_t", UINT)
SIZE_T = Typedef("size_t", ULONG)
UINTPTR = Typedef("uintptr_t", ULONG)


def _typedefs() -> dict[str, DType]:
    table: dict[str, DType] = {}
    for bits, signed_t, unsigned_t in ((8, CHAR, UCHAR), (16, SHORT, USHORT), (32, INT, UINT),
                                       (64, LLONG, ULLONG)):
        table[f"int{bits}_t"] = Typedef(f"int{bits}_t", signed_t)
        table[f"uint{bits}_t"] = Typedef(f"uint{bits}_t", unsigned_t)
    simple = {
        "size_t": ULONG, "ssize_t": LONG, "uintptr_t": ULONG, "intptr_t": LONG,
        "uint_t": UINT, "uchar_t": UCHAR, "ushort_t": USHORT, "ulong_t": ULONG,
        "u_longlong_t": ULLONG, "longlong_t": LLONG, "id_t": INT, "pid_t": INT,
        "uid_t": UINT, "gid_t": UINT, "processorid_t": INT, "zoneid_t": INT,
        "projid_t": INT, "taskid_t": INT, "dev_t": ULONG, "major_t": UINT, "minor_t": UINT,
        "off_t": LONG, "time_t": LONG, "hrtime_t": LLONG, "boolean_t": INT,
        "ipaddr_t": UINT, "caddr_t": PointerType(CHAR), "ptrdiff_t": LONG,
        "u_int": UINT, "u_long": ULONG, "u_char": UCHAR, "u_short": USHORT,
        "bool": BOOL,
    }
    for name, target in simple.items():
        table[name] = Typedef(name, target)
    return table


BUILTIN_TYPEDEFS = _typedefs()

_WORDS: dict[tuple[str, ...], DType] = {
    ("char",): CHAR, ("signed", "char"): CHAR, ("unsigned", "char"): UCHAR,
    ("short",): SHORT, ("short", "int"): SHORT, ("signed", "short"): SHORT,
    ("signed", "short", "int"): SHORT, ("unsigned", "short"): USHORT,
    ("unsigned", "short", "int"): USHORT,
    ("int",): INT, ("signed",): INT, ("signed", "int"): INT,
    ("unsigned",): UINT, ("unsigned", "int"): UINT,
    ("long",): LONG, ("long", "int"): LONG, ("signed", "long"): LONG,
    ("signed", "long", "int"): LONG,
    ("unsigned", "long"): ULONG, ("unsigned", "long", "int"): ULONG,
    ("long", "long"): LLONG, ("long", "long", "int"): LLONG, ("signed", "long", "long"): LLONG,
    ("signed", "long", "long", "int"): LLONG,
    ("unsigned", "long", "long"): ULLONG, ("unsigned", "long", "long", "int"): ULLONG,
    ("_Bool",): BOOL, ("void",): VOID,
    ("float",): FloatType("float", 4), ("double",): FloatType("double", 8),
    ("long", "double"): FloatType("long double", 16),
}


def builtin_from_words(words: tuple[str, ...]) -> DType | None:
    """``("unsigned", "long")`` -> ``unsigned long``; order of words does not matter."""
    if words == ("string",):
        return StringType()
    order = {"signed": 0, "unsigned": 0, "short": 1, "long": 2, "char": 3, "int": 4}
    key = tuple(sorted(words, key=lambda w: order.get(w, 5)))
    return _WORDS.get(key) or _WORDS.get(words)


def int_type_for(size: int, signed: bool) -> IntType:
    return {(1, True): CHAR, (1, False): UCHAR, (2, True): SHORT, (2, False): USHORT,
            (4, True): INT, (4, False): UINT, (8, True): LLONG, (8, False): ULLONG}[(size, signed)]


def promote(t: DType) -> DType:
    """C integer promotion: anything narrower than int becomes int."""
    r = t.resolve()
    if isinstance(r, IntType) and r.size < 4:
        return INT
    if isinstance(r, EnumType):
        return INT
    return r


def arith_result(a: DType, b: DType) -> DType:
    """The usual arithmetic conversions of C for two integer operands."""
    pa, pb = promote(a), promote(b)
    assert isinstance(pa, IntType) and isinstance(pb, IntType)
    if pa == pb:
        return pa
    hi, lo = (pa, pb) if pa.rank >= pb.rank else (pb, pa)
    if hi.signed and not lo.signed and hi.size == lo.size:
        return int_type_for(hi.size, False)
    return hi
