/*
 * Tracing or printing a NULL string (a strstr/strchr/strrchr miss, the end of
 * strtok) is an invalid address (0x0) fault: the clause's output is dropped,
 * ERROR fires, and tracing goes on. Comparisons with NULL keep working.
 */
#pragma D option quiet

BEGIN
{
	x = strstr("abc", "z");
	printf("%d %d %d\n", x == NULL, strstr("abc", "b") != NULL, strchr("abc", 'q') == NULL);
	printf("[%s] [%s]\n", strstr("abc", "b"), strrchr("a/b/c", '/'));
}

BEGIN
{
	printf("not printed\n");
	trace(strstr("abc", "z"));
}

BEGIN
{
	printf("not printed [%s]\n", strchr("abc", 'q'));
}

BEGIN
{
	t = strtok("a,b", ",");
	printf("not printed [%s] [%s] [%s]\n", t, strtok(NULL, ","), strtok(NULL, ","));
}

ERROR
{
	printf("ERROR action %d fault %d addr %d\n", arg2, arg4, arg5);
}

BEGIN
{
	printf("still tracing\n");
	exit(0);
}
