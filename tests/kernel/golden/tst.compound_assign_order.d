/*
 * A compound assignment reads its target before it evaluates the right
 * operand, so side effects there do not change the value being added to.
 */
#pragma D option quiet

self int s;

BEGIN
{
	i = 4;
	i += i++ + 10;		/* 4 + (4 + 10) */
	printf("%d\n", i);
	self->s = 4;
	self->s -= self->s++ * 3;	/* 4 - 4 * 3 */
	printf("%d\n", self->s);
	a[1] = 2;
	a[1] *= ++a[1];		/* 2 * 3 */
	printf("%d\n", a[1]);
	exit(0);
}
