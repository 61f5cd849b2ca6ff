"""D libraries and typed arguments against the running kernel: -L user libraries
and -x nolibs programs that run, translated ``args[]`` through a translator the
script declares itself, BTF enum tags in comparisons, ``&`` of kernel types.
The failing forms are rows of tests/kernel/test_error_tags_kernel.py."""

from __future__ import annotations

from pathlib import Path

from tests.kernel.test_user_tracing import dtrace, ok


def test_user_library_inline_runs(tmp_path: Path) -> None:
    (tmp_path / "a.d").write_text("#pragma D depends_on library b.d\n"
                                  "inline int answer = base + 1;\n")
    (tmp_path / "b.d").write_text("inline int base = 41;\n")
    proc = ok(dtrace("-L", str(tmp_path), "-qn",
                     'BEGIN { printf("%d\\n", answer); exit(0); }'))
    assert proc.stdout.split() == ["42"]


def test_nolibs_with_own_translator_for_args(tmp_path: Path) -> None:
    # without the D library, the script supplies psinfo_t and its translator itself
    prog = ("typedef struct psinfo { int pr_pid; int pr_ppid; } psinfo_t;\n"
            "translator psinfo_t < struct task_struct *T > "
            "{ pr_pid = T->tgid; pr_ppid = T->real_parent->tgid; };\n"
            "proc:::create /pid == $target/ { printf(\"child %d of %d %d\\n\", "
            "args[0]->pr_pid, args[0]->pr_ppid, pid); }")
    script = tmp_path / "forks.sh"
    script.write_text("#!/bin/sh\n/bin/true\n/bin/true\n")
    script.chmod(0o755)
    proc = ok(dtrace("-xnolibs", "-qn", prog, "-c", str(script)))
    lines = [ln.split() for ln in proc.stdout.splitlines() if ln.startswith("child ")]
    assert lines, proc.stdout
    assert all(int(f[1]) > 0 and f[1] != f[3] and f[3] == f[4] for f in lines), proc.stdout


def test_translated_args_with_the_library() -> None:
    proc = ok(dtrace("-e", "-n", "proc:::create { trace(args[0]->pr_pid); }"))
    assert proc.stderr == ""


def test_enum_tag_comparisons() -> None:
    proc = ok(dtrace("-qn", "enum pid_type v;\nBEGIN { printf(\"%d %d %d %d\\n\", "
                     "v == PIDTYPE_PID, v != PIDTYPE_PGID, v < PIDTYPE_SID, "
                     "v > PIDTYPE_PID); exit(0); }"))
    assert proc.stdout.split() == ["1", "1", "1", "0"]


def test_enum_tag_only_on_the_right() -> None:
    proc = dtrace("-x", "errtags", "-e", "-n",
                  "enum pid_type v;\nBEGIN { trace(PIDTYPE_SID > v); }")
    assert proc.returncode == 1
    assert "[D_IDENT_UNDEF] failed to resolve PIDTYPE_SID" in proc.stderr


def test_address_of_kernel_types_without_conflict() -> None:
    for prog in (
        # no BTF pointer to struct sched_info, but nothing in D clashes with it
        "BEGIN { trace(&curthread->sched_info); }",
        "struct sched_info;\nBEGIN { trace(&curthread->sched_info); }",
        # the kernel has struct list_head *: the D struct does not matter
        "struct list_head { int x; };\nBEGIN { trace(&curthread->tasks); }",
    ):
        proc = dtrace("-x", "errtags", "-e", "-n", prog)
        assert proc.returncode == 0, (prog, proc.stderr)
