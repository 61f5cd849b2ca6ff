/*
 * String subroutines against DTrace's documented results (Perl semantics for
 * substr/index/rindex; basename(1)/dirname(1); lltostr bases).
 */
#pragma D option quiet

BEGIN
{
	s = "foobarbazbop";
	e = "";
	printf("[%s] [%s] [%s]\n", strjoin("abc", "def"), strjoin(s, e), strjoin(e, e));
	printf("%d %d %d\n", strlen(s), strlen(e), strlen(strjoin(s, "xy")));
	printf("[%s] [%s] [%s] [%s] [%s]\n", substr(s, 3), substr(s, 300), substr(s, -10),
	    substr(s, 0), substr(s, 11));
	printf("[%s] [%s] [%s] [%s] [%s]\n", substr(s, 12), substr(s, 8, 20), substr(s, 4, 4),
	    substr(s, 5, 9), substr(s, 400, -1));
	printf("[%s] [%s] [%s] [%s] [%s]\n", substr(s, 3, -1), substr(s, 3, -4),
	    substr(s, 3, -20), substr(s, -10, -5), substr(s, -1, 400));
	printf("[%s] [%s] [%s] [%s]\n", substr(s, -24, 24), substr(s, -24, 12),
	    substr(s, -24, 13), substr(s, -12, 11));
	printf("[%s] [%s] [%s]\n", substr("abcde", -10), substr("abcde", -4), substr(e, 0));
	printf("%d %d %d %d\n", index(s, "ba"), rindex(s, "ba"), index(s, "ba", 4),
	    rindex(s, "ba", 5));
	printf("%d %d %d %d %d\n", index(s, "zz"), index(s, e), index(s, e, 50),
	    rindex(s, e), rindex(s, "foo", -1));
	printf("%d %d %d\n", index("foofoofoo", "foo"), rindex("foofoofoo", "foo"),
	    index(e, e));
	printf("[%s] [%s] [%s] [%s]\n", strchr(s, 'b'), strrchr(s, 'b'), strstr(s, "baz"),
	    strchr(s, 'z'));
	printf("%d %d [%s]\n", strchr(s, 'q') == NULL, strstr(s, "zzz") == NULL, strstr(s, e));
	printf("[%s] [%s] [%s]\n", toupper(s), tolower("AbC-12"), toupper(e));
	printf("[%s] [%s] [%s] [%s] [%s]\n", basename("/foo/bar/"), basename("/"),
	    basename(""), basename("a"), basename("//x//y"));
	printf("[%s] [%s] [%s] [%s] [%s]\n", dirname("/foo/bar/"), dirname("/"), dirname(""),
	    dirname("a"), dirname("/a"));
	printf("[%s] [%s] [%s] [%s]\n", lltostr(-123), lltostr(0), lltostr(255, 16),
	    lltostr(0, 16));
	printf("[%s] [%s] [%s] [%s]\n", lltostr(8, 8), lltostr(5, 2), lltostr(-1, 16),
	    lltostr(35, 36));
	exit(0);
}
