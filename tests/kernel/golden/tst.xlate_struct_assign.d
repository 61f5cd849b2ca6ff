/*
 * A translated struct can be assigned whole; members the translator does not
 * define are zero. A cast of a struct to its own type is allowed (no change).
 */
#pragma D option quiet

struct in_s {
	int ii;
	char ic;
};

struct out_s {
	int oi;
	char oc;
	long ol;
};

translator struct out_s < struct in_s v >
{
	oi = ((struct in_s)v).ii * 2;
	ol = v.ic;
};

struct in_s in;
struct out_s out;
this struct out_s tout;

BEGIN
{
	in.ii = 21;
	in.ic = 'z';
	out.oc = 'q';
	out = xlate < struct out_s > (in);
	this->tout = xlate < struct out_s > (in);
	printf("%d %d %d\n", out.oi, out.oc, out.ol);
	printf("%d %d %d\n", this->tout.oi, this->tout.oc, this->tout.ol);
	exit(0);
}
