"""tracex3: block I/O latency as a histogram and as a heatmap over time (SVG).

The 2015 BPF "tracex3" sample drew a latency heatmap in the terminal; this one
writes a picture. It runs examples/tracex3.d's measurement through the Python
API, receives each completed request (time, latency) as a record, and draws
columns of time slices by rows of power-of-two latency buckets, darker where
more requests completed.

    python examples/tracex3.py [SECONDS] [OUT.svg]
"""

from __future__ import annotations

import sys
from collections import Counter

SCRIPT = """
io:::start { start[arg0] = timestamp; }
io:::done /start[arg0]/ {
	printf("%d %d\\n", timestamp, (timestamp - start[arg0]) / 1000);
	@["I/O latency (us)"] = quantize((timestamp - start[arg0]) / 1000);
	start[arg0] = 0;
}
tick-SECONDSs { exit(0); }
"""


def bucket(us: int) -> int:
    """Row of a latency: 0 for < 1 us, then one row per power of two."""
    return max(us, 0).bit_length()


def heatmap_svg(samples: list[tuple[int, int]], columns: int = 40) -> str:
    """An SVG heatmap: x = time slices, y = log2 latency buckets."""
    cell_w, cell_h, left, top = 14, 14, 70, 24
    if not samples:
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
                '<text x="10" y="25">no I/O seen</text></svg>\n')
    t0 = min(t for t, _ in samples)
    span = max(max(t for t, _ in samples) - t0, 1)
    cells = Counter((min((t - t0) * columns // span, columns - 1), bucket(us))
                    for t, us in samples)
    lo = min(b for _, b in cells)
    hi = max(b for _, b in cells)
    rows = hi - lo + 1
    peak = max(cells.values())
    width, height = left + columns * cell_w + 10, top + rows * cell_h + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="monospace" font-size="10">',
           f'<text x="{left}" y="14">block I/O latency heatmap ({len(samples)} requests, '
           f'{span / 1e9:.1f} s)</text>']
    for r in range(rows):
        b = hi - r
        label = "<1us" if b == 0 else f"{1 << (b - 1)}us"
        out.append(f'<text x="2" y="{top + r * cell_h + 11}">{label}</text>')
    for (col, b), n in sorted(cells.items()):
        shade = 235 - int(215 * n / peak)
        out.append(f'<rect x="{left + col * cell_w}" y="{top + (hi - b) * cell_h}" '
                   f'width="{cell_w - 1}" height="{cell_h - 1}" '
                   f'fill="rgb({shade},{shade},255)"><title>{n}</title></rect>')
    out.append(f'<text x="{left}" y="{height - 12}">time -&gt;</text></svg>')
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    from pydtrace.api import run_program

    seconds = int(argv[1]) if len(argv) > 1 else 10
    path = argv[2] if len(argv) > 2 else "tracex3.svg"
    samples: list[tuple[int, int]] = []

    def on_record(epid, probe, values) -> None:
        if len(values) == 2:
            samples.append((values[0], values[1]))

    status, text = run_program(SCRIPT.replace("SECONDS", str(seconds)), on_record=on_record)
    sys.stdout.write("".join(line for line in text.splitlines(keepends=True)
                             if len(line.split()) != 2 or not line.split()[0].isdigit()))
    with open(path, "w") as f:
        f.write(heatmap_svg(samples))
    print(f"heatmap of {len(samples)} requests written to {path}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
