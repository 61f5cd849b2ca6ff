/* libctf refuses a second member of the same name. */
struct s {
	int a;
	int a;
};

BEGIN
{
	exit(0);
}
