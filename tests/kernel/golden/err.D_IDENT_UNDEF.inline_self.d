/* An inline may not use its own name: it is not defined yet (this used to recurse forever). */
inline int foo = foo + 3;

BEGIN
{
	trace(foo);
	exit(0);
}
