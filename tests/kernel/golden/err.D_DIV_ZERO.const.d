/* Constant division by zero is caught at compile time. */
BEGIN
{
	x = 1 / 0;
}
