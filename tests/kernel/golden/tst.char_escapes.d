/*
 * dtrace decodes \a \b \f \n \r \t \v \" \\, octal and hex escapes; any other
 * escape (\? \' \q) keeps its backslash, in strings and character constants.
 * A character constant has the type of a hex integer constant of its value.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d %d\n", '\?', '\'', '\"', '\101');
	printf("%d %d\n", 'a\bcdefgh', sizeof ('abcdefgh'));
	printf("%s|%s\n", "a\?b\'c", "\x41\"\\");
	exit(0);
}
