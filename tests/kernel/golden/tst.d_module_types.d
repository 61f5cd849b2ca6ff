/*
 * D`name names a type of the D container (declared by the script or built
 * in), in casts and in sizeof.
 */
#pragma D option quiet

typedef struct pair {
	int a;
	long b;
} pair_t;

BEGIN
{
	p = (D`pair_t *)alloca(sizeof (D`pair_t));
	p->a = 7;
	p->b = -1;
	x = (D`uint64_t)p->b;
	printf("%d %d %u %d\n", sizeof (D`pair_t), p->a, x, sizeof (D`uint16_t));
	exit(0);
}
