/* timestamp and vtimestamp keep one value for the whole probe firing. */
#pragma D option quiet

BEGIN
{
	self->t = timestamp;
	self->v = vtimestamp;
}

BEGIN
{
	printf("%d %d %d\n", timestamp - self->t, vtimestamp - self->v, vtimestamp > 0);
	exit(0);
}
