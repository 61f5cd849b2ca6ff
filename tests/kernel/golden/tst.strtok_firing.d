/*
 * strtok() state lasts for one probe firing: later clauses of the same
 * firing continue it, but strtok(NULL, ...) in another firing (END here)
 * without a new strtok(s, ...) returns NULL.
 */
#pragma D option quiet

BEGIN
{
	printf("[%s]\n", strtok("one,two,three", ","));
}

BEGIN
{
	printf("[%s]\n", strtok(NULL, ","));
	exit(0);
}

END
{
	printf("%d\n", strtok(NULL, ",") == NULL);
	printf("[%s]\n", strtok("x y", " "));
}

END
{
	printf("[%s] %d\n", strtok(NULL, " "), strtok(NULL, " ") == NULL);
}
