/*
 * Subroutines taking pointers into D globals: bcopy() into a global array,
 * strlen()/stringof of a global char array and of pointers into it.
 */
#pragma D option quiet

char src[8];
char buf[16];
int nums[4];
int copy[4];

BEGIN
{
	src[0] = 'd'; src[1] = 't'; src[2] = 'r'; src[3] = 'a'; src[4] = 'c'; src[5] = 'e';
	bcopy(src, buf, 7);
	printf("%s %d\n", stringof(buf), strlen(buf));
	p = &buf[2];
	printf("%s %d %s\n", stringof(p), strlen(p), stringof(buf + 4));
	bcopy(src, &buf[8], 3);
	printf("%s\n", stringof(&buf[8]));
	nums[0] = 1; nums[1] = 2; nums[2] = 3; nums[3] = 4;
	bcopy(nums, copy, sizeof (copy));
	printf("%d %d %d %d\n", copy[0], copy[1], copy[2], copy[3]);
	bcopy(&nums[2], &copy[0], 2 * sizeof (int));
	printf("%d %d %d %d\n", copy[0], copy[1], copy[2], copy[3]);
	exit(0);
}
