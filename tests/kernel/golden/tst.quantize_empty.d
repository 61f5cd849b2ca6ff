/* A cleared quantize() shows the -1, 0 and 1 rows (all zero). */
#pragma D option quiet

BEGIN
{
	@ = quantize(5);
	clear(@);
	printa(@);
	exit(0);
}
