/* Aggregations take one tuple, not several subscripts. */
BEGIN
{
	@a[1][2] = count();
}
