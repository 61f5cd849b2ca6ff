/*
 * The DTRACEFLT_* fault codes are defined, so an ERROR clause can compare
 * arg4 with them.
 */
#pragma D option quiet

BEGIN
{
	i = 0;
	i = 1 / i;
}

ERROR
/arg4 == DTRACEFLT_DIVZERO/
{
	printf("%d %d %d %d %d\n", DTRACEFLT_UNKNOWN, DTRACEFLT_BADADDR,
	    DTRACEFLT_DIVZERO, DTRACEFLT_NOSCRATCH, DTRACEFLT_LIBRARY);
	exit(0);
}
