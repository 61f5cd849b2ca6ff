/* A global first int, then assigned a string. */
BEGIN
{
	x = 1;
	x = "s";
}
