/* Elements beyond the 16-bit offset of BPF loads and stores. */
#pragma D option quiet

int a[1000000];

BEGIN
{
	a[999999] = 7;
	a[40000] = 5;
	i = 999998;
	a[i] = 3;
	printf("%d %d %d %d\n", a[999999], a[40000], a[i], a[0]);
	exit(0);
}
