/* trunc(@, 2) keeps the two largest, trunc(@, -2) the two smallest, trunc(@) all. */
#pragma D option quiet

BEGIN
{
	@a["a"] = sum(5); @a["b"] = sum(1); @a["c"] = sum(3); @a["d"] = sum(4); @a["e"] = sum(2);
	@b["a"] = sum(5); @b["b"] = sum(1); @b["c"] = sum(3); @b["d"] = sum(4); @b["e"] = sum(2);
	@c["x"] = count(); @c["y"] = count();
	trunc(@a, 2);
	trunc(@b, -2);
	trunc(@c);
	exit(0);
}
