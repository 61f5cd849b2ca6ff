"""The type of ``&x`` for a kernel object ``x`` (illumos dt_type_pointer).

DTrace looks for a pointer to ``x``'s type (or to its base type) in the type
container that defines it -- here the kernel BTF object holding the type. If
that container has none, the type is copied into the D program's container
and the pointer built there; the copy fails when the program already declares
a different struct or union of the same name (a different size, or a kernel
member missing or at another offset in the D one): D_TYPE_ERR, ``cannot find
type for "&": TYPE*``. Kernel types that nothing points to exist (``struct
sched_info``, ``struct kmap_ctrl``... embedded in ``struct task_struct``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydtrace.errors import DCompileError
from pydtrace.lang import ast as A
from pydtrace.types import model as T

if TYPE_CHECKING:
    from pydtrace.sema.check import Checker

_PTR_TARGETS: dict[int, frozenset[int]] = {}  # id(reader) -> type ids some PTR refers to


def pointer_to(ck: Checker, t: T.DType, n: A.Node) -> T.DType:
    """``t *`` for ``&`` applied to a kernel lvalue of type ``t``."""
    base = t.resolve()
    if isinstance(base, T.StructType) and getattr(base, "type_id", None) is not None:
        dtag = _d_tag(ck, base)
        if dtag is not None and _conflicts(base, dtag) and not _has_pointer(t, base):
            raise DCompileError("D_TYPE_ERR", f'cannot find type for "&": {t}*',
                                n.line or None)
    return T.PointerType(t)


def _d_tag(ck: Checker, kt: T.StructType) -> T.StructType | None:
    """The program's own complete struct/union of ``kt``'s name, if it declares one."""
    if not kt.name:
        return None
    d = ck.an.symbols.tags.get((kt.kind, kt.name))
    if d is None or d is kt or getattr(d, "type_id", None) is not None:
        return None
    d = d.resolve()
    if not isinstance(d, T.StructType) or not d.complete:
        return None  # a forward declaration: the kernel definition completes it
    return d


def _conflicts(src: T.StructType, dst: T.StructType) -> bool:
    """ctf_add_type's struct check: same size, each source member at the same
    offset in the destination."""
    if src.size != dst.size:
        return True
    from pydtrace.btf.reader import find_member

    for m in src.members:
        if not m.name:
            continue
        found = find_member(dst, m.name)
        if found is None or found[0] * 8 + found[1].bit_offset != m.offset * 8 + m.bit_offset:
            return True
    return False


def _has_pointer(t: T.DType, base: T.StructType) -> bool:
    """Does the BTF object defining ``base`` hold a pointer to ``t`` or ``base``?"""
    reader = getattr(base, "_reader", None)
    tid = getattr(base, "type_id", None)
    if reader is None or tid is None:
        return True
    owner = reader.reader_for(tid)
    targets = _PTR_TARGETS.get(id(owner))
    if targets is None:
        from pydtrace.btf import reader as R

        found = set()
        for i in range(owner.first_id, owner.last_id + 1):
            kind, _, _, _, ref, _ = owner.raw(i)
            if kind == R.PTR:
                found.add(ref)
        targets = _PTR_TARGETS[id(owner)] = frozenset(found)
    ids = {tid, getattr(t, "type_id", tid)}
    return bool(ids & targets)
