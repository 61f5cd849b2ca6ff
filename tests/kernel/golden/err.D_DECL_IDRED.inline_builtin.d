/* An inline may not take the name of a built-in subroutine. */
inline int rand = 7;

BEGIN
{
	exit(0);
}
