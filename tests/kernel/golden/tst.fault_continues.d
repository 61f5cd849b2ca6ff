/* A fault fires ERROR, aborts only its clause, and tracing goes on to END. */
#pragma D option quiet

BEGIN
{
	x = *(int *)0;
	printf("not reached\n");
}

ERROR
{
	printf("ERROR: epid %d action %d fault %d addr %d\n", arg1, arg2, arg4, arg5);
}

BEGIN
{
	exit(0);
}

END
{
	printf("end\n");
}
