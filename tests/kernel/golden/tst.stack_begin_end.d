/*
 * BEGIN and END fire at no traced kernel site: stack() is empty, stackdepth
 * and caller are 0 (not the consumer's own bpf() system call).
 */
#pragma D option quiet

BEGIN
{
	printf("depth %d caller %d\n", stackdepth, caller);
	printf("[");
	stack();
	printf("]\n");
	exit(0);
}

END
{
	printf("end depth %d\n", stackdepth);
}
