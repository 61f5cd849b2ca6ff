"""The sched provider: CPU scheduling events, on raw tracepoints.

``on-cpu`` fires at the context switch (``sched_switch``) in the name of the
*incoming* thread, as in DTrace: ``curthread``, ``pid``, ``tid``, ``execname``,
``curpsinfo``, ``self->`` and the other thread built-ins read the task switched
to (codegen.subject), although the code runs before the switch completes.
``off-cpu`` fires in the outgoing thread, its ``args[]`` naming the incoming one.
``sleep`` and ``preempt`` are ``sched_switch`` filtered on the outgoing thread's
state (``sleep``: it blocks; ``preempt``: it stays runnable), in its context,
just before ``off-cpu``. ``change-pri`` is priority-inheritance boosting only
(``sched_pi_setprio``; ``args[2]`` the new priority). ``wakeup`` fires in the waker.

Not available (no kernel hook at the documented moment): ``enqueue``,
``dequeue``, ``remain-cpu``, ``surrender``, ``tick`` and the ``schedctl-*`` probes.
"""

from pydtrace.providers.stable import TASK_LWP, TASK_PS, StableProvider

# sched_switch(bool preempt, prev, next, unsigned int prev_state)
_SWITCH_SLEEP = (((0, "eq", 0), (3, "ne", 0)),)  # not preempted, not TASK_RUNNING
_SWITCH_PREEMPT = (((0, "ne", 0),), ((3, "eq", 0),))  # preempted, or still runnable
PI_PRIO = ("int = ((struct task_struct *)arg2) != NULL ? "
           "((struct task_struct *)arg2)->prio : ((struct task_struct *)arg0)->normal_prio")


class SchedProvider(StableProvider):
    name = "sched"
    probes = {
        "off-cpu": ("sched", "sched_switch", ((2, TASK_LWP), (2, TASK_PS))),
        "on-cpu": ("sched", "sched_switch", ()),
        "sleep": ("sched", "sched_switch", ()),
        "preempt": ("sched", "sched_switch", ()),
        "change-pri": ("sched", "sched_pi_setprio",
                       ((0, TASK_LWP), (0, TASK_PS), (1, PI_PRIO))),
        "wakeup": ("sched", "sched_wakeup", ((0, TASK_LWP), (0, TASK_PS))),
    }
    extras = {
        "on-cpu": (2, ()),
        "sleep": (-1, _SWITCH_SLEEP),
        "preempt": (-1, _SWITCH_PREEMPT),
    }
