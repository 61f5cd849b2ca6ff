"""The run loop: load, BEGIN, attach, consume, END, print aggregations, clean up.

Every kernel object is entered into one ``ExitStack``; closing it releases all
programs, maps, links and perf events on every exit path. Attachments are fd
based, so even SIGKILL leaves nothing behind.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import ExitStack
from typing import IO

from pydtrace.codegen.layout import (
    ACTIVE,
    GLOBAL_ACTIVITY,
    GLOBAL_WALLOFF,
    STATE_AGGDROPS,
    STATE_DROPS,
    STATE_DYNDROPS,
)
from pydtrace.codegen.program import CompiledProgram, MapSpec
from pydtrace.errors import DTraceError, KernelError, VerifierError


class Session:
    """One tracing run of a compiled program."""

    def __init__(self, compiled: CompiledProgram, options, out: IO[bytes],
                 err: IO[str] | None = None) -> None:
        self.compiled = compiled
        self.options = options
        self.out = out
        self.err = err or sys.stderr
        self.exiting = False
        self.exit_status = 0
        self.stop_requested = False
        self.chunks: list[str] = []
        self.stack = ExitStack()
        self.maps: dict[str, object] = {}
        self.progs: dict[str, object] = {}
        self.attach_stack = ExitStack()
        self.aggs: dict[str, object] = {}
        self.printed: set[str] = set()
        self.drops_seen: dict[tuple[int, int], int] = {}
        self.dyn_options: dict[str, object] = {}
        self.targets_alive = None  # callable -> bool, set by process control
        self.record_hook = None  # API: called with (epid, probe name, decoded values)
        # -x bufpolicy=ring: output is held (newest bufsize bytes of text) until the end
        self.ring_keep = options["bufsize"] if options["bufpolicy"] == "ring" else None
        self.finishing = False
        self.rb_size = 0  # the ring buffer's size, after any -x bufresize=auto lowering

    # ------------------------------------------------------------ output

    def write(self, text: str) -> None:
        self.chunks.append(text)

    def flush(self) -> None:
        if self.ring_keep is not None and not self.finishing:
            self.keep_newest()
            return
        if self.chunks:
            data = "".join(self.chunks)
            self.chunks.clear()
            self.out.write(data.encode("utf-8", "surrogateescape"))
        self.out.flush()

    def warn(self, message: str) -> None:
        self.flush()
        self.err.write(f"dtrace: {message}\n")
        self.err.flush()

    # ------------------------------------------------------------ kernel objects

    def open(self) -> None:
        for spec in self.compiled.maps:
            self.maps[spec.name] = self.create_map(spec)
        if "stacks" in self.maps:  # stack() aggregation keys (output.stacks)
            from pydtrace.output.stacks import set_stack_map

            set_stack_map(self.maps["stacks"])
        if "ustacks" in self.maps or "upids" in self.maps:  # output.ustacks
            from pydtrace.output.ustacks import set_maps

            set_maps(self.maps)
        for prog in self.compiled.programs:
            self.progs[prog.name] = self.load_program(prog)
        for name, plan in self.compiled.aggs.items():
            # lazy: aggregation formatting costs ~5 ms of start-up; only aggregations need it
            from pydtrace.consume.aggregate import Aggregation

            self.aggs[name] = Aggregation(plan, self.maps[plan.map_name])

    def func_info(self, prog) -> tuple[int, bytes] | None:
        starts = subprogram_starts(prog.insns)
        if starts is None:
            return None
        from pydtrace.sys.btfload import func_info, load_minimal_btf

        fd = self.__dict__.get("btf_fd")
        if fd is None:
            fd = self.btf_fd = load_minimal_btf()
            self.stack.callback(os.close, fd)
        return fd, func_info(starts)

    def create_map(self, spec: MapSpec):
        from pydtrace.sys.maps import Map

        size = spec.max_entries
        while True:
            try:
                m = self.stack.enter_context(Map.create(spec.map_type, spec.key_size,
                                                        spec.value_size, size,
                                                        spec.name, spec.flags))
                break
            except KernelError as exc:
                if self.can_lower(spec, size, exc):
                    size //= 2  # bufresize=auto: halve until the kernel agrees
                    continue
                raise DTraceError(f"could not enable tracing: failed to create map "
                                  f"{spec.name}: "
                                  f"{os.strerror(exc.errno) if exc.errno else exc}") from exc
        if spec.name == "rb":
            self.rb_size = size
            if size != spec.max_entries:
                self.resize_notice("buffer size", size)
        if spec.initial is not None:
            m.update(b"\0\0\0\0", spec.initial)
        if spec.freeze:
            m.freeze()
        return m

    def can_lower(self, spec: MapSpec, size: int, exc: KernelError) -> bool:
        """-x bufresize=auto: a principal buffer refused for lack of memory is halved."""
        import errno

        return (spec.name == "rb" and exc.errno in (errno.ENOMEM, errno.E2BIG)
                and self.options["bufresize"] == "auto" and size // 2 >= os.sysconf("SC_PAGESIZE"))

    def resize_notice(self, what: str, size: int) -> None:
        """``dtrace: buffer size lowered to 2m`` unless quietresize (or _DTRACE_TESTING)."""
        from pydtrace.options import format_size

        if not self.options["quietresize"] and "_DTRACE_TESTING" not in os.environ:
            self.warn(f"{what} lowered to {format_size(size)}")

    def keep_newest(self) -> None:
        """bufpolicy=ring: drop the oldest output beyond bufsize bytes (whole writes).

        An approximation of DTrace's overwriting ring (BPF ring buffers never
        overwrite): records are drained as usual and their text is kept.
        """
        total = sum(len(c) for c in self.chunks)
        drop = 0
        while drop < len(self.chunks) - 1 and total > self.ring_keep:
            total -= len(self.chunks[drop])
            drop += 1
        if drop:
            del self.chunks[:drop]

    def load_program(self, prog):
        from pydtrace.bpf.asm import encode
        from pydtrace.sys.progs import Program

        fds = {name: m.fd for name, m in self.maps.items()}
        code = encode(prog.insns, fds)
        kw = {}
        if prog.kind in ("fentry", "fexit"):  # fbt on BPF trampolines: one function each
            from pydtrace.codegen.trampoline import KINDS

            kw = {"expected_attach_type": KINDS[prog.kind].attach_type,
                  "attach_btf_id": prog.probes[0].data[1]}
        elif prog.kind.startswith("umulti_"):  # pid probes on uprobe_multi links
            from pydtrace.sys.syscall import BPF_TRACE_UPROBE_MULTI

            kw = {"expected_attach_type": BPF_TRACE_UPROBE_MULTI}
        try:
            return self.stack.enter_context(Program.load(prog.prog_type, code, name=prog.name,
                                                         func_info=self.func_info(prog), **kw))
        except VerifierError as exc:
            raise DTraceError(explain_verifier(prog, exc)) from exc

    # ------------------------------------------------------------ the run

    def run(self, registry, on_go=None) -> int:
        from pydtrace.consume.decoder import Printer
        from pydtrace.sys.ringbuf import RingBuffer

        rb_spec = next(m for m in self.compiled.maps if m.name == "rb")
        self.ring = self.stack.enter_context(RingBuffer(self.maps["rb"].fd,
                                                        self.rb_size or rb_spec.max_entries))
        self.printer = Printer(self.compiled, self)
        self.set_walltime_offset()
        with self.signals():
            self.fire("begin")
            # probes are enabled before BEGIN's records are consumed, as in DTrace: a
            # system() in BEGIN runs a command the other probes see
            attached = self.begin_active()
            if attached:
                self.attach(registry)
            self.drain()
            if not self.exiting:
                if not attached:
                    self.attach(registry)
                if on_go:
                    on_go()
                self.loop()
            self.attach_stack.close()
            self.fire("end")
            self.drain()
        self.finish()
        return self.exit_status

    def begin_active(self) -> bool:
        """False when BEGIN called exit() (the in-kernel activity is DRAINING)."""
        value = self.maps["globals"].lookup(b"\0\0\0\0") or b""
        return int.from_bytes(value[GLOBAL_ACTIVITY:GLOBAL_ACTIVITY + 8], "little") == ACTIVE

    def set_walltime_offset(self) -> None:
        offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - \
            time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        g = self.maps["globals"]
        value = bytearray(g.lookup(b"\0\0\0\0") or bytes(g.value_size))
        value[GLOBAL_WALLOFF:GLOBAL_WALLOFF + 8] = offset.to_bytes(8, "little", signed=True)
        g.update(b"\0\0\0\0", bytes(value))

    def fire(self, kind: str) -> None:
        """Runs BEGIN or END in this process's context (BPF_PROG_TEST_RUN)."""
        for prog in self.compiled.programs:
            if prog.kind == kind:
                self.progs[prog.name].test_run(ctx_in=bytes(8))

    def attach(self, registry) -> None:
        for prog in self.compiled.programs:
            if prog.kind in ("begin", "end", "error"):
                continue
            fd = self.progs[prog.name].fd
            if prog.kind.startswith("umulti_"):  # many sites per link (providers.pid)
                try:
                    registry.provider(prog.probes[0].provider).attach_multi(
                        prog.probes, fd, self.attach_stack)
                except KernelError as exc:
                    raise DTraceError(f"failed to enable '{prog.probes[0].fullname}': "
                                      f"{exc.message}") from exc
                continue
            for probe in prog.probes:
                provider = registry.provider(probe.provider)
                try:
                    provider.attach(probe, fd, self.attach_stack)
                except KernelError as exc:
                    raise DTraceError(f"failed to enable '{probe.fullname}': {exc.message}"
                                      ) from exc

    def loop(self) -> None:
        interval = self.poll_interval_ms()
        status_ns = self.options["statusrate"]
        next_status = time.monotonic_ns() + status_ns
        while not self.exiting and not self.stop_requested:
            self.ring.poll(interval)
            self.drain()
            now = time.monotonic_ns()
            if now >= next_status:
                self.check_drops()
                next_status = now + status_ns
            if self.targets_alive is not None and not self.targets_alive():
                break

    def poll_interval_ms(self) -> int:
        switch_ms = max(1, self.options["switchrate"] // 1_000_000)
        return min(switch_ms, 100)

    def drain(self) -> None:
        self.ring.consume(self.printer.handle,
                          self.printer.handle_run if self.printer.bulk else None)
        self.flush()

    def request_exit(self, status: int) -> None:
        self.exit_status = status
        self.exiting = True

    # ------------------------------------------------------------ aggregations

    def printa(self, act) -> None:
        from pydtrace.output import aggfmt as F

        aggs = [self.aggs[n] for n in act.agg_names]
        for a in aggs:
            self.printed.add(a.desc.name)
        opts = self.agg_options()
        if act.convs is None:
            self.write("\n")
            a = aggs[0]
            self.write(F.format_agg_default(a.desc, list(a.snapshot().items()),
                                            normal=a.normal, options=opts,
                                            percpu=self.percpu(a)))
            return
        tables = [a.snapshot() for a in aggs]
        rows = F.join_entries([a.desc for a in aggs], tables)
        self.write(F.format_printa(act.convs, [a.desc for a in aggs], rows,
                                   normals=[a.normal for a in aggs], options=opts))

    def agg_op(self, act, args: list[int]) -> None:
        agg = self.aggs[act.agg_name]
        if act.op == "clear":
            agg.clear()
        elif act.op == "trunc":
            agg.trunc(args[0] if args else None)
        elif act.op == "normalize":
            agg.normal = args[0] or 1
        elif act.op == "denormalize":
            agg.normal = 1

    def setopt(self, name: str, value: str | None) -> None:
        try:
            self.options.set(name, value)
        except DTraceError:
            self.warn(f'couldn\'t set option "{name}" to "{value or ""}": Invalid option name')

    def percpu(self, agg) -> dict | None:
        """Per-CPU values for ``-x aggpercpu`` (printed under each entry)."""
        return agg.snapshot_percpu() if self.options.get("aggpercpu", False) else None

    def agg_options(self) -> dict[str, object]:
        names = ("aggsortkey", "aggsortrev", "aggsortpos", "aggsortkeypos", "aggzoom",
                 "encoding", "aggpack", "agghist", "stackindent")
        return {n: self.options.get(n, None) for n in names}

    def finish(self) -> None:
        self.check_drops()
        self.finishing = True
        self.write("\n")
        opts = self.agg_options()
        for name, agg in sorted(self.aggs.items(), key=lambda kv: kv[1].desc.id):
            if name in self.printed:
                continue
            entries = list(agg.snapshot().items())
            if entries:
                # lazy: aggregation formatting costs ~3 ms of start-up; only aggregations need it
                from pydtrace.output import aggfmt as F

                self.write(F.format_agg_default(agg.desc, entries, normal=agg.normal,
                                                options=opts, percpu=self.percpu(agg)))
        self.flush()

    # ------------------------------------------------------------ drops and signals

    def check_drops(self) -> None:
        from pydtrace.output.records import drop_message

        state = self.maps["state"]
        per_cpu = state.lookup_percpu(b"\0\0\0\0") or []
        droptags = bool(self.options.get("droptags", False))
        for cpu, raw in enumerate(per_cpu):
            for off, kind in ((STATE_DROPS, "principal"), (STATE_AGGDROPS, "aggregation")):
                total = int.from_bytes(raw[off:off + 8], "little")
                new = total - self.drops_seen.get((cpu, off), 0)
                if new > 0:
                    self.drops_seen[(cpu, off)] = total
                    self.flush()
                    self.err.write("dtrace: " + drop_message(kind, new, cpu, droptags))
                    self.err.flush()
                    if kind == "principal" and self.options["bufpolicy"] == "fill":
                        self.stop_requested = True  # fill: a full buffer ends tracing
        self.check_other_drops(per_cpu, droptags)

    def check_other_drops(self, per_cpu: list[bytes], droptags: bool) -> None:
        """Dynamic variable drops (summed over CPUs) and speculation drops."""
        from pydtrace.output.records import drop_message

        seen = self.__dict__.setdefault("other_drops_seen", {})
        total = sum(int.from_bytes(raw[STATE_DYNDROPS:STATE_DYNDROPS + 8], "little")
                    for raw in per_cpu)
        if total > seen.get("dynamic", 0):
            new, seen["dynamic"] = total - seen.get("dynamic", 0), total
            self.flush()
            self.err.write("dtrace: " + drop_message("dynamic", new, None, droptags))
            self.err.flush()
        if "specs" in self.maps:
            from pydtrace.consume.speculation import report_drops

            report_drops(self, seen)

    def signals(self):
        session = self

        class _Signals:
            def __enter__(self_inner):
                self_inner.old = {}
                for sig in (signal.SIGINT, signal.SIGTERM):
                    self_inner.old[sig] = signal.signal(sig, session.on_signal)

            def __exit__(self_inner, *exc):
                for sig, handler in self_inner.old.items():
                    signal.signal(sig, handler)
        return _Signals()

    def on_signal(self, signum, frame) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True

    def close(self) -> None:
        self.attach_stack.close()
        self.stack.close()


def subprogram_starts(insns) -> list[int] | None:
    """Slots where subprograms start, when the program takes callback addresses
    (bpf_loop); None otherwise (no BTF func_info needed)."""
    from pydtrace.bpf.opcodes import CALL, JMP, PSEUDO_CALL, PSEUDO_FUNC

    starts, slot, funcs = {0}, 0, False
    for insn in insns:
        if insn.is_wide and insn.src == PSEUDO_FUNC:
            starts.add(slot + 1 + insn.imm)
            funcs = True
        elif insn.code == (JMP | CALL) and insn.src == PSEUDO_CALL:
            starts.add(slot + 1 + insn.imm)
        slot += insn.slots
    return sorted(starts) if funcs else None


def explain_verifier(prog, exc: VerifierError) -> str:
    lines = [line for line in exc.log.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-12:])
    where = verifier_source(prog, lines)
    return (f"could not enable tracing: the BPF verifier refused program {prog.name} "
            f"({exc.message}){where}:\n{tail}")


def verifier_source(prog, lines: list[str]) -> str:
    """`` in D line N: <source>`` for the last instruction the verifier reached:
    code generation puts each statement's D source line in a comment."""
    import re

    last = None
    for line in reversed(lines):
        m = re.match(r"^(\d+): \(", line)
        if m:
            last = int(m.group(1))
            break
    if last is None:
        return ""
    slot, comment = 0, None
    for insn in getattr(prog, "insns", []):
        if slot > last:
            break
        if insn.comment:
            comment = insn.comment
        slot += insn.slots
    return f" in D line {comment}" if comment else ""
