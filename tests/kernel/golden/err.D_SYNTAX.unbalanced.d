/* An extra closing brace. */
BEGIN
{
	trace(1);
}
}
