/*
 * -x aggpack with keys and UTF-8 glyphs: lquantize() shows its whole range,
 * quantize() the bucket span of the aggregation plus one bucket each side;
 * string keys are right-aligned in 16 columns and the header's key column
 * is as wide as the keys.  llquantize() and count() print as usual.
 */
#pragma D option quiet
#pragma D option aggpack
#pragma D option encoding=utf8

BEGIN
{
	@l["a"] = lquantize(0, 0, 4, 1);
	@l["a"] = lquantize(3, 0, 4, 1);
	@l["a"] = lquantize(3, 0, 4, 1);
	@l["bb"] = lquantize(-7, 0, 4, 1);
	@l["bb"] = lquantize(9, 0, 4, 1);
	@q[1, 2] = quantize(-3);
	@ll = llquantize(150, 10, 0, 2, 10);
	@c = count();
	exit(0);
}
