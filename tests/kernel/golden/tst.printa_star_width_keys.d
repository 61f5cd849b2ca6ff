/* printa(): a '*' width or precision takes its value from the next key */
#pragma D option quiet

BEGIN
{
	@k[8, 42] = sum(1);
	@k[-6, 7] = sum(2);
	@s[3, "abcdef"] = count();
	printa("[%*d]\n", @k);
	printa("[%-*d|%@d]\n", @k);
	printa("[%.*s]\n", @s);
	exit(0);
}
