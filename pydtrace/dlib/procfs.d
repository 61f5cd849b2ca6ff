/*
 * procfs.d: psinfo_t and lwpsinfo_t for Linux tasks (pydtrace D library).
 * Parsed only when a script names curpsinfo, curlwpsinfo, psinfo_t or lwpsinfo_t.
 */

typedef struct psinfo {
	int	pr_nlwp;
	pid_t	pr_pid;
	pid_t	pr_ppid;
	pid_t	pr_pgid;
	pid_t	pr_sid;
	uid_t	pr_uid;
	uid_t	pr_euid;
	gid_t	pr_gid;
	gid_t	pr_egid;
	uintptr_t pr_addr;
	string	pr_fname;
	string	pr_psargs;
	int	pr_dmodel;
	int	pr_zoneid;
	int	pr_projid;
	int	pr_taskid;
} psinfo_t;

typedef struct lwpsinfo {
	int	pr_flag;
	id_t	pr_lwpid;
	uintptr_t pr_addr;
	uintptr_t pr_wchan;
	char	pr_stype;
	char	pr_state;
	char	pr_sname;
	int	pr_pri;
	string	pr_clname;
	processorid_t pr_onpro;
} lwpsinfo_t;

translator psinfo_t < struct task_struct *T > {
	pr_nlwp = T->signal->nr_threads;
	pr_pid = T->tgid;
	pr_ppid = T->real_parent->tgid;
	pr_pgid = 0;
	pr_sid = 0;
	pr_uid = T->cred->uid.val;
	pr_euid = T->cred->euid.val;
	pr_gid = T->cred->gid.val;
	pr_egid = T->cred->egid.val;
	pr_addr = (uintptr_t)T;
	pr_fname = stringof(T->comm);
	pr_psargs = __psargs(T);
	pr_dmodel = 2;
	pr_zoneid = 0;
	pr_projid = 0;
	pr_taskid = 0;
};

translator lwpsinfo_t < struct task_struct *T > {
	pr_flag = T->flags;
	pr_lwpid = T->pid;
	pr_addr = (uintptr_t)T;
	pr_wchan = 0;
	pr_stype = 0;
	pr_state = T->__state == 0 ? 2 : 1;
	pr_sname = T->__state == 0 ? 'R' : 'S';
	pr_pri = T->prio;
	pr_clname = "TS";
	pr_onpro = T->thread_info.cpu;
};

inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);
