"""The io provider: block I/O requests.

``arg0`` is the ``struct request *`` (the same pointer at ``start`` and
``done``, so it keys a latency measurement); ``args[0..2]`` are bufinfo_t,
devinfo_t and fileinfo_t translated from it (dlib/io.d). fileinfo_t is not
known at the block layer: its strings read ``<unknown>``.

``wait-start``/``wait-done`` (a thread blocking on a buffer, illumos
``biowait()``) are not available: Linux waits for block I/O in many places
(``submit_bio_wait``, folio/page locks, ``io_schedule``) and none has a
tracepoint naming the request (block/ has no wait event).
"""

from pydtrace.providers.stable import StableProvider

REQ = (("bufinfo_t * <= struct request *"), ("devinfo_t * <= struct request *"),
       ("fileinfo_t * <= struct request *"))


class IoProvider(StableProvider):
    name = "io"
    probes = {
        "start": ("block", "block_rq_issue", tuple((0, t) for t in REQ)),
        "done": ("block", "block_rq_complete", tuple((0, t) for t in REQ)),
    }
