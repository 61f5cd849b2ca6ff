/*
 * -x agghist: count() and sum() aggregations as bar charts, one header per
 * aggregation ("key" over the key column), bars scaled to the total;
 * aggzoom (set by setopt) scales to the largest value / 0.95, truncated to an
 * integer; sums of both signs get half bars.  max() and quantize() print as
 * usual (quantize() zoomed: its single bucket gets 38 of 40 columns).
 */
#pragma D option quiet
#pragma D option agghist

BEGIN
{
	@c["bash"] = count();
	@c["bash"] = count();
	@c["bash"] = count();
	@c["sshd"] = count();
	@s[1] = sum(-3);
	@s[2] = sum(5);
	@s[3] = sum(12);
	@m = max(7);
	@q = quantize(2);
	printa(@c);
	setopt("aggzoom");
	printa(@s);
	exit(0);
}
