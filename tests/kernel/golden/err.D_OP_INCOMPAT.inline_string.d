/* Checked where the inline is defined, even when nothing uses it. */
inline int i = "a string";

BEGIN
{
	exit(0);
}
