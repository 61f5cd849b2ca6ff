/* D-declared types: struct members, bit-fields, C layout, sizeof, offsetof, arrays. */
#pragma D option quiet

struct foo {
	int a;
	char b;
	long c;
	unsigned int f1:3;
	int f2:5;
};
union u { char c; long l; };
struct foo s;
int arr[4];

BEGIN
{
	s.a = 5;
	s.b = 'x';
	s.c = 123456789012;
	s.f1 = 7;
	s.f2 = -3;
	s.a++;
	s.c += 1;
	arr[2] = 9;
	i = 3;
	arr[i] = 11;
	printf("%d %c %d %d %d\n", s.a, s.b, s.c, s.f1, s.f2);
	printf("%d %d %d %d %d\n", sizeof (struct foo), offsetof(struct foo, c),
	    sizeof (union u), arr[2], arr[i]);
	exit(0);
}
