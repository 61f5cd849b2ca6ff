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

``enqueue`` (a thread put on a run queue; ``args[3]`` front is 0) has one probe
per kernel hook, told apart by the function field: ``ttwu_do_wakeup``
(``sched_wakeup``: a woken thread; the tracepoint also fires for a thread woken
before it left its run queue), ``wake_up_new_task`` (``sched_wakeup_new``) and
``__schedule`` (``sched_switch`` of a preempted thread, which stays runnable).
``dequeue`` fires when the scheduler takes the next thread off its CPU's run
queue to run it (``sched_switch``'s next thread: the pair measures run-queue
latency as on illumos; Linux keeps the running task in its run queue, so
there is no other dequeue moment), in the outgoing thread; the idle task is
included. ``args[2]`` (cpuinfo_t) is the CPU the probe fires on, for
``enqueue`` of a woken thread not necessarily the CPU of the queue.
``surrender`` fires on the reschedule IPI (``irq_vectors:reschedule_entry``,
x86): the CPU was told by another CPU to give up the running thread, which is
``curthread`` and ``args[0..1]``; a reschedule on the CPU's own initiative has
no hook.

Not available (no kernel hook at the documented moment): ``remain-cpu``
(``__schedule`` picking the same task traces nothing), ``tick`` (the scheduler
tick has no tracepoint; ``profile:::tick-`` or ``profile-`` at HZ is the
nearest), and the ``schedctl-*`` probes.
"""

from pydtrace.providers.stable import TASK_LWP, TASK_PS, StableProvider

# sched_switch(bool preempt, prev, next, unsigned int prev_state)
_SWITCH_SLEEP = (((0, "eq", 0), (3, "ne", 0)),)  # not preempted, not TASK_RUNNING
_SWITCH_PREEMPT = (((0, "ne", 0),), ((3, "eq", 0),))  # preempted, or still runnable
TASK_CPU = "cpuinfo_t * <= struct task_struct *"
CUR_LWP = "lwpsinfo_t * = xlate <lwpsinfo_t *> (curthread)"
CUR_PS = "psinfo_t * = xlate <psinfo_t *> (curthread)"
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
        "enqueue@ttwu_do_wakeup": ("sched", "sched_wakeup", (
            (0, TASK_LWP), (0, TASK_PS), (0, TASK_CPU), (0, "int = 0"))),
        "enqueue@wake_up_new_task": ("sched", "sched_wakeup_new", (
            (0, TASK_LWP), (0, TASK_PS), (0, TASK_CPU), (0, "int = 0"))),
        "enqueue@__schedule": ("sched", "sched_switch", (
            (1, TASK_LWP), (1, TASK_PS), (1, TASK_CPU), (1, "int = 0"))),
        "dequeue@__schedule": ("sched", "sched_switch", (
            (2, TASK_LWP), (2, TASK_PS), (2, TASK_CPU))),
        "surrender@sysvec_reschedule_ipi": ("irq_vectors", "reschedule_entry", (
            (0, CUR_LWP), (0, CUR_PS))),
    }
    extras = {
        "on-cpu": (2, ()),
        "sleep": (-1, _SWITCH_SLEEP),
        "preempt": (-1, _SWITCH_PREEMPT),
        "enqueue@__schedule": (-1, _SWITCH_PREEMPT),
    }
