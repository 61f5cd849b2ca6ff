"""The dtrace provider: BEGIN, END and ERROR.

None of them needs a kernel probe: BEGIN and END programs are run on demand
with BPF_PROG_TEST_RUN in the dtrace process's own context (Linux 5.10+ runs
raw-tracepoint programs that way); ERROR clauses are called by the trampolines
of the faulting probes.
"""

from __future__ import annotations

from contextlib import ExitStack

from pydtrace.providers.base import Probe, Provider

BEGIN = Probe("dtrace", "", "", "BEGIN", "begin", id=1)
END = Probe("dtrace", "", "", "END", "end", id=2)
ERROR = Probe("dtrace", "", "", "ERROR", "error", id=3,
              arg_types=("uint64_t", "uint32_t", "int", "int", "int", "uint64_t"))


class DTraceProvider(Provider):
    name = "dtrace"

    def list_probes(self) -> list[Probe]:
        return [BEGIN, END, ERROR]

    def attach(self, probe: Probe, prog_fd: int, stack: ExitStack) -> None:
        """Nothing to attach: the run loop fires these itself."""
