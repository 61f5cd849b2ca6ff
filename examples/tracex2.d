/*
 * tracex2.d: a histogram of write(2) sizes (the 2015 BPF "tracex2" sample, in D).
 *
 *   dtrace -qs examples/tracex2.d        (Ctrl-C prints the histogram)
 */

syscall::write:entry
{
	@["write size (bytes)"] = quantize(arg2);
}
