/* clear() zeroes the values but keeps the keys. */
#pragma D option quiet

BEGIN
{
	@cl["x"] = sum(7); @cl["y"] = sum(8);
	@kept["z"] = sum(9);
	clear(@cl);
	exit(0);
}
