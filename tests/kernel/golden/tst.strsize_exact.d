/*
 * -x strsize=16: strings of exactly strsize - 1 characters are kept whole,
 * longer ones (exactly strsize and beyond) lose their tail, whatever produced
 * them: literals, strjoin, toupper, substr, lltostr, comparisons and keys.
 */
#pragma D option quiet
#pragma D option strsize=16

BEGIN
{
	f = "0123456789abcde";
	g = "0123456789abcdef";
	printf("[%s] %d [%s] %d %d\n", f, strlen(f), g, strlen(g), f == g);
	printf("[%s] [%s]\n", strjoin("0123456", "789abcde"), strjoin(f, "x"));
	printf("[%s] [%s] [%s]\n", toupper(g), substr(g, 10), substr(f, -5, 5));
	printf("%d %d %d\n", index(g, "e"), index(g, "f"), rindex(f, ""));
	printf("[%s] [%s]\n", lltostr(-9223372036854775807), lltostr(0x7fffffffffff, 16));
	k[g] = 1;
	printf("%d %d\n", k[f], k["0123456789abcdefgh"]);
	exit(0);
}
