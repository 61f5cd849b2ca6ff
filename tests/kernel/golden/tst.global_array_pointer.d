/*
 * Pointers into D global variables: &a[i], an array decaying to a pointer to
 * its first element, pointer arithmetic, stores and reads through them,
 * members of global structs (pointers/tst.ArrayPointer2.d, PointerAssignment.d).
 */
#pragma D option quiet

int array[5];
int *ptr1;
int *ptr2;
struct rec {
	char ch;
	int in;
} recs[4];
struct rec one;
char bytes[8];

BEGIN
{
	array[0] = 100; array[1] = 200; array[2] = 300; array[3] = 400; array[4] = 500;
	p = &array[0];
	printf("%d %d %d %d %d\n", p[0], p[1], p[2], p[3], p[4]);
	ptr1 = array;
	ptr2 = ptr1;
	ptr2[0] = 400; ptr2[1] = 800; ptr2[2] = 1200;
	printf("%d %d %d\n", array[0], array[1], array[2]);
	q = &array[3];
	*q = 5;
	*(q + 1) = 6;
	printf("%d %d %d %d\n", array[3], array[4], *(q - 1), q[-3]);
	(*q)++;
	q[1] += 10;
	printf("%d %d\n", array[3], array[4]);
	i = 2;
	ptr1[i] = 77;
	printf("%d %d\n", array[i], ptr1[i]);
	printf("%d %d\n", (int)((char *)&array[4] - (char *)&array[1]),
	    (int)((char *)&recs[3] - (char *)recs));
	r = &recs[2].in;
	*r = 42;
	recs[1].ch = 'z';
	s = &recs[0];
	printf("%d %d %c\n", recs[2].in, s[2].in, s[1].ch);
	m = &one.in;
	*m = -9;
	printf("%d\n", one.in);
	b = &bytes[1];
	b[0] = 'h';
	b[1] = 'i';
	printf("%s %s\n", stringof(bytes + 1), stringof(b));
	self->p = &array[4];
}

BEGIN
{
	*self->p = 1000;
	printf("%d\n", array[4]);
	exit(0);
}
