/*
 * procfs.d: psinfo_t and lwpsinfo_t for Linux tasks (pydtrace D library).
 * Parsed only when a script names curpsinfo, curlwpsinfo, psinfo_t or lwpsinfo_t.
 *
 * The members are those of DTrace's proc(4)-style psinfo_t and lwpsinfo_t;
 * members with no Linux source (pr_size, pr_pctcpu, pr_time, pr_wstat's zombies,
 * pr_bindpro...) are declared but not translated: using one is D_XLATE_NOCONV.
 */

typedef id_t psetid_t;
typedef id_t poolid_t;

typedef struct timestruc {
	time_t	tv_sec;
	long	tv_nsec;
} timestruc_t;

typedef struct lwpsinfo {
	int	pr_flag;		/* task flags (PF_*) */
	id_t	pr_lwpid;		/* thread id */
	uintptr_t pr_addr;		/* the task_struct */
	uintptr_t pr_wchan;		/* wait address (Linux: 0) */
	char	pr_stype;		/* sync object type (Linux: 0) */
	char	pr_state;		/* SSLEEP, SRUN, SZOMB, SSTOP, SWAIT */
	char	pr_sname;		/* 'S', 'R', 'Z', 'T', 'W' */
	char	pr_nice;		/* nice value */
	short	pr_syscall;
	char	pr_oldpri;
	char	pr_cpu;
	int	pr_pri;			/* kernel priority (prio) */
	ushort_t pr_pctcpu;
	ushort_t pr_pad;
	timestruc_t pr_start;
	timestruc_t pr_time;
	string	pr_clname;		/* scheduling class */
	string	pr_name;		/* thread name (comm) */
	processorid_t pr_onpro;		/* CPU last run on */
	processorid_t pr_bindpro;
	psetid_t pr_bindpset;
	int	pr_lgrp;
	int	pr_filler[4];
} lwpsinfo_t;

typedef struct psinfo {
	int	pr_flag;
	int	pr_nlwp;		/* threads in the thread group */
	pid_t	pr_pid;
	pid_t	pr_ppid;
	pid_t	pr_pgid;
	pid_t	pr_sid;
	uid_t	pr_uid;
	uid_t	pr_euid;
	gid_t	pr_gid;
	gid_t	pr_egid;
	uintptr_t pr_addr;		/* the task_struct */
	size_t	pr_size;
	size_t	pr_rssize;
	size_t	pr_pad1;
	struct tty_struct *pr_ttydev;	/* controlling tty, or -1 */
	ushort_t pr_pctcpu;
	ushort_t pr_pctmem;
	timestruc_t pr_start;
	timestruc_t pr_time;
	timestruc_t pr_ctime;
	string	pr_fname;		/* comm */
	string	pr_psargs;		/* initial characters of the arguments */
	int	pr_wstat;
	int	pr_argc;		/* argument count */
	uintptr_t pr_argv;		/* user address of the argv[] array */
	uintptr_t pr_envp;		/* user address of the envp[] array */
	char	pr_dmodel;		/* PR_MODEL_ILP32 or PR_MODEL_LP64 */
	char	pr_pad2[3];
	taskid_t pr_taskid;
	projid_t pr_projid;
	int	pr_nzomb;
	poolid_t pr_poolid;
	zoneid_t pr_zoneid;
	id_t	pr_contract;
	int	pr_filler[1];
	lwpsinfo_t pr_lwp;
} psinfo_t;

inline char PR_MODEL_ILP32 = 1;
inline char PR_MODEL_LP64 = 2;

inline char SSLEEP = 1;
inline char SRUN = 2;
inline char SZOMB = 3;
inline char SSTOP = 4;
inline char SIDL = 5;
inline char SONPROC = 6;
inline char SWAIT = 7;

inline int PR_STOPPED = 0x00000001;
inline int PR_ISTOP = 0x00000002;
inline int PR_DSTOP = 0x00000004;
inline int PR_IDLE = 0x10000000;

/*
 * The argument and environment vectors are on the user stack: mm->start_stack
 * is the address of argc, argv[] follows it and envp[] follows argv[]'s NULL.
 * A 32-bit task (its address space ends below 4G) has 4-byte words there.
 * argc is read from the current process's memory only (0 for other tasks).
 */
translator psinfo_t < struct task_struct *T > {
	pr_nlwp = T->signal->nr_threads;
	pr_pid = T->tgid;
	pr_ppid = T->real_parent->tgid;
	pr_pgid = ((struct upid *)&T->signal->pids[2 /* PIDTYPE_PGID */]->numbers)->nr;
	pr_sid = ((struct upid *)&T->signal->pids[3 /* PIDTYPE_SID */]->numbers)->nr;
	pr_uid = T->cred->uid.val;
	pr_euid = T->cred->euid.val;
	pr_gid = T->cred->gid.val;
	pr_egid = T->cred->egid.val;
	pr_addr = (uintptr_t)T;
	pr_ttydev = T->signal->tty ? T->signal->tty : (struct tty_struct *)-1;
	pr_fname = stringof(T->comm);
	pr_psargs = __psargs(T);
	pr_wstat = 0;
	pr_argc = T->mm != NULL && T->mm == curthread->mm ?
	    (int)__uword(T->mm->start_stack) : 0;
	pr_argv = T->mm == NULL ? 0 : T->mm->start_stack +
	    (T->mm->task_size > 0xffffffffUL ? 8 : 4);
	pr_envp = T->mm != NULL && T->mm == curthread->mm ? T->mm->start_stack +
	    ((int)__uword(T->mm->start_stack) + 2) *
	    (T->mm->task_size > 0xffffffffUL ? 8 : 4) : 0;
	pr_dmodel = T->mm == NULL || T->mm->task_size > 0xffffffffUL ?
	    PR_MODEL_LP64 : PR_MODEL_ILP32;
	pr_taskid = 0;
	pr_projid = 0;
	pr_nzomb = 0;
	pr_poolid = 0;
	pr_zoneid = 0;
	pr_contract = 0;
};

translator lwpsinfo_t < struct task_struct *T > {
	pr_flag = T->flags;
	pr_lwpid = T->pid;
	pr_addr = (uintptr_t)T;
	pr_wchan = 0;
	pr_stype = 0;
	/* exit_state: EXIT_DEAD 0x10, EXIT_ZOMBIE 0x20; __state: TASK_INTERRUPTIBLE 1,
	   TASK_UNINTERRUPTIBLE 2, __TASK_STOPPED 4, __TASK_TRACED 8, TASK_WAKEKILL 0x100,
	   TASK_WAKING 0x200 */
	pr_state = T->exit_state & 0x30 ? SZOMB : T->__state & 0xc ? SSTOP :
	    T->__state & 0x3 ? SSLEEP : T->__state & 0x300 ? SWAIT : SRUN;
	pr_sname = T->exit_state & 0x30 ? 'Z' : T->__state & 0xc ? 'T' :
	    T->__state & 0x3 ? 'S' : T->__state & 0x300 ? 'W' : 'R';
	pr_nice = T->static_prio - 120;
	pr_pri = T->prio;
	pr_clname = "TS";
	pr_name = stringof(T->comm);
	pr_onpro = T->thread_info.cpu;
};

inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);
