"""lockstat without the kernel: the probe table, classes and program assembly."""

from __future__ import annotations

import pytest

from pydtrace import cli
from pydtrace.codegen import lockstat as L
from pydtrace.providers.lockstat import HOOKLESS, PROBES, LockstatProvider
from pydtrace.stability import ARG_ATTRS, PROVIDER_ATTRS


def test_probe_table_follows_dtrace_for_linux() -> None:
    probes = LockstatProvider().list_probes()
    assert {p.module for p in probes} == {"vmlinux"} and {p.function for p in probes} == {""}
    assert [p.name for p in probes] == sorted(PROBES)
    assert PROBES["rw-spin"] == ("struct rwlock *", "uint64_t", "int")
    assert PROBES["adaptive-acquire-error"] == ("struct mutex *", "int")
    hookless = {n for n in PROBES if n.endswith(("-acquire", "-release"))}
    assert hookless == HOOKLESS and len(hookless) == 6
    # every other probe is a contention class the end programs know how to select
    assert set(PROBES) - HOOKLESS == set(L.CLASSES)
    assert PROVIDER_ATTRS["lockstat"] == ARG_ATTRS["lockstat"] == ("Evolving", "Evolving", "ISA")


def classify(flags: int, ret: int = 0) -> list[str]:
    """The probes whose class accepts a wait begun with ``flags`` ending with ``ret``."""
    out = []
    for name, (conds, ok) in L.CLASSES.items():
        if all(bool(flags & mask) == is_set for mask, is_set in conds) and \
                (ok is None or ok == (ret == 0)):
            out.append(name)
    return out


@pytest.mark.parametrize(("flags", "ret", "probes"), [
    (L.LCB_F_MUTEX | L.LCB_F_SPIN, 0, ["adaptive-spin"]),
    (L.LCB_F_MUTEX, 0, ["adaptive-block"]),
    (L.LCB_F_MUTEX, -4, ["adaptive-acquire-error"]),
    (L.LCB_F_RT, 0, ["adaptive-block"]),
    (L.LCB_F_SPIN, 0, ["spin-spin"]),
    (L.LCB_F_SPIN | L.LCB_F_READ, 0, ["rw-spin"]),
    (L.LCB_F_WRITE, 0, ["rw-block"]),
    (L.LCB_F_READ | L.LCB_F_PERCPU, 0, ["rw-block"]),
    (L.LCB_F_WRITE, -4, []),  # a killed rwsem wait: no probe
    (0, 0, []),  # semaphores
])
def test_each_wait_has_at_most_one_probe(flags: int, ret: int, probes: list[str]) -> None:
    assert classify(flags, ret) == probes


def test_companions_surround_the_probe_programs(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["-e", "-S", "-n", "lockstat:::adaptive-block, lockstat:::spin-spin "
                       "{ @[probename] = quantize(args[1]); } BEGIN { exit(0); }"])
    err = capsys.readouterr().err
    assert status == 0, err
    kinds = [line.split("(")[1].split(",")[0] for line in err.splitlines()
             if line.startswith("DIFO program")]
    assert kinds[0] == "lockstat_begin" and kinds[-1] == "lockstat_end"
    assert kinds.count("lockstat") == 2  # one program per contention class


def test_no_companions_without_lockstat(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-e", "-S", "-n", "BEGIN { exit(0); }"]) == 0
    assert "lockstat" not in capsys.readouterr().err
