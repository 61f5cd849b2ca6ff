/*
 * printf conversions, widths, precision and flags; quiet output ends with
 * the "\n" dtrace prints when tracing stops.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %s %5.2s|%-4d|%x\n", 1 + 2 * 3, "abc", "xyz", 7, 255);
	printf("%u %i %o %X %c|%3c|\n", 42, -42, 8, 0xbeef, 'A', 'z');
	printf("%05d|%+d|% d|%-6s|%6s|%%\n", 42, 42, 42, "ab", "cd");
	exit(0);
}
