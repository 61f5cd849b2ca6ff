/* Committed speculative data prints in order at the commit; discarded data never does. */
#pragma D option quiet
#pragma D option nspec=2

BEGIN
{
	a = speculation();
	b = speculation();
	c = speculation();
	printf("ids %d %d %d\n", a, b, c);
}

BEGIN
{
	speculate(a);
	printf("kept\n");
}

BEGIN
{
	speculate(b);
	printf("dropped\n");
}

BEGIN
{
	printf("before commit\n");
}

BEGIN
{
	discard(b);
}

BEGIN
{
	commit(a);
}

BEGIN
{
	printf("after commit\n");
	exit(0);
}
