/* print() of a D struct: members, bit-fields, arrays, nested and anonymous structs */
#pragma D option quiet

struct inner { int q; char tag; };
struct s {
	int a;
	char b;
	unsigned int bits :4;
	int d[3];
	struct inner in;
	struct { short x; } anon;
	char name[8];
	struct inner arr[2];
	int *p;
};
struct s v;

BEGIN
{
	v.a = 1;
	v.b = 'z';
	v.bits = 9;
	v.d[1] = 5;
	v.in.q = 0x100;
	v.in.tag = 'x';
	v.anon.x = 3;
	v.name[0] = 'h';
	v.name[1] = 'i';
	v.arr[1].q = 7;
	v.p = (int *)0x10;
	print(v);
	printf("\n");
	print(v.d);
	printf("\n");
	print(v.in);
	printf("\n");
	exit(0);
}
