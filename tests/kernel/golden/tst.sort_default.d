/* default order: by value, joined printa by the first aggregation. */
#pragma D option quiet


BEGIN
{
	@a[3, "a"] = sum(10); @a[1, "c"] = sum(30); @a[2, "b"] = sum(20); @a[4, "b"] = sum(5);
	@b[3, "a"] = sum(1); @b[1, "c"] = sum(2); @b[2, "b"] = sum(3); @b[4, "b"] = sum(4);
	exit(0);
}

END
{
	printa(@a);
	printa("%d %s %@d %@d\n", @a, @b);
}
