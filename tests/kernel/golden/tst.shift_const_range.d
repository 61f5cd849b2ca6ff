/*
 * A shift by a constant outside 0..63 compiles (the BPF verifier refuses such
 * an immediate) and counts like a shift by a variable: its low six bits.
 */
#pragma D option quiet

long long l;

BEGIN
{
	i = 0xffff;
	l = 1;
	n = 100;
	printf("%x %x\n", i << -6, i << 100);
	printf("%x %x\n", l << 100, l << n);
	l <<= 65;
	printf("%x\n", l);
	exit(0);
}
