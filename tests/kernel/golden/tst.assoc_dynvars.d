/*
 * Associative arrays with string and multi-part keys, thread-local and
 * clause-local variables: assigned, read, updated, deleted by assigning 0.
 */
#pragma D option quiet

int declared[int, string];

BEGIN
{
	a["foo", 1] = 10;
	a["bar", 2] = 20;
	a["foo", 1] += 5;
	declared[3, "x"] = 33;
	self->x = 42;
	self->s = "hello";
	this->t = 7;
	this->str = "world";
	b[3]++;
	b[3]++;
	printf("%d %d %d %d %d %s %d %s %d\n", a["foo", 1], a["bar", 2], a["baz", 3],
	    declared[3, "x"], self->x, self->s, this->t, this->str, b[3]);
	a["foo", 1] = 0;
	self->x = 0;
	printf("%d %d\n", a["foo", 1], self->x);
	names[execname] = "me";
	/* a missing string element is NULL (printing it would fault) */
	printf("[%s] %d\n", names[execname], names["nobody"] == NULL);
}

BEGIN
{
	/* this-> values are shared by the clauses of one firing */
	printf("%d %s %d\n", this->t, this->str, b[3]--);
	printf("%d\n", b[3]);
	exit(0);
}
