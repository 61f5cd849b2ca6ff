/* A keyless sum() of 0 still has an entry and prints 0. */
#pragma D option quiet

BEGIN
{
	@ = sum(0);
	exit(0);
}
