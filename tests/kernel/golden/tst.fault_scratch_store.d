/*
 * Stores through pointers into alloca()d scratch work; out of the allocation
 * they are invalid address faults, misaligned ones invalid alignment faults.
 * Each fault drops the clause's record, fires ERROR, and tracing goes on.
 */
#pragma D option quiet

struct pt { int x; string name; };

BEGIN
{
	p = (int *)alloca(8);
	*p = 5;
	p[1] = 6;
	q = (struct pt *)alloca(sizeof (struct pt));
	q->x = 2;
	q->name = "pt";
	printf("%d %d %d\n", *p, p[1], q->x);
}

BEGIN
{
	x = (int *)alloca(4);
	printf("not printed\n");
	x[1000] = 1;
}

BEGIN
{
	c = (char *)alloca(8);
	y = (int *)(c + 1);
	*y = 1;
}

BEGIN
{
	v = (long *)alloca(8);
	*(int *)0 = 1;
}

ERROR
{
	printf("ERROR action %d fault %d\n", arg2, arg4);
}

BEGIN
{
	printf("still tracing\n");
	exit(0);
}
