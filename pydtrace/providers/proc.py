"""The proc provider: process and thread life cycle, signals.

Deviations from DTrace (no kernel hook fires at the documented moment):
``exec-failure``, ``start``, ``lwp-start``, ``signal-clear`` and
``signal-discard`` do not exist; ``exit`` and ``lwp-exit`` both fire for every
exiting thread (``sched_process_exit``); ``lwp-create`` fires for new
processes too (``task_newtask``); ``exec`` fires at execve(2) entry, its
``arg0`` being the user-space path pointer.
"""

from pydtrace.providers.stable import TASK_LWP, TASK_PS, StableProvider

EXIT_REASON = ("int = (((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? 1 : "
               "(((struct task_struct *)arg0)->exit_code & 0x80) ? 3 : 2")


class ProcProvider(StableProvider):
    name = "proc"
    probes = {
        "create": ("sched", "sched_process_fork", ((1, TASK_PS),)),
        "exec": ("syscalls", "sys_enter_execve", ((1, "string = copyinstr(arg0)"),)),
        "exec-success": ("sched", "sched_process_exec", ()),
        "exit": ("sched", "sched_process_exit", ((0, EXIT_REASON),)),
        "lwp-create": ("task", "task_newtask", ((0, TASK_LWP), (0, TASK_PS))),
        "lwp-exit": ("sched", "sched_process_exit", ()),
        "signal-send": ("signal", "signal_generate",
                        ((2, TASK_LWP), (2, TASK_PS), (0, "int"))),
        "signal-handle": ("signal", "signal_deliver",
                          ((0, "int"), (1, "struct kernel_siginfo *"),
                           (2, "uintptr_t = (uintptr_t)((struct k_sigaction *)arg2)"
                               "->sa.sa_handler"))),
    }
