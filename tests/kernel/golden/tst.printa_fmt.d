/* printa() with a format: keys bind left to right, %@ binds the value. */
#pragma D option quiet

BEGIN
{
	@c["one"] = count();
	@c["two"] = count(); @c["two"] = count();
	@s["one"] = sum(100); @s["two"] = sum(7);
	printa("%-8s %@4d\n", @c);
	printa("%s:%@d:%@d\n", @c, @s);
	printa(@c);
	exit(0);
}
