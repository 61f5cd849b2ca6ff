/* A member whose struct type is only declared (not yet defined) is refused. */
struct outer {
	struct inner in;
	int n;
};

struct inner {
	int v;
};

BEGIN
{
	exit(0);
}
