/* @@xfail: the parser reads @a[1][2] as something else (D_FUNC_UNDEF count) */
/* Aggregations take one tuple, not several subscripts. */
BEGIN
{
	@a[1][2] = count();
}
