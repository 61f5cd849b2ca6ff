/*
 * tracemem(addr, nbytes, dbytes) prints dbytes bytes when 0 < dbytes <= nbytes,
 * and nbytes otherwise: a count of 0, or a negative one (read unsigned), or
 * one past nbytes.
 */
#pragma D option quiet

BEGIN
{
	p = (char *)alloca(8);
	p[0] = 0x44;
	p[1] = 0x54;
	p[2] = 0x72;
	p[3] = 0x63;
	n = 2;
	tracemem(p, 4, n);
	tracemem(p, 4, 0);
	tracemem(p, 4, -1);
	tracemem(p, 4, 9);
	exit(0);
}
