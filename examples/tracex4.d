/*
 * tracex4.d: write sizes seen by the kernel's vfs_write() (the 2015 BPF
 * "tracex4" sample, in D, on the fbt provider). Needs kprobes or fentry.
 *
 *   dtrace -qs examples/tracex4.d        (Ctrl-C prints the histogram)
 */

fbt::vfs_write:entry
{
	@["vfs_write size (bytes)"] = quantize(args[2]);
}
