/*
 * llquantize(v, 10, 0, 2, 10): below (0), inside (5, 55, 555) and above
 * (5000) the range.
 */
#pragma D option quiet

BEGIN
{
	@ = llquantize(0, 10, 0, 2, 10);
	@ = llquantize(5, 10, 0, 2, 10);
	@ = llquantize(55, 10, 0, 2, 10);
	@ = llquantize(555, 10, 0, 2, 10);
	@ = llquantize(5000, 10, 0, 2, 10);
	exit(0);
}
