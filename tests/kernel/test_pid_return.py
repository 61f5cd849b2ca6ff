"""pid return probes on the return instructions: arg0 = the ret's offset within the
function (checked against objdump), arg1 = the return value; offset-probe globs."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.kernel.test_user_tracing import agg_rows, dtrace, ok, progs  # noqa: F401


def ret_offsets(path: str, func: str) -> set[int]:
    if shutil.which("objdump") is None:
        pytest.skip("kernel: objdump (binutils) is needed")
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], capture_output=True,
                         text=True, check=True).stdout
    body = re.search(rf"^([0-9a-f]+) <{func}>:\n(.*?)\n\n", out, re.M | re.S)
    assert body, out
    start = int(body.group(1), 16)
    return {int(m.group(1), 16) - start
            for m in re.finditer(r"^\s+([0-9a-f]+):\s+(?:rep |bnd )?ret", body.group(2), re.M)}


@pytest.mark.parametrize("exe", ["fib", "fib_nopie"])
def test_return_arg0_is_ret_offset(progs, exe) -> None:  # noqa: F811
    rets = ret_offsets(progs[exe], "fib")
    proc = ok(dtrace("-qn", 'pid$target:a.out:fib:return { @[arg0] = count(); }',
                     "-c", f"{progs[exe]} 10"))
    rows = {int(k): v for k, v in agg_rows(proc.stdout.split("\n", 1)[1]).items()}
    assert set(rows) <= rets and sum(rows.values()) == 177, (proc.stdout, rets)


def test_offset_glob_lists_instructions(progs) -> None:  # noqa: F811
    proc = ok(dtrace("-l", "-n", "pid$target:a.out:fib:*", "-c", progs["fib"]))
    names = [ln.split()[-1] for ln in proc.stdout.splitlines()[1:]]
    assert names[:3] == ["entry", "return", "0"]
    assert "1" in names and all(re.fullmatch(r"[0-9a-f]+", n) for n in names[2:])
    rets = ret_offsets(progs["fib"], "fib")
    assert {f"{r:x}" for r in rets} <= set(names)
    proc = ok(dtrace("-qn", "pid$target:a.out:fib:1? { @[probename] = count(); }",
                     "-c", f"{progs['fib']} 10"))
    rows = agg_rows(proc.stdout.split("\n", 1)[1])
    assert rows and all(re.fullmatch(r"1[0-9a-f]", k) for k in rows), proc.stdout
