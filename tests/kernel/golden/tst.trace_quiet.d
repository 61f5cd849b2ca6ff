/* @@status: 3 */
/*
 * trace() records in quiet mode: 1- and 2-byte integers read unsigned,
 * 4- and 8-byte signed, strings as %s. exit(3) sets the exit status.
 */
#pragma D option quiet

BEGIN
{
	trace((char)-1);
	trace(" ");
	trace((short)-2);
	trace(" ");
	trace(-1);
	trace(" ");
	trace((long long)-5);
	trace(" ");
	trace("x");
	exit(3);
}
