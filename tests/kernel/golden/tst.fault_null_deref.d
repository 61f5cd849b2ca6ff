/*
 * A faulting load aborts its clause (its trace() data is discarded) and
 * reports an error on stderr; the other clause still runs.
 */
#pragma D option quiet

BEGIN
{
	trace(*(int *)0);
}

BEGIN
{
	exit(0);
}
