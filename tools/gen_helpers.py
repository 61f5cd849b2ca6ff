"""Generate pydtrace/bpf/helpers.py's HELPER_NAMES table from the kernel UAPI header.

The helper numbers are the positions of the ``FN(...)`` entries in the ``__BPF_FUNC_MAPPER``
list of ``linux/bpf.h`` (headers since 6.1 spell it ``___BPF_FUNC_MAPPER`` and carry the
number explicitly: ``FN(name, 42, ##ctx)``). Usage::

    python tools/gen_helpers.py [/usr/include/linux/bpf.h]

prints the Python literal to paste into helpers.py.
"""

from __future__ import annotations

import re
import sys

_MAPPER = re.compile(r"#define\s+_{2,3}BPF_FUNC_MAPPER\(FN[^)]*\)(.*?)/\*\s*\*/", re.S)
_ENTRY = re.compile(r"FN\(\s*(\w+)\s*(?:,\s*(\d+))?")


def parse_helpers(header_text: str) -> dict[int, str]:
    """Map helper number -> name (without the ``bpf_`` prefix) from ``linux/bpf.h`` text."""
    match = _MAPPER.search(header_text)
    if match is None:
        raise ValueError("no __BPF_FUNC_MAPPER list in header")
    table: dict[int, str] = {}
    for position, entry in enumerate(_ENTRY.finditer(match.group(1))):
        name, number = entry.group(1), entry.group(2)
        table[int(number) if number is not None else position] = name
    return table


def render(table: dict[int, str]) -> str:
    lines = ["HELPER_NAMES: dict[int, str] = {"]
    lines += [f"    {num}: {name!r}," for num, name in sorted(table.items())]
    lines.append("}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/usr/include/linux/bpf.h"
    with open(path, encoding="utf-8") as header:
        print(render(parse_helpers(header.read())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
