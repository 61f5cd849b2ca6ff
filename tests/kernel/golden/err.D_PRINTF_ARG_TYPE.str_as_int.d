/* %d given a string. */
BEGIN
{
	printf("%d\n", "s");
}
