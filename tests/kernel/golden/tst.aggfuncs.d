/*
 * count/sum/avg/min/max/stddev with no key, string keys, int keys and a
 * string+int tuple; default printing at exit, by aggregation id then value.
 */
#pragma D option quiet

BEGIN
{
	@c["b"] = count(); @c["a"] = count(); @c["a"] = count();
	@s[1] = sum(10); @s[2] = sum(-3); @s[-1] = sum(5);
	@a["x"] = avg(1); @a["x"] = avg(4); @a["y"] = avg(-6);
	@mi = min(5); @mi = min(-2);
	@ma["k", 2] = max(7); @ma["k", 2] = max(3);
	@sd = stddev(2); @sd = stddev(4); @sd = stddev(9);
	@n = count();
	exit(0);
}
