/*
 * Pointer arithmetic leaving the D globals: stores and reads through such
 * pointers are invalid address faults at run time (not verifier refusals),
 * a misaligned store is an invalid alignment fault; the ERROR probe fires
 * with the fault type in arg4 and the faulting clause's output is discarded.
 */
#pragma D option quiet

int a[4];

BEGIN
{
	p = &a[0];
	printf("discarded\n");
	p[20] = 5;
}

BEGIN
{
	p[-100] = 5;
}

BEGIN
{
	trace(p[64]);
}

BEGIN
{
	c = (char *)&a[1];
	*(int *)(c + 2) = 1;
}

BEGIN
{
	bcopy(a, p + 100, sizeof (int));
}

BEGIN
{
	a[3] = 8;
	printf("%d %d\n", p[3], a[3]);
	exit(0);
}

ERROR
{
	printf("fault %d in action %d\n", arg4, arg2);
}
