/*
 * quantize(): 0, 1, 3, 1000 and -5 land in the 0, 1, 2, 512 and -4 buckets;
 * rows run from one bucket below the lowest to one above the highest.
 */
#pragma D option quiet

BEGIN
{
	@ = quantize(0);
	@ = quantize(1);
	@ = quantize(3);
	@ = quantize(1000);
	@ = quantize(-5);
	exit(0);
}
