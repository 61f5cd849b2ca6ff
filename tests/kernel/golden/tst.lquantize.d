/*
 * lquantize(v, 0, 10, 2): values below, inside (3 -> 2, 4 -> 4) and above
 * the range; under a key, and with the incr argument.
 */
#pragma D option quiet

BEGIN
{
	@ = lquantize(-5, 0, 10, 2);
	@ = lquantize(3, 0, 10, 2);
	@ = lquantize(4, 0, 10, 2);
	@ = lquantize(100, 0, 10, 2);
	@k["in"] = lquantize(5, 0, 100, 10, 3);
	exit(0);
}
