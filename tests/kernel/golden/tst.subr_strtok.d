/*
 * strtok(): NULL continues the tokenization, also in later clauses of the same
 * firing; runs of delimiters are skipped; a NULL result compares equal to NULL.
 */
#pragma D option quiet

BEGIN { this->str = ",,,Carrots,,Barley,Oatmeal,,,Beans,"; }
BEGIN /(this->field = strtok(this->str, ",")) == NULL/ { exit(1); }
BEGIN { printf("%s\n", this->field); }
BEGIN /(this->field = strtok(NULL, ",")) == NULL/ { exit(2); }
BEGIN { printf("%s\n", this->field); }
BEGIN /(this->field = strtok(NULL, ",")) == NULL/ { exit(3); }
BEGIN { printf("%s\n", this->field); }
BEGIN /(this->field = strtok(NULL, ",")) == NULL/ { exit(4); }
BEGIN { printf("%s\n", this->field); }
BEGIN /(self->a = strtok(NULL, ",")) != NULL/ { printf("unexpected field\n"); exit(5); }

BEGIN
{
	s = "a,b,,c";
	printf("[%s]", strtok(s, ","));
	printf("[%s]", strtok(NULL, ","));
	printf("[%s]\n", strtok(NULL, ","));
	printf("%d\n", strtok(NULL, ",") == NULL);
	printf("[%s] [%s]\n", strtok("  hello world ", " "), strtok(NULL, " "));
	printf("[%s] [%s]\n", strtok("foobar", "o"), strtok(NULL, "o"));
	printf("[%s] %d\n", strtok("foo", ""), strtok(NULL, "") == NULL);
	printf("%d %d\n", strtok("", "") == NULL, strtok(",,,", ",") == NULL);
	exit(0);
}
