/*
 * tracex3.d: block I/O latency (the 2015 BPF "tracex3" sample, in D).
 * The io provider's arg0 is the request, the same at start and done.
 * examples/tracex3.py runs this and also draws a latency heatmap over time.
 *
 *   dtrace -qs examples/tracex3.d        (Ctrl-C prints the histogram)
 */

io:::start
{
	start[arg0] = timestamp;
}

io:::done
/start[arg0]/
{
	this->us = (timestamp - start[arg0]) / 1000;
	@["I/O latency (us)"] = quantize(this->us);
	start[arg0] = 0;
}
