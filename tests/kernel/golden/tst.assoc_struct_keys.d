/*
 * A struct or union may be an associative-array key: the key is the value of
 * its members, not its address.
 */
#pragma D option quiet

struct pt {
	int x;
	char tag;
};

union num {
	int i;
	char c;
};

struct pt p1, p2;
union num u1;
this struct pt tp;

BEGIN
{
	p1.x = 1; p1.tag = 'a';
	p2.x = 1; p2.tag = 'a';
	a[p1] = 10;
	a[p2] += 5;		/* the same key as p1 */
	p2.tag = 'b';
	a[p2] = 7;		/* a new key */
	this->tp.x = 1; this->tp.tag = 'a';
	self->b[this->tp, 3] = a[this->tp];
	u1.i = 0x41;
	c[u1] = 9;
	printf("%d %d %d %d %d\n", a[p1], a[p2], self->b[p1, 3], self->b[p1, 4], c[u1]);
	exit(0);
}
