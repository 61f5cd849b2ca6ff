"""Symbols that semantic analysis resolves: built-ins, globals, aggregations."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydtrace.types import model as T


@dataclass(eq=False)
class GlobalVar:
    """A global D variable and its offset in the globals map."""

    name: str
    type: T.DType
    offset: int = 0  # in the globals map value


@dataclass(eq=False)
class AggVar:
    """An aggregation: function, parameters and key signature."""

    name: str
    id: int
    func: str
    params: tuple[int, ...] = ()
    key_types: list[T.DType] | None = None
    line: int = 0


@dataclass(eq=False)
class DynVar:
    """A dynamic variable: ``self->x``, ``this->x`` or an associative array
    (global ``a[k]`` or thread-local ``self->a[k]``). ``key_types`` is None for
    scalars. ``implicit``: typed by a read before any assignment (int64 until
    the first assignment gives it its real type)."""

    name: str
    scope: str  # "global", "self" or "this"
    type: T.DType
    id: int
    key_types: list[T.DType] | None = None
    implicit: bool = False
    declared: bool = False
    offset: int = 0  # this-> variables: offset in the clause-local area


@dataclass(frozen=True)
class Builtin:
    """A built-in variable (``pid``, ``execname``, ...)."""

    name: str
    type: T.DType


def _builtins() -> dict[str, Builtin]:
    td = T.BUILTIN_TYPEDEFS
    table = {f"arg{i}": T.INT64 for i in range(10)}
    table.update({
        "pid": td["pid_t"], "ppid": td["pid_t"], "tid": td["id_t"], "uid": td["uid_t"],
        "gid": td["gid_t"], "execname": T.StringType(), "timestamp": T.UINT64,
        "vtimestamp": T.UINT64, "walltimestamp": T.INT64, "cpu": td["processorid_t"],
        "epid": T.Typedef("uint_t", T.UINT), "id": T.Typedef("uint_t", T.UINT),
        "probeprov": T.StringType(), "probemod": T.StringType(),
        "probefunc": T.StringType(), "probename": T.StringType(), "errno": T.INT,
        "ucaller": T.UINT64, "ustackdepth": T.UINT32,  # user stacks (codegen.ustacks)
    })
    return {name: Builtin(name, typ) for name, typ in table.items()}


BUILTINS = _builtins()

# dt_idhash: globals and thread-locals take their ids from DIF_VAR_OTHER_UBASE (0x500)
# up to, not including, DIF_VAR_OTHER_MAX (0xffff); clause-locals are unbounded.
MAX_USER_VARS = 0xFFFF - 0x500
ID_SPACES = {"global": "global", "self": "thread local"}


@dataclass
class SymbolTable:
    """Everything a program declares or implies."""

    globals: dict[str, GlobalVar] = field(default_factory=dict)
    aggs: dict[str, AggVar] = field(default_factory=dict)
    enums: dict[str, tuple[int, T.DType]] = field(default_factory=dict)
    typedefs: dict[str, T.DType] = field(default_factory=lambda: dict(T.BUILTIN_TYPEDEFS))
    tags: dict[tuple[str, str], T.DType] = field(default_factory=dict)
    globals_size: int = 16  # after the activity word and wall-clock offset
    dynvars: dict[tuple[str, str], DynVar] = field(default_factory=dict)  # (scope, name)
    this_size: int = 0  # bytes of this-> variables (state map, before the scratch slots)
    ids_used: dict[str, int] = field(default_factory=dict)  # per ID_SPACES key

    def take_id(self, scope: str, name: str, line: int | None = None) -> None:
        """dt_idhash_nextid for a new variable of ``scope``: D_ID_OFLOW once the
        identifier space of its class is used up."""
        space = ID_SPACES.get(scope)
        if space is None:
            return
        used = self.ids_used.get(scope, 0)
        if used >= MAX_USER_VARS:
            from pydtrace.errors import DCompileError

            raise DCompileError("D_ID_OFLOW", f"cannot create {name}: limit on number of "
                                f"{space} variables exceeded", line)
        self.ids_used[scope] = used + 1

    def add_global(self, name: str, typ: T.DType, line: int | None = None) -> GlobalVar:
        self.take_id("global", name, line)
        align = max(1, min(typ.align, 8))
        off = (self.globals_size + align - 1) & ~(align - 1)
        var = GlobalVar(name, typ, off)
        self.globals[name] = var
        self.globals_size = off + max(typ.size, 1)
        return var

    def add_agg(self, name: str, func: str, params: tuple[int, ...], line: int) -> AggVar:
        var = AggVar(name, len(self.aggs) + 1, func, params, None, line)
        self.aggs[name] = var
        return var
