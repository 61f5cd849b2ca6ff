/*
 * -x strsize=8: literals, strjoin, substr results, comparisons and string keys
 * are cut at 7 characters; string subroutines as aggregation and array keys;
 * strstr/strchr compared with NULL.
 */
#pragma D option quiet
#pragma D option strsize=8

BEGIN
{
	a = "0123456789abc";
	printf("[%s] [%s] [%d] [%s]\n", a, strjoin("abcd", "efgh"), strlen(a), substr(a, 2));
	printf("%d %d\n", a == "0123456", strjoin("abc", "defgh") == "abcdefg");
	@[substr("dtrace-tool", 0, 3)] = count();
	@[substr("dtrace-tool", 0, 3)] = count();
	k[strjoin("a", "b")] = 1;
	printf("%d %d\n", k["ab"], k["ba"]);
	printf("%d %d %d\n", strstr(a, "x") != NULL, strstr(a, "3") != NULL,
	    strchr(a, '9') == NULL);
	e = "";
	printf("[%s] [%s] %d %d\n", strjoin(e, e), substr(e, 0), strlen(e), e == "");
	exit(0);
}
