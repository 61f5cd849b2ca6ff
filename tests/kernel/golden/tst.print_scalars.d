/* print() of scalars: hex integers (0 as 0), chars, pointers, strings, enums */
#pragma D option quiet

enum color { RED, GREEN = 5, BLUE };
enum color c;
uint64_t u;

BEGIN
{
	c = GREEN;
	u = 0xdeadbeef;
	print(42);
	print(0x17u);
	print(0);
	print(-1);
	print((void *)0x1234);
	print((char)'a');
	print((char)0);
	print("hello");
	print(c);
	print(u);
	print((short)3);
	exit(0);
}
