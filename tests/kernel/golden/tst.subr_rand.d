/* rand() runs and varies (three equal draws in a row: odds 2^-64). */
#pragma D option quiet

BEGIN
{
	a = rand(); b = rand(); c = rand();
	printf("%d\n", a != b || b != c);
	exit(0);
}
