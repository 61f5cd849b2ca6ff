/*
 * sched.d: cpuinfo_t and curcpu (pydtrace D library).
 * Parsed only when a script names one of them.
 */

typedef struct cpuinfo {
	processorid_t cpu_id;
	int	cpu_pset;
	int	cpu_chip;
	int	cpu_lgrp;
} cpuinfo_t;

translator cpuinfo_t < struct task_struct *T > {
	cpu_id = cpu;
	cpu_pset = -1;
	cpu_chip = cpu;
	cpu_lgrp = 0;
};

inline cpuinfo_t *curcpu = xlate <cpuinfo_t *> (curthread);
