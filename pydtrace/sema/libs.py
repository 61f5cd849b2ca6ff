"""D libraries: ``-x nolibs``, ``-L DIR`` (``-x libdir``) and ``-x syslibdir``.

The system D library is the bundled ``pydtrace/dlib`` (psinfo_t, errno
names...), parsed lazily when a script names one of its identifiers
(``sema.kernel.load_dlib``). Setting ``syslibdir`` to a directory other than
the default replaces it: that directory's ``.d`` files are loaded like user
libraries instead. ``-L DIR`` adds user library directories: every ``.d`` file
in them is parsed before the program, as dtrace's dt_load_libs does:

* user directories first, in the order given, then the system directory; a
  file whose name was already seen in an earlier directory is skipped (so a
  user ``procfs.d`` replaces the bundled one);
* ``#pragma D depends_on library X.d`` names a library of the same directory
  (or a bundled one) that must be loaded first: libraries load in dependency
  order, a missing one is ``Invalid library dependency in A: B`` and a cycle
  ``Cyclic dependency detected: A => B``;
* a library whose ``#pragma D depends_on`` is not satisfied (a provider or
  module that is absent, a library that failed to load) is skipped silently;
  any other error in a library fails the compilation, naming the file.

``-x nolibs`` loads no library at all, bundled or user: a script then gets
only the types and translators it declares itself.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

DEFAULT_SYSLIBDIR = "/usr/lib/dtrace"


def _option(ck: Checker, name: str):
    options = getattr(ck, "options", None)
    if options is None:
        return None
    try:
        return options[name]
    except (KeyError, LookupError):
        return None


def nolibs(ck: Checker) -> bool:
    return bool(_option(ck, "nolibs"))


def bundled_enabled(ck: Checker) -> bool:
    """May the bundled D library be loaded (no -x nolibs, default syslibdir)?"""
    if nolibs(ck):
        return False
    sysdir = _option(ck, "syslibdir")
    return sysdir in (None, "", DEFAULT_SYSLIBDIR)


def bundled_names() -> set[str]:
    from importlib import resources

    return {p.name for p in resources.files("pydtrace.dlib").iterdir()
            if p.name.endswith(".d")}


def library_dirs(ck: Checker) -> list[str]:
    """The directories whose libraries load eagerly, in precedence order."""
    if nolibs(ck):
        return []
    dirs = [str(d) for d in (_option(ck, "libdir") or ())]
    if not bundled_enabled(ck):
        dirs.append(str(_option(ck, "syslibdir")))
    return dirs


_DEPENDS = re.compile(r"(?m)^[ \t]*#[ \t]*pragma[ \t]+D[ \t]+depends_on[ \t]+library[ \t]+(\S+)")


class _Lib:
    """One library file; parsed only when its turn comes (after its dependencies,
    so their typedef names are known), like dtrace's control-only first pass."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.deps = _DEPENDS.findall(text)
        self.loaded = False


def _pragmas(program: A.Program) -> list[list[str]]:
    return [item.words for item in program.items
            if isinstance(item, A.Pragma) and len(item.words) >= 2 and item.words[0] == "D"]


def load_libraries(ck: Checker) -> None:
    """Parses and declares every library of ``library_dirs`` (before the program)."""
    dirs = library_dirs(ck)
    if not dirs:
        return
    libs: dict[str, _Lib] = {}  # path -> library
    seen: set[str] = set()
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue  # missing directories are ignored, as dtrace does
        for fname in names:
            if not fname.endswith(".d") or fname in seen:
                continue
            path = os.path.join(d, fname)
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            seen.add(fname)
            libs[path] = _Lib(path, text)
    if bundled_enabled(ck):  # a user library shadows the bundled one of its name
        for fname in seen & bundled_names():
            ck.an.dlibs.add(fname[:-2])
    for lib in _sorted(ck, libs):
        _load(ck, lib, libs)


def _parse(ck: Checker, path: str, text: str) -> A.Program:
    from pydtrace.lang.parser import parse_program
    from pydtrace.sema.kernel import DLIB_TYPES

    names = set(ck.an.symbols.typedefs)
    if bundled_enabled(ck):  # bundled typedefs (psinfo_t...) load when first resolved
        names |= set(DLIB_TYPES)
    try:
        return parse_program(text, kind="s", type_names=names, allow_empty=True)
    except DCompileError as exc:
        raise _located(exc, path) from exc


def _located(exc: DCompileError, path: str) -> DCompileError:
    if exc.line is None:
        return DCompileError(exc.tag, f'"{path}": {exc.message}', None, exc.where)
    return DCompileError(exc.tag, exc.message, exc.line, f'"{path}", line {exc.line}',
                         file=path)


def _dep_path(ck: Checker, lib: _Lib, dep: str, libs: dict[str, _Lib]) -> str | None:
    """The path of ``lib``'s dependency ``dep`` (None: a bundled library)."""
    path = os.path.join(os.path.dirname(lib.path), dep)
    if path in libs:
        return path
    if bundled_enabled(ck) and dep in bundled_names() and dep[:-2] not in ck.an.dlibs:
        return None
    raise DCompileError("D_UNKNOWN", f"Invalid library dependency in {lib.path}: {path}")


def _sorted(ck: Checker, libs: dict[str, _Lib]) -> list[_Lib]:
    """Dependencies before their dependents (a depth-first topological sort)."""
    order: list[_Lib] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(lib: _Lib) -> None:
        state[lib.path] = 1
        for dep in lib.deps:
            path = _dep_path(ck, lib, dep, libs)
            if path is None:
                continue
            if state.get(path) == 1:
                raise DCompileError("D_UNKNOWN", f"Cyclic dependency detected: {path} => "
                                    f"{lib.path}")
            if path not in state:
                visit(libs[path])
        state[lib.path] = 2
        order.append(lib)

    for lib in libs.values():
        if lib.path not in state:
            visit(lib)
    return order


def _load(ck: Checker, lib: _Lib, libs: dict[str, _Lib]) -> None:
    from pydtrace.sema.kernel import declare_library, load_dlib

    program = _parse(ck, lib.path, lib.text)
    try:
        for words in _pragmas(program):
            if not _depends_ok(ck, lib, words, libs):
                return  # D_PRAGMA_DEPEND: the library is skipped
            if words[1] == "depends_on" and len(words) >= 4 and words[2] == "library":
                path = _dep_path(ck, lib, words[3], libs)
                if path is None:
                    load_dlib(ck, words[3][:-2])
        declare_library(ck, program)
    except DCompileError as exc:
        raise _located(exc, lib.path) from exc
    lib.loaded = True


def _depends_ok(ck: Checker, lib: _Lib, words: list[str], libs: dict[str, _Lib]) -> bool:
    if words[1] != "depends_on" or len(words) < 4:
        return True
    if words[2] == "library":
        path = _dep_path(ck, lib, words[3], libs)
        return path is None or libs[path].loaded
    from pydtrace.sema.pragmas import depends_on

    try:
        depends_on(words[2:], None, None)
    except DCompileError as exc:
        if exc.tag == "D_PRAGMA_DEPEND":
            return False
        raise
    return True
