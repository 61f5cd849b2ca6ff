/*
 * io.d: bufinfo_t, devinfo_t, fileinfo_t and the B_* flags (pydtrace D library).
 * Translated from the block layer's struct request (the io provider's arg0).
 * Parsed only when a script names one of them.
 */

inline int B_BUSY = 0x000001;
inline int B_DONE = 0x000002;
inline int B_ERROR = 0x000004;
inline int B_PAGEIO = 0x000010;
inline int B_PHYS = 0x000020;
inline int B_READ = 0x000040;
inline int B_WRITE = 0x000100;
inline int B_ASYNC = 0x000400;

typedef struct bufinfo {
	int	b_flags;
	size_t	b_bcount;
	uintptr_t b_addr;
	uint64_t b_lblkno;
	uint64_t b_blkno;
	size_t	b_resid;
	size_t	b_bufsize;
	uintptr_t b_iodone;
	int	b_error;
	uint64_t b_edev;
} bufinfo_t;

typedef struct devinfo {
	int	dev_major;
	int	dev_minor;
	int	dev_instance;
	string	dev_name;
	string	dev_statname;
	string	dev_pathname;
} devinfo_t;

typedef struct fileinfo {
	string	fi_name;
	string	fi_dirname;
	string	fi_pathname;
	int64_t	fi_offset;
	string	fi_fs;
	string	fi_mount;
	int	fi_oflags;
} fileinfo_t;

/* REQ_OP_READ is 0, REQ_OP_WRITE 1 (the low 8 bits of cmd_flags) */
translator bufinfo_t < struct request *R > {
	b_flags = (R->cmd_flags & 0xff) == 1 ? 0x100 : (R->cmd_flags & 0xff) == 0 ? 0x40 : 0;
	b_bcount = R->__data_len;
	b_addr = 0;
	b_lblkno = R->__sector;
	b_blkno = R->__sector;
	b_resid = 0;
	b_bufsize = R->__data_len;
	b_iodone = 0;
	b_error = 0;
	b_edev = R->part->bd_dev;
};

translator devinfo_t < struct request *R > {
	dev_major = R->part->bd_dev >> 20;
	dev_minor = R->part->bd_dev & 0xfffff;
	dev_instance = R->part->bd_dev & 0xfffff;
	dev_name = stringof(R->part->bd_disk->disk_name);
	dev_statname = stringof(R->part->bd_disk->disk_name);
	dev_pathname = "<unknown>";
};

translator fileinfo_t < struct request *R > {
	fi_name = "<unknown>";
	fi_dirname = "<unknown>";
	fi_pathname = "<unknown>";
	fi_offset = -1;
	fi_fs = "<unknown>";
	fi_mount = "<unknown>";
	fi_oflags = 0;
};

/* an open file (fds[], getf): F is NULL for a closed descriptor */
translator fileinfo_t < struct file *F > {
	fi_name = F == NULL ? "<none>" : stringof(F->f_path.dentry->d_name.name);
	fi_dirname = F == NULL ? "<none>" : dirname(d_path(&F->f_path));
	fi_pathname = F == NULL ? "<none>" : d_path(&F->f_path);
	fi_offset = F == NULL ? 0 : F->f_pos;
	fi_fs = F == NULL ? "<none>" : stringof(F->f_inode->i_sb->s_type->name);
	fi_mount = F == NULL ? "<none>" : __d_path_mount(&F->f_path);
	fi_oflags = F == NULL ? 0 : F->f_flags;
};

/* getf(fd): the current task's open file fd (NULL when closed or out of range) */
inline fileinfo_t fds[int fd] = xlate <fileinfo_t> (fd >= 0 &&
    fd < curthread->files->fdt->max_fds ? curthread->files->fdt->fd[fd] :
    (struct file *)NULL);
