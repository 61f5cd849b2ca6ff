/* Benchmark trigger: N getppid() system calls in a tight loop.
 *
 * Usage: getppid_loop N
 * Prints the loop's elapsed wall time in nanoseconds on stdout. syscall(2) is used rather
 * than getppid() so no C library can ever answer from a cache.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	long long start = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("%lld\n", now_ns() - start);
	return 0;
}
