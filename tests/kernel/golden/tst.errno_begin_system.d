/*
 * Probes are enabled before BEGIN's system() runs its command, and errno is
 * 0 outside a failed system call's return probe (no value left over from an
 * earlier firing on the same CPU).
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	parent = pid;
	system("exec cat /nonexistent/pydtrace-golden 2>/dev/null");
}

syscall::openat:entry
/progenyof(parent)/
{
	self->fn = arg1;
}

syscall::openat:return
/progenyof(parent) && copyinstr(self->fn) == "/nonexistent/pydtrace-golden"/
{
	printf("open failed: errno %d\n", errno);
}

proc:::exit
/progenyof(parent)/
{
	printf("at exit: errno %d\n", errno);
	exit(0);
}
