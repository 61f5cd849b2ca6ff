"""The ``-x`` option table: names, kinds, defaults and value parsing.

Every tunable that ``dtrace -x name[=value]``, ``#pragma D option`` and
``DTRACE_OPT_<NAME>`` can set is one row of :data:`TABLE`. Values are parsed
once, here, into plain Python values: sizes into bytes, rates and times into
nanoseconds, booleans into ``bool``. The rest of pydtrace reads them with
``options["bufsize"]`` and never sees the text.

This module is on the start-up path of every ``dtrace`` run: stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydtrace.errors import DTraceError

NANOSEC = 1_000_000_000
INT64_MAX = (1 << 63) - 1

INVALID_NAME = "Invalid option name"
INVALID_VALUE = "Invalid value for specified option"

# Kinds of option values.
SIZE = "size"      # bytes; k/m/g/t suffix, x1024 each, either case
RATE = "rate"      # nanoseconds of interval; ns..day suffixes or hz
BOOL = "bool"      # runtime boolean: name alone sets, yes/no words set or unset
FLAG = "flag"      # compile-time flag: can only be set
INT = "int"        # unsigned number (C syntax: 0x.. hex, 0.. octal)
STRING = "string"  # free text
ENUM = "enum"      # one of a fixed set of words
LIST = "list"      # repeatable text (-D, -U, -I, -L): each set appends

# When an option takes effect.
COMPILE = "compile"  # read by the compiler
RUNTIME = "runtime"  # fixed once tracing starts
DYNAMIC = "dynamic"  # may change while tracing, through setopt()

_TRUE_WORDS = frozenset({"yes", "enable", "enabled", "true", "on", "set"})
_FALSE_WORDS = frozenset({"no", "disable", "disabled", "false", "off", "unset"})

# Rate suffixes -> nanoseconds per unit; 0 marks "hz" (a frequency).
_RATE_SUFFIXES: dict[str, int] = {
    "": 1, "ns": 1, "nsec": 1,
    "us": 1_000, "usec": 1_000,
    "ms": 1_000_000, "msec": 1_000_000,
    "s": NANOSEC, "sec": NANOSEC,
    "m": 60 * NANOSEC, "min": 60 * NANOSEC,
    "h": 3600 * NANOSEC, "hour": 3600 * NANOSEC,
    "d": 86400 * NANOSEC, "day": 86400 * NANOSEC,
    "hz": 0,
}
_SIZE_SUFFIXES = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


class OptionError(DTraceError):
    """An option could not be set. ``reason`` is INVALID_NAME or INVALID_VALUE.

    The message is dtrace(1)'s: ``failed to set -x NAME: <reason>``; the
    compiler turns a pragma's failure into D_PRAGMA_OPTSET from ``name`` and
    ``reason``.
    """

    def __init__(self, label: str, name: str, reason: str) -> None:
        super().__init__(f"failed to set {label}: {reason}")
        self.name = name
        self.reason = reason


class OptionSpec:
    """One row of the option table."""

    __slots__ = ("name", "kind", "default", "cls", "choices", "minimum")

    def __init__(self, name: str, kind: str, default: object, cls: str,
                 choices: tuple[str, ...] = (), minimum: int = 0) -> None:
        self.name = name
        self.kind = kind
        self.default = default
        self.cls = cls
        self.choices = choices
        self.minimum = minimum

    def __repr__(self) -> str:
        return f"OptionSpec({self.name!r}, {self.kind!r}, {self.default!r}, {self.cls!r})"


def _c(name: str, kind: str, default: object = None, *, choices: tuple[str, ...] = (),
       minimum: int = 0) -> OptionSpec:
    return OptionSpec(name, kind, default, COMPILE, choices, minimum)


def _r(name: str, kind: str, default: object = None, *, choices: tuple[str, ...] = (),
       minimum: int = 0) -> OptionSpec:
    return OptionSpec(name, kind, default, RUNTIME, choices, minimum)


def _d(name: str, kind: str, default: object = None) -> OptionSpec:
    return OptionSpec(name, kind, default, DYNAMIC)


_M = 1 << 20

# Defaults are illumos libdtrace's, with the values dtrace(1) sets before it
# reads the command line (bufsize, aggsize 4m; temporal on).
_SPECS: tuple[OptionSpec, ...] = (
    # --- compile time (dt_options.c ctoptions) ---
    _c("aggpercpu", FLAG, False),
    _c("amin", STRING),
    _c("argref", FLAG, False),
    _c("core", FLAG, False),
    _c("cpp", FLAG, False),
    _c("cpphdrs", FLAG, False),
    _c("cpppath", STRING, "/usr/bin/cpp"),
    _c("ctypes", STRING),
    _c("debug", FLAG, False),
    _c("defaultargs", FLAG, False),
    _c("define", LIST, ()),
    _c("droptags", FLAG, False),
    _c("dtypes", STRING),
    _c("empty", FLAG, False),
    _c("encoding", ENUM, "auto", choices=("auto", "ascii", "utf8")),
    _c("errtags", FLAG, False),
    _c("evaltime", ENUM, "postinit", choices=("exec", "preinit", "postinit", "main")),
    _c("incdir", LIST, ()),
    _c("iregs", INT, 8, minimum=1),
    _c("kdefs", FLAG, False),
    _c("knodefs", FLAG, False),
    _c("late", ENUM, "static", choices=("dynamic", "static")),
    _c("lazyload", FLAG, False),
    _c("ldpath", STRING, "/usr/bin/ld"),
    _c("libdir", LIST, ()),
    _c("linkmode", ENUM, "kernel", choices=("kernel", "primary", "dynamic", "static")),
    _c("linktype", ENUM, "elf", choices=("elf", "dof")),
    _c("nolibs", FLAG, False),
    _c("pgmax", INT, 8),
    _c("pspec", FLAG, False),
    _c("setenv", LIST, ()),
    _c("stdc", ENUM, "a", choices=("a", "c", "s", "t")),
    _c("strip", FLAG, False),
    _c("syslibdir", STRING, "/usr/lib/dtrace"),
    _c("tree", INT, 0, minimum=1),
    _c("tregs", INT, 8, minimum=1),
    _c("udefs", FLAG, False),
    _c("undef", LIST, ()),
    _c("unodefs", FLAG, False),
    _c("unsetenv", LIST, ()),
    _c("verbose", FLAG, False),
    _c("version", STRING),
    _c("zdefs", FLAG, False),
    # --- runtime (rtoptions) ---
    _r("aggsize", SIZE, 4 * _M),
    _r("bufpolicy", ENUM, "switch", choices=("switch", "fill", "ring")),
    _r("bufresize", ENUM, "auto", choices=("auto", "manual")),
    _r("bufsize", SIZE, 4 * _M),
    _r("cleanrate", RATE, NANOSEC // 101),
    _r("cpu", INT),  # None: every CPU
    _r("destructive", BOOL, False),
    _r("dynvarsize", SIZE, _M),
    _r("grabanon", FLAG, False),
    _r("jstackframes", INT, 50),
    _r("jstackstrsize", SIZE, 512),
    _r("nspec", INT, 1),
    _r("specsize", SIZE, 32 << 10),
    _r("stackframes", INT, 20),
    _r("statusrate", RATE, NANOSEC),
    _r("strsize", SIZE, 256),
    _r("temporal", BOOL, True),
    _r("ustackframes", INT, 20),
    _r("zone", STRING),
    # --- dynamic (drtoptions): setopt() may change them while tracing ---
    _d("aggrate", RATE, NANOSEC),
    _d("agghist", BOOL, False),
    _d("aggpack", BOOL, False),
    _d("aggsortkey", BOOL, False),
    _d("aggsortkeypos", INT, 0),
    _d("aggsortpos", INT, 0),
    _d("aggsortrev", BOOL, False),
    _d("aggzoom", BOOL, False),
    _d("flowindent", BOOL, False),
    _d("quiet", BOOL, False),
    _d("rawbytes", BOOL, False),
    _d("stackindent", INT, 14),
    _d("switchrate", RATE, NANOSEC),
    # --- Oracle Linux DTrace only ---
    _r("bpflog", BOOL, False),
    _r("bpflogsize", SIZE),
    _c("cppargs", LIST, ()),
    _c("ctfpath", STRING),
    _c("debugassert", STRING),
    _c("disasm", INT, 0),
    _c("dofstashpath", STRING),
    _r("linknommap", BOOL, False),
    _r("lockmem", SIZE),
    _r("maxframes", INT),
    _c("modpath", STRING),
    _c("noresolve", FLAG, False),
    _r("pcapsize", SIZE),
    _r("preallocate", SIZE),
    _r("printsize", SIZE),
    _c("procfspath", STRING, "/proc"),
    _r("quietresize", BOOL, False),
    _r("scratchsize", SIZE),
    _c("sysslice", STRING),
    _r("useruid", INT),
    # pydtrace: put even narrow syscall probes on raw_syscalls (cheaper per traced call,
    # dearer for every other system call: see codegen.program.split_group)
    _c("rawsyscalls", FLAG, False),
)

TABLE: dict[str, OptionSpec] = {spec.name: spec for spec in _SPECS}


# ---------------------------------------------------------------- value parsing


def _strtoull(text: str) -> tuple[int, str] | None:
    """Split ``text`` into a C unsigned number (base 0) and the rest.

    Like strtoull(3) with base 0: optional blanks and ``+``, then ``0x``
    hex, ``0`` octal or decimal. ``None`` when no digits lead (or a minus
    sign does: dtrace rejects negative values).
    """
    s = text.lstrip(" \t\n\v\f\r")
    if s.startswith("+"):
        s = s[1:]
    if s[:2] in ("0x", "0X") and s[2:3] and s[2] in "0123456789abcdefABCDEF":
        return _take_digits(s, 2, "0123456789abcdefABCDEF", 16)
    if s.startswith("0"):
        return _take_digits(s, 0, "01234567", 8)
    if s[:1].isdigit() and s[:1].isascii():
        return _take_digits(s, 0, "0123456789", 10)
    return None


def _take_digits(s: str, start: int, digits: str, base: int) -> tuple[int, str]:
    end = start
    while end < len(s) and s[end] in digits:
        end += 1
    return int(s[start:end], base), s[end:]


def parse_size(text: str) -> int:
    """``"4m"`` -> 4194304. Suffixes k/m/g/t multiply by 1024 each, any case.

    Raises ValueError for anything dtrace would refuse.
    """
    mul = _SIZE_SUFFIXES.get(text[-1:].lower(), 1)
    body = text[:-1] if mul > 1 else text
    parsed = _strtoull(body)
    if parsed is None or parsed[1]:
        raise ValueError(f"invalid size: {text!r}")
    value = parsed[0] * mul
    if value > INT64_MAX:
        raise ValueError(f"size too large: {text!r}")
    return value


def rate_to_ns(text: str) -> int:
    """A rate or interval in nanoseconds: ``"1hz"`` -> 10**9, ``"10ms"`` -> 10**7.

    A bare number is nanoseconds (illumos ``dt_opt_rate``); ``hz`` is a
    frequency, so ``Nhz`` is an interval of 10**9 // N (``0hz`` stays 0).
    """
    parsed = _strtoull(text)
    if parsed is None:
        raise ValueError(f"invalid rate: {text!r}")
    value, suffix = parsed
    mul = _RATE_SUFFIXES.get(suffix.lower())
    if mul is None:
        raise ValueError(f"invalid rate: {text!r}")
    if mul == 0:
        return NANOSEC // value if value else 0
    if value * mul > INT64_MAX:
        raise ValueError(f"rate too large: {text!r}")
    return value * mul


def parse_bool(text: str | None) -> bool:
    """A runtime boolean (dt_opt_runtime): no value, a yes-word or any number sets
    (dtrace stores the number and tests it against "unset", so ``aggpack=0`` and
    ``quiet=0`` set too); an empty value or a no-word (any case) unsets."""
    if text is None:
        return True
    word = text.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS or word == "":
        return False
    parsed = _strtoull(text)
    if parsed is None or parsed[1] or parsed[0] > INT64_MAX:
        raise ValueError(f"invalid boolean: {text!r}")
    return True


def format_size(nbytes: int) -> str:
    """dtrace's way to print a size: ``2m`` when round, else ``N bytes``."""
    for suffix, unit in (("t", 1 << 40), ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if nbytes >= unit and nbytes % unit == 0:
            return f"{nbytes // unit}{suffix}"
    return f"{nbytes} bytes"


def format_rate(ns: int) -> str:
    """dtrace's way to print a rate: ``N hz``, ``once every N seconds`` or nanoseconds."""
    if 0 < ns <= NANOSEC and NANOSEC % ns == 0:
        return f"{NANOSEC // ns} hz"
    if ns > 0 and ns % NANOSEC == 0:
        return f"once every {ns // NANOSEC} seconds"
    return f"once every {ns} nanoseconds"


def _parse_int(spec: OptionSpec, text: str | None) -> int:
    # Like dt_opt_runtime: a missing value stores 0.
    if text is None:
        value = 0
    else:
        parsed = _strtoull(text)
        if parsed is None or parsed[1] or parsed[0] > INT64_MAX:
            raise ValueError(text)
        value = parsed[0]
    if value < spec.minimum:
        raise ValueError(text)
    return value


def _parse_flag(spec: OptionSpec, text: str | None) -> bool:
    # Compile-time flags can only be turned on.
    if text is not None and text.lower() not in _TRUE_WORDS:
        raise ValueError(text)
    return True


def _parse_enum(spec: OptionSpec, text: str | None) -> str:
    if text is None:
        raise ValueError(text)
    # linktype is the one enum libdtrace compares without case.
    word = text.lower() if spec.name == "linktype" else text
    if word not in spec.choices:
        raise ValueError(text)
    return word


def _parse_string(spec: OptionSpec, text: str | None) -> str:
    if text is None:
        raise ValueError(text)
    if spec.name == "version" and not _is_version(text):
        raise ValueError(text)
    if spec.name == "amin":
        from pydtrace.stability import parse_attrs

        if parse_attrs(text) is None:
            raise ValueError(text)
    return text


COMPILER_VERSION = (2, 0, 0)  # "Oracle D 2.0" (dtrace -V)


def _version_problem(text: str) -> str | None:
    """dt_opt_version's complaint about -x version=TEXT (None: acceptable)."""
    if not _is_version(text):
        return "Version is not properly formatted or is too large"
    parts = [int(p) for p in text.split(".")] + [0]
    if parts[0] > 255 or parts[1] > 4095 or parts[2] > 4095:
        return "Version is not properly formatted or is too large"
    if tuple(parts[:3]) > COMPILER_VERSION:
        return "Requested version is not supported by compiler"
    return None


def _is_version(text: str) -> bool:
    parts = text.split(".")
    return 2 <= len(parts) <= 3 and all(p.isdigit() and p.isascii() for p in parts)


def _parse_value(spec: OptionSpec, text: str | None) -> object:
    """The parsed value of ``text`` for ``spec``; ValueError when invalid."""
    kind = spec.kind
    if kind == BOOL:
        return parse_bool(text)
    if kind == FLAG:
        return _parse_flag(spec, text)
    if kind == SIZE:
        # A missing size stores 0, as in dt_opt_size.
        return 0 if text is None else parse_size(text)
    if kind == RATE:
        return 0 if text is None else rate_to_ns(text)
    if kind == INT:
        return _parse_int(spec, text)
    if kind == ENUM:
        return _parse_enum(spec, text)
    return _parse_string(spec, text)  # STRING and LIST


# ---------------------------------------------------------------- the option set


class Options:
    """The options of one dtrace session: defaults plus what was set.

    ``options["bufsize"]`` gives the parsed value (int bytes for sizes, int
    nanoseconds for rates, bool, int, str, a tuple of str for repeatable
    options, or None when unset with no default).
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, object] = {}

    def set(self, name: str, value: str | None, *, source: str = "-x",
            label: str | None = None) -> None:
        """Set option ``name`` from its text ``value`` (None: no ``=`` given).

        Raises OptionError with dtrace's message ``failed to set {label}:
        ...``; ``label`` defaults to ``"{source} {name}"`` (``-x quiet``).
        """
        spec = TABLE.get(name)
        if label is None:
            label = f"{source} {name}"
        if spec is None:
            raise OptionError(label, name, INVALID_NAME)
        if name == "version" and value is not None and _version_problem(value):
            raise OptionError(label, name, _version_problem(value))
        try:
            parsed = _parse_value(spec, value)
        except ValueError:
            raise OptionError(label, name, INVALID_VALUE) from None
        if spec.kind == LIST:
            parsed = (*self[name], parsed)
        self._values[name] = parsed

    def __getitem__(self, name: str) -> object:
        if name in self._values:
            return self._values[name]
        return TABLE[name].default

    def __contains__(self, name: object) -> bool:
        return name in TABLE

    def get(self, name: str, default: object = None) -> object:
        """The value of ``name``, or ``default`` for a name not in the table."""
        return self[name] if name in TABLE else default

    def is_set(self, name: str) -> bool:
        """Whether ``name`` was set explicitly (not merely defaulted)."""
        return name in self._values

    def explicit(self) -> dict[str, object]:
        """The options set explicitly, name -> parsed value."""
        return dict(self._values)

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE)

    def apply_env(self, environ: Mapping[str, str]) -> None:
        """Apply ``DTRACE_OPT_<NAME>=value`` variables (empty value: no value).

        Like Oracle's dtrace_setoptenv(), names are lower-cased and variables
        naming no option or holding a bad value are ignored.
        """
        prefix = "DTRACE_OPT_"
        for key, value in environ.items():
            if not key.startswith(prefix) or len(key) == len(prefix):
                continue
            try:
                self.set(key[len(prefix):].lower(), value or None, source="DTRACE_OPT")
            except OptionError:
                continue

    def copy(self) -> Options:
        """An independent copy (pragmas of one program must not leak into another)."""
        other = Options()
        other._values = dict(self._values)
        return other

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Options) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Options({self._values!r})"


def option_class(name: str) -> str | None:
    """``compile``, ``runtime`` or ``dynamic`` for a known option, else None."""
    spec = TABLE.get(name)
    return spec.cls if spec else None


def is_dynamic(name: str) -> bool:
    """Whether setopt() may change ``name`` while tracing."""
    return option_class(name) == DYNAMIC
