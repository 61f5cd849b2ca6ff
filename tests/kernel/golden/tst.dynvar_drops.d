/* A full dynamic variable space drops stores; the consumer reports them. */
#pragma D option quiet
#pragma D option dynvarsize=1k

BEGIN
{
	i = 0;
}

tick-1ms
/i < 40/
{
	a[i] = i + 1;
	i++;
}

tick-1ms
/i == 40/
{
	printf("%d %d\n", a[1], a[39] == 0 || a[39] == 40);
	exit(0);
}
