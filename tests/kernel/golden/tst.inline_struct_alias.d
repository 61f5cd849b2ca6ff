/*
 * An inline of struct or union type naming a D global reads the global's
 * current members.
 */
#pragma D option quiet

struct pair {
	char c;
	int i;
};

struct pair p1;
inline struct pair p2 = p1;

union u {
	char c;
	int i;
};

union u u1;
inline union u u2 = u1;

BEGIN
{
	p1.c = 'x';
	p1.i = 42;
	u1.i = 0x41;
	printf("%c %d %c\n", p2.c, p2.i, u2.c);
	exit(0);
}
