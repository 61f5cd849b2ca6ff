/* cleanpath(): "/./" and "//" removed, "/../" backs up textually (illumos). */
#pragma D option quiet

BEGIN
{
	printf("[%s] [%s] [%s]\n", cleanpath("/foo/./bar/../baz"), cleanpath("//a//b/"),
	    cleanpath("/a/.."));
	printf("[%s] [%s] [%s] [%s]\n", cleanpath("/.../x/.y/..z"), cleanpath(""),
	    cleanpath("/../a"), cleanpath("/a/b/c/../../d"));
	printf("[%s] [%s]\n", cleanpath("/usr/lib/../bin/./ls"), cleanpath("foo/bar"));
	exit(0);
}
