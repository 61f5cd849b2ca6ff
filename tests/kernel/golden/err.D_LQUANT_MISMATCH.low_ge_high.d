/* lquantize() with low >= high. */
BEGIN
{
	@ = lquantize(1, 10, 5);
}
