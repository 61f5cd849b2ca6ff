/* A struct member of function (or void) type has no size: dtrace refuses it. */
struct ops {
	int open();
	int (*close)();
};

BEGIN
{
	exit(0);
}
