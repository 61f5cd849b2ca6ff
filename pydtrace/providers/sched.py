"""The sched provider: CPU scheduling events.

Deviation from DTrace: ``on-cpu`` fires at the context switch (the
``sched_switch`` tracepoint) in the *outgoing* thread's context, not in the
incoming thread's: ``curthread``/``pid``/``execname`` there are the thread
leaving the CPU (``off-cpu``'s ``args[]`` name the incoming one). There is no
hook for ``enqueue``, ``dequeue``, ``preempt``, ``sleep``, ``tick`` or
``change-pri``.
"""

from pydtrace.providers.stable import TASK_LWP, TASK_PS, StableProvider


class SchedProvider(StableProvider):
    name = "sched"
    probes = {
        "off-cpu": ("sched", "sched_switch", ((2, TASK_LWP), (2, TASK_PS))),
        "on-cpu": ("sched", "sched_switch", ()),
        "wakeup": ("sched", "sched_wakeup", ((0, TASK_LWP), (0, TASK_PS))),
    }
