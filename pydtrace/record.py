"""Light records: dataclass-style declarations without dataclass start-up cost.

dtrace(1) imports the AST and the type model on every run; generating
``__init__``/``__eq__``/``__hash__`` source for each class and compiling it (what
``dataclasses`` does) cost more start-up time than the rest of the compiler.
Here every record class shares one generic ``__init__`` driven by its field list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MISSING = object()


class _Factory:
    """A ``field(default_factory=...)`` default, called once per new record."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None) -> Any:
    return _Factory(default_factory) if default_factory is not None else default


class Record:
    """Positional fields in declaration order (base classes first); ``_kwonly``
    names keyword-only fields with their defaults."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}
    _kwonly: dict[str, Any] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._fields
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} fields")
        for name, value in zip(names, args, strict=False):
            setattr(self, name, value)
        for name in names[len(args):]:
            value = kwargs.pop(name, _MISSING)
            if value is _MISSING:
                value = _default(self, self._defaults.get(name, _MISSING), name)
            setattr(self, name, value)
        for name, default in self._kwonly.items():
            setattr(self, name, kwargs.pop(name, default))
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(kwargs)}")

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({args})"


def _default(obj: Record, value: Any, name: str) -> Any:
    if value is _MISSING:
        raise TypeError(f"{type(obj).__name__}: missing field {name!r}")
    return value.make() if type(value) is _Factory else value


def _key(self: Record) -> tuple:
    return tuple(getattr(self, n) for n in self._fields)


def _eq(self: Record, other: object) -> bool:
    return type(self) is type(other) and _key(self) == _key(other)  # type: ignore[arg-type]


def _hash(self: Record) -> int:
    return hash((type(self), _key(self)))


def record(cls: type | None = None, *, eq: bool = False) -> Any:
    """Class decorator: collects the annotated fields and their defaults; with
    ``eq`` the record compares and hashes by value, else by identity."""
    def wrap(cls: type) -> type:
        own = [n for n in cls.__dict__.get("__annotations__", {}) if n not in cls._kwonly]
        defaults = dict(cls._defaults)
        for name in own:
            if name in cls.__dict__ and not isinstance(cls.__dict__[name], property):
                defaults[name] = cls.__dict__[name]
                delattr(cls, name)
        cls._fields = cls._fields + tuple(n for n in own if n not in cls._fields)
        cls._defaults = defaults
        if eq:
            cls.__eq__ = _eq
            cls.__hash__ = _hash
        return cls
    return wrap(cls) if cls is not None else wrap


def fields(obj: Record) -> tuple[str, ...]:
    """The positional field names of a record, in constructor order."""
    return obj._fields
