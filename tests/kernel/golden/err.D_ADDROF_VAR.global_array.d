/* &a of a whole D global array (&a[0] is its address). */
int a[5];
int *p;

BEGIN
{
	p = &a;
	exit(0);
}
