"""A small ELF64 reader for user-space tracing: symbols, load segments, SDT notes.

Only what the pid and USDT providers and user-stack symbolization need:

* function symbols from ``.symtab`` and ``.dynsym`` (defined, non-zero size);
* ``PT_LOAD`` segments, to turn a link-time virtual address into a file offset
  (uprobes are placed by file offset) and back (symbolization);
* ``.note.stapsdt`` notes (SystemTap SDT v3: pc, base, semaphore, provider,
  name, argument string), with the semaphore's file offset for the uprobe
  PMU's ``ref_ctr_offset``;
* ``DT_NEEDED`` / ``DT_RUNPATH`` for library resolution.

Files are read through ``mmap``; parsed files are cached by (device, inode,
size, mtime), so a binary mapped by many processes is parsed once.
"""

from __future__ import annotations

import bisect
import mmap
import os
import struct
from dataclasses import dataclass
from functools import cached_property

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_DYNAMIC = 1, 2
SHT_SYMTAB, SHT_NOTE, SHT_DYNSYM, SHT_NOBITS = 2, 7, 11, 8
STT_FUNC, STT_GNU_IFUNC = 2, 10
DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 1, 5, 15, 29
NT_STAPSDT = 3


class ElfError(Exception):
    pass


@dataclass(frozen=True)
class Segment:
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    flags: int


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    addr: int
    offset: int
    size: int
    link: int
    entsize: int


@dataclass(frozen=True)
class SdtNote:
    provider: str
    name: str
    pc: int  # link-time address of the probe instruction (adjusted for prelink)
    semaphore: int  # link-time address, 0 if none
    args: str


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int


