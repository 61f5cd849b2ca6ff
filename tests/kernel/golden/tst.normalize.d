/* normalize() divides printed values; denormalize() undoes it. */
#pragma D option quiet

BEGIN
{
	@n["x"] = sum(1000); @n["y"] = sum(3000);
	@d["x"] = sum(1000);
	normalize(@n, 1000);
	normalize(@d, 10);
	denormalize(@d);
	exit(0);
}
