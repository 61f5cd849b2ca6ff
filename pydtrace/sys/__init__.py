"""The thin kernel boundary: ``bpf(2)``, ``perf_event_open(2)``, ioctls, mmap, tracefs.

Nothing else in pydtrace calls the kernel directly. Every file-descriptor owner here is a
context manager whose ``close()`` is idempotent.
"""
