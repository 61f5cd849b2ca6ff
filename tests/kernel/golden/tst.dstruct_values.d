/*
 * Whole D struct values: global s2 = s1, self->, this-> and associative
 * array elements of a struct type, *q = s into alloca'd memory, and members
 * (string members too) read back from each; reading a member of an element
 * that was never assigned faults at the member's offset.
 */
#pragma D option quiet

struct pt {
	int x;
	string name;
	long y;
};

struct pt s1, s2;
self struct pt ts;

BEGIN
{
	s1.x = 3;
	s1.name = "first";
	s1.y = -7;
	s2 = s1;
	s1.name = "changed";
	printf("global %d %s %d (%s)\n", s2.x, s2.name, s2.y, s1.name);
	self->ts = s2;
	printf("self %d %s %d\n", self->ts.x, self->ts.name, self->ts.y);
	a["k", 1] = s1;
	printf("assoc %d %s %d\n", a["k", 1].x, a["k", 1].name, a["k", 1].y);
	this->t = s2;
	printf("this %d %s %d\n", this->t.x, this->t.name, this->t.y);
	q = (struct pt *)alloca(sizeof (struct pt));
	*q = s1;
	q->x = 9;
	printf("alloca %d %s %d\n", q->x, q->name, q->y);
	q->name = "renamed";
	printf("alloca %s %d\n", q->name, strlen(q->name));
}

BEGIN
{
	printf("not printed %d\n", a["missing", 0].y);
}

ERROR
{
	printf("ERROR fault %d addr %d\n", arg4, arg5);
}

BEGIN
{
	exit(0);
}
