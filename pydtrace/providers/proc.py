"""The proc provider: process and thread life cycle, signals.

Deviations from DTrace (no kernel hook fires at the documented moment):
``exit`` and ``lwp-exit`` both fire for every exiting thread
(``sched_process_exit``); ``lwp-create`` fires for new processes too
(``task_newtask``); ``exec`` fires at execve(2) entry, its ``arg0`` being the
user-space path pointer. ``start`` and ``lwp-start`` fire when the new task is
first made runnable (``sched_wakeup_new``, in the parent) in the name of the new
task (codegen.subject: ``pid``, ``execname``, ``curpsinfo``... are the child's),
``start`` only for a new process's first thread. ``exec-failure`` is the
execve/execveat system call returning an error (``args[0]`` = errno).
``signal-discard`` is ``signal_generate`` with the signal ignored;
``signal-clear`` is rt_sigtimedwait(2) returning a signal (``args[0]``).
"""

from pydtrace.providers.stable import TASK_LWP, TASK_PS, StableProvider

EXIT_REASON = ("int = (((struct task_struct *)arg0)->exit_code & 0x7f) == 0 ? 1 : "
               "(((struct task_struct *)arg0)->exit_code & 0x80) ? 3 : 2")
NR_EXECVE, NR_EXECVEAT, NR_RT_SIGTIMEDWAIT = 59, 322, 128  # x86-64
TRACE_SIGNAL_IGNORED = 1  # signal_generate's result


class ProcProvider(StableProvider):
    name = "proc"
    probes = {
        "create": ("sched", "sched_process_fork", ((1, TASK_PS),)),
        "exec": ("syscalls", "sys_enter_execve", ((1, "string = copyinstr(arg0)"),)),
        "exec-success": ("sched", "sched_process_exec", ()),
        "exec-failure": ("raw_syscalls", "sys_exit", ((1, "int = (int)-arg0"),)),
        "exit": ("sched", "sched_process_exit", ((0, EXIT_REASON),)),
        "start": ("sched", "sched_wakeup_new", ()),
        "lwp-create": ("task", "task_newtask", ((0, TASK_LWP), (0, TASK_PS))),
        "lwp-start": ("sched", "sched_wakeup_new", ()),
        "lwp-exit": ("sched", "sched_process_exit", ()),
        "signal-send": ("signal", "signal_generate",
                        ((2, TASK_LWP), (2, TASK_PS), (0, "int"))),
        "signal-discard": ("signal", "signal_generate",
                           ((2, TASK_LWP), (2, TASK_PS), (0, "int"))),
        "signal-handle": ("signal", "signal_deliver",
                          ((0, "int"), (1, "struct kernel_siginfo *"),
                           (2, "uintptr_t = (uintptr_t)((struct k_sigaction *)arg2)"
                               "->sa.sa_handler"))),
        "signal-clear": ("raw_syscalls", "sys_exit", ((1, "int"),)),
    }
    extras = {
        "exec-failure": (-1, ((("nr", (NR_EXECVE, NR_EXECVEAT)), (1, "slt", 0)),)),
        "start": (0, ((("leader", 0),),)),
        "lwp-start": (0, ()),
        "signal-discard": (-1, (((4, "eq", TRACE_SIGNAL_IGNORED),),)),
        "signal-clear": (-1, ((("nr", (NR_RT_SIGTIMEDWAIT,)), (1, "sgt", 0)),)),
    }
