/* &x of a D global scalar: a D variable itself is not addressable. */
int x;

BEGIN
{
	p = &x;
	exit(0);
}