class ElfFile:
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                self.data = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        except (OSError, ValueError) as exc:
            raise ElfError(f"{path}: {exc}") from exc
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise ElfError(f"{path}: not a little-endian ELF64 file")
        (self.type, _machine, _version, self.entry, self.phoff, self.shoff, _flags,
         _ehsize, self.phentsize, self.phnum, self.shentsize, self.shnum,
         self.shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", d, 16)

    @property
    def is_pie(self) -> bool:
        return self.type == ET_DYN

    # ------------------------------------------------------------ headers

    @cached_property
    def segments(self) -> list[Segment]:
        out = []
        for i in range(self.phnum):
            p_type, flags, off, vaddr, _paddr, filesz, memsz, _align = struct.unpack_from(
                "<IIQQQQQQ", self.data, self.phoff + i * self.phentsize)
            if p_type == PT_LOAD:
                out.append(Segment(off, vaddr, filesz, memsz, flags))
        return out

    @cached_property
    def sections(self) -> list[Section]:
        raw = []
        for i in range(self.shnum):
            raw.append(struct.unpack_from("<IIQQQQIIQQ", self.data,
                                          self.shoff + i * self.shentsize))
        if not raw:
            return []
        strtab = raw[self.shstrndx]
        out = []
        for name, typ, _flags, addr, off, size, link, _info, _align, entsize in raw:
            out.append(Section(self._cstr(strtab[4] + name), typ, addr, off, size, link,
                               entsize))
        return out

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def _cstr(self, off: int) -> str:
        end = self.data.find(b"\0", off)
        return self.data[off:end].decode("utf-8", "replace")

    # ------------------------------------------------------------ addresses

    def vaddr_to_offset(self, vaddr: int) -> int | None:
        for s in self.segments:
            if s.vaddr <= vaddr < s.vaddr + s.filesz:
                return vaddr - s.vaddr + s.offset
        return None

    def offset_to_vaddr(self, offset: int) -> int | None:
        for s in self.segments:
            if s.offset <= offset < s.offset + max(s.filesz, 1):
                return offset - s.offset + s.vaddr
        return None

    def data_offset(self, vaddr: int) -> int | None:
        """File offset of a data address (a semaphore), through the section holding it."""
        for s in self.sections:
            if s.type != SHT_NOBITS and s.addr and s.addr <= vaddr < s.addr + s.size:
                return vaddr - s.addr + s.offset
        return self.vaddr_to_offset(vaddr)

    # ------------------------------------------------------------ symbols

    def _symbols(self, sec_type: int) -> list[Symbol]:
        out = []
        for sec in self.sections:
            if sec.type != sec_type or not sec.entsize:
                continue
            strsec = self.sections[sec.link]
            d = self.data
            for off in range(sec.offset, sec.offset + sec.size, sec.entsize):
                name, info, _other, shndx, value, size = struct.unpack_from("<IBBHQQ", d, off)
                if shndx == 0 or size == 0 or (info & 0xF) not in (STT_FUNC, STT_GNU_IFUNC):
                    continue
                out.append(Symbol(self._cstr(strsec.offset + name), value, size))
        return out

    @cached_property
    def functions(self) -> dict[str, Symbol]:
        """Function symbols by name: ``.symtab`` first, ``.dynsym`` fills the gaps
        (versioned names such as ``memcpy@@GLIBC_2.14`` keep only the name)."""
        out: dict[str, Symbol] = {}
        for typ in (SHT_SYMTAB, SHT_DYNSYM):
            for s in self._symbols(typ):
                name = s.name.split("@", 1)[0]
                if name and name not in out:
                    out[name] = Symbol(name, s.value, s.size)
        return out

    def data_symbol(self, name: str) -> int | None:
        """Link-time value of any defined symbol (rip-relative SDT operands)."""
        table = self.__dict__.get("_all_syms")
        if table is None:
            table = {}
            for sec in self.sections:
                if sec.type not in (SHT_SYMTAB, SHT_DYNSYM) or not sec.entsize:
                    continue
                strsec = self.sections[sec.link]
                for off in range(sec.offset, sec.offset + sec.size, sec.entsize):
                    nm, _info, _other, shndx, value, _size = struct.unpack_from(
                        "<IBBHQQ", self.data, off)
                    if shndx:
                        table.setdefault(self._cstr(strsec.offset + nm).split("@", 1)[0],
                                         value)
            self.__dict__["_all_syms"] = table
        return table.get(name)

    @cached_property
    def _by_addr(self) -> tuple[list[int], list[Symbol]]:
        syms = sorted(self.functions.values(), key=lambda s: (s.value, -s.size, s.name))
        uniq: list[Symbol] = []
        for s in syms:
            if uniq and uniq[-1].value == s.value:
                continue
            uniq.append(s)
        return [s.value for s in uniq], uniq

    def symbolize(self, vaddr: int) -> Symbol | None:
        """The function containing link-time address ``vaddr``."""
        addrs, syms = self._by_addr
        i = bisect.bisect_right(addrs, vaddr) - 1
        if i < 0:
            return None
        s = syms[i]
        return s if vaddr < s.value + s.size else None

    # ------------------------------------------------------------ notes

    @cached_property
    def sdt_notes(self) -> list[SdtNote]:
        sec = self.section(".note.stapsdt")
        if sec is None:
            return []
        base_sec = self.section(".stapsdt.base")
        d = self.data
        out = []
        off, end = sec.offset, sec.offset + sec.size
        while off + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", d, off)
            name_off = off + 12
            desc_off = name_off + ((namesz + 3) & ~3)
            off = desc_off + ((descsz + 3) & ~3)
            if ntype != NT_STAPSDT or d[name_off:name_off + namesz].rstrip(b"\0") != b"stapsdt":
                continue
            pc, base, sema = struct.unpack_from("<QQQ", d, desc_off)
            strings = d[desc_off + 24:desc_off + descsz].split(b"\0")
            if len(strings) < 3:
                continue
            if base_sec is not None and base:
                delta = base_sec.addr - base
                pc += delta
                if sema:
                    sema += delta
            out.append(SdtNote(strings[0].decode(), strings[1].decode(), pc, sema,
                               strings[2].decode()))
        return out

    def has_sdt(self) -> bool:
        return self.section(".note.stapsdt") is not None

    # ------------------------------------------------------------ dynamic section

    @cached_property
    def dynamic(self) -> tuple[list[str], list[str]]:
        """(DT_NEEDED names, DT_RUNPATH/DT_RPATH directories)."""
        sec = self.section(".dynamic")
        if sec is None:
            return [], []
        entries = []
        for off in range(sec.offset, sec.offset + sec.size, 16):
            tag, val = struct.unpack_from("<qQ", self.data, off)
            if tag == 0:
                break
            entries.append((tag, val))
        strtab = next((v for t, v in entries if t == DT_STRTAB), None)
        if strtab is None:
            return [], []
        stroff = self.vaddr_to_offset(strtab)
        if stroff is None:
            return [], []
        needed = [self._cstr(stroff + v) for t, v in entries if t == DT_NEEDED]
        paths: list[str] = []
        for t, v in entries:
            if t in (DT_RUNPATH, DT_RPATH):
                paths.extend(p for p in self._cstr(stroff + v).split(":") if p)
        return needed, paths


_CACHE: dict[tuple, ElfFile] = {}


def open_elf(path: str) -> ElfFile:
    """A parsed ELF file, cached by identity (device, inode, size, mtime)."""
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    elf = _CACHE.get(key)
    if elf is None:
        elf = _CACHE[key] = ElfFile(path)
    return elf


def demangle(names: list[str]) -> dict[str, str]:
    """C++ names demangled by ``c++filt`` (binutils), one subprocess for all of them.

    An Itanium-ABI demangler is thousands of lines; c++filt is on every system
    with a toolchain. Without it names stay mangled.
    """
    todo = [n for n in names if n.startswith("_Z")]
    if not todo:
        return {}
    import subprocess

    try:
        res = subprocess.run(["c++filt"], input="\n".join(todo) + "\n", capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    out = res.stdout.splitlines()
    return dict(zip(todo, out, strict=False)) if len(out) == len(todo) else {}
