// SPDX-License-Identifier: GPL-2.0
/*
 * kh-timeit OUT CMD [ARG...]: run CMD, then append one line to OUT:
 * "MICROSECONDS MAXRSS_KIB EXIT_STATUS". The benchmark's stopwatch in the
 * guest, where busybox has no time with a resolution worth reporting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long kh_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1;
	int status = 0;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: %s OUT CMD [ARG...]\n", argv[0]);
		return 2;
	}
	t0 = kh_now_us();
	pid = fork();
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		perror("kh-timeit");
		return 1;
	}
	t1 = kh_now_us();
	out = fopen(argv[1], "a");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "%lld %ld %d\n", t1 - t0, ru.ru_maxrss,
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
