/*
 * alloca(), bcopy() and inet_ntoa() at run time, and their faults: reads
 * through pointers into scratch outside what the clause allocated (invalid
 * address) or misaligned (invalid alignment), bcopy to a destination outside
 * scratch, alloca beyond the scratch space (out of scratch space), and
 * lltostr() with a bad base (illegal operation).
 */
#pragma D option quiet

BEGIN
{
	p = (long *)alloca(16);
	bcopy((void *)curthread, p, 16);
	printf("bcopy %d %d\n", p[0] == *(long *)curthread, p[1] == ((long *)curthread)[1]);
	a = (uint8_t *)alloca(4);
	a[0] = 192; a[1] = 168; a[2] = 0; a[3] = 255;
	printf("%s %s\n", inet_ntoa((ipaddr_t *)a), lltostr(255, 16));
	c = (char *)alloca(8);
	c[7] = 'z';
	printf("%c %d\n", c[7], sizeof (c));
}

BEGIN { x = (int *)alloca(4); printf("not printed %d\n", x[1000]); }
BEGIN { c = (char *)alloca(8); printf("not printed %d\n", *(int *)(c + 2)); }
BEGIN { p = (long *)alloca(8); bcopy(p, (void *)curthread, 8); }
BEGIN { n = 100000; p = alloca(n); printf("not printed\n"); }
BEGIN { printf("not printed %s\n", lltostr(10, 37)); }
BEGIN { printf("not printed %s\n", lltostr(10, 1)); }

ERROR
{
	printf("ERROR action %d fault %d\n", arg2, arg4);
}

BEGIN
{
	printf("still tracing\n");
	exit(0);
}
