#pragma D option quiet

/* member stores into struct-valued dynamic variables create the element */
struct in { int a; char c; };
struct s { int x; long y; string name; struct in i; };
self struct s s;
struct s a[int];
this struct s t;

BEGIN
{
	self->s.x = 1;
	self->s.y += 5;
	self->s.y++;
	self->s.name = "thread";
	self->s.i.a = 7;
	printf("%d %d %s %d %d\n", self->s.x, self->s.y, self->s.name, self->s.i.a, self->s.i.c);
	a[3].x = 2;
	a[3].name = "elem";
	a[4].i.c = 'z';
	printf("%d %d %s %c\n", a[3].x, a[3].y, a[3].name, a[4].i.c);
	this->t.x = 3;
	this->t.y = 0;
	this->t.name = "clause";
	printf("%d %d %s\n", this->t.x, this->t.y, this->t.name);
	a[9].y = 42;
	exit(0);
}

END
{
	printf("%d %d %d\n", a[9].x, a[9].y, a[3].x);
}
