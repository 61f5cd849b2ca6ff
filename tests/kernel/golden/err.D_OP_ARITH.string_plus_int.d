/* Arithmetic on a string. */
BEGIN
{
	x = "a" + 1;
}
