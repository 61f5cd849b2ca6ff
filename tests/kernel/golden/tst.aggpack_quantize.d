/*
 * -x aggpack: quantize() on one line, one glyph per bucket from one bucket
 * below the lowest (never below 0 when that is the lowest) to one above
 * the highest: 1 and 100 are buckets 1 and 64, shown from 0 to 128.
 */
#pragma D option quiet
#pragma D option aggpack
#pragma D option encoding=ascii
BEGIN { @ = quantize(1); @ = quantize(100); exit(0); }
