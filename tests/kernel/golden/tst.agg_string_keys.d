/*
 * Aggregation keys of several strings are larger than the 512-byte BPF
 * stack: they are built in scratch memory.
 */
#pragma D option quiet

BEGIN
{
	@[probeprov, probename, strjoin(probeprov, probename), "lit"] = count();
	@[probeprov, probename, strjoin(probeprov, probename), "lit"] = count();
	@[probeprov, "other", strjoin(probename, probeprov), "lit"] = count();
	exit(0);
}
