/*
 * A global first assigned in the action list may be read by the same
 * clause's predicate (DTrace cooks the actions before the predicate).
 */
#pragma D option quiet

tick-1ms
/i < 3/
{
	printf("%d\n", i++);
}

tick-1ms
/i == 3/
{
	exit(0);
}
