/* short and long together name no type: dtrace fails to resolve "short long". */
BEGIN
{
	i = (long short)0;
	exit(0);
}
