/* A variable that is read but never assigned anywhere. */
BEGIN
/j/
{
	trace(k);
}
