/*
 * Each statement's stack temporaries (associative-array keys, values) are
 * reused by the next statement: a long clause of array accesses compiles
 * within the 512-byte BPF stack.
 */
#pragma D option quiet

long long l[int];
short s[int];
unsigned char c[int];

BEGIN
{
	l[1] = 1; s[1] = -1; c[1] = 1;
	printf("%d %d %d %d %d %d\n", l[1], s[1] + 0, c[1], l[1] + 1, s[1] * 2, c[1]);
	l[2] = 2; s[2] = -2; c[2] = 2;
	printf("%d %d %d %d %d %d\n", l[2], s[2] + 0, c[2], l[2] + 1, s[2] * 2, c[2]);
	l[3] = 3; s[3] = -3; c[3] = 3;
	printf("%d %d %d %d %d %d\n", l[3], s[3] + 0, c[3], l[3] + 1, s[3] * 2, c[3]);
	l[4] = 4; s[4] = -4; c[4] = 4;
	printf("%d %d %d %d %d %d\n", l[4], s[4] + 0, c[4], l[4] + 1, s[4] * 2, c[4]);
	l[5] = 5; s[5] = -5; c[5] = 5;
	printf("%d %d %d %d %d %d\n", l[5], s[5] + 0, c[5], l[5] + 1, s[5] * 2, c[5]);
	l[6] = 6; s[6] = -6; c[6] = 6;
	printf("%d %d %d %d %d %d\n", l[6], s[6] + 0, c[6], l[6] + 1, s[6] * 2, c[6]);
	l[7] = 7; s[7] = -7; c[7] = 7;
	printf("%d %d %d %d %d %d\n", l[7], s[7] + 0, c[7], l[7] + 1, s[7] * 2, c[7]);
	l[8] = 8; s[8] = -8; c[8] = 8;
	printf("%d %d %d %d %d %d\n", l[8], s[8] + 0, c[8], l[8] + 1, s[8] * 2, c[8]);
	l[9] = 9; s[9] = -9; c[9] = 9;
	printf("%d %d %d %d %d %d\n", l[9], s[9] + 0, c[9], l[9] + 1, s[9] * 2, c[9]);
	l[10] = 10; s[10] = -10; c[10] = 10;
	printf("%d %d %d %d %d %d\n", l[10], s[10] + 0, c[10], l[10] + 1, s[10] * 2, c[10]);
	l[11] = 11; s[11] = -11; c[11] = 11;
	printf("%d %d %d %d %d %d\n", l[11], s[11] + 0, c[11], l[11] + 1, s[11] * 2, c[11]);
	l[12] = 12; s[12] = -12; c[12] = 12;
	printf("%d %d %d %d %d %d\n", l[12], s[12] + 0, c[12], l[12] + 1, s[12] * 2, c[12]);
	exit(0);
}
