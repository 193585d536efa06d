// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the locked key buffers: zeroed on allocation, wiped in
 * place by kh_secmem_wipe_all(), and a fatal signal runs the hook, wipes
 * and kills the process with that same signal, dumping no core.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secmem.h"
#include "tap.h"

static int kh_hook_fd = -1;

static int all_zero(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

static void test_wipe_all(void)
{
	unsigned char *a = NULL, *b = NULL;

	check(!kh_secmem_alloc(100, (void **)&a) &&
	      !kh_secmem_alloc(5000, (void **)&b), "two buffers allocated");
	if (!a || !b)
		return;
	check(all_zero(a, 100) && all_zero(b, 5000), "they start zeroed");
	memset(a, 0xa5, 100);
	memset(b, 0x5a, 5000);
	kh_secmem_wipe_all();
	check(all_zero(a, 100) && all_zero(b, 5000),
	      "wipe_all zeroes every live buffer");
	kh_secmem_free(a);
	kh_secmem_free(b);
	check(kh_secmem_alloc(0, (void **)&a) < 0, "a zero-byte buffer is refused");
}

static void kh_test_hook(void)
{
	if (write(kh_hook_fd, "h", 1) < 0)
		_exit(99);
}

/* In a child: armed process, a live buffer, then @sig. */
static void child(int sig)
{
	void *buf;

	if (kh_secmem_harden_process() || kh_secmem_alloc(64, &buf))
		_exit(98);
	memset(buf, 0x77, 64);
	kh_secmem_set_fatal_hook(kh_test_hook);
	raise(sig);
	/* Only if the signal did not kill us, which is the failure. */
	// cppcheck-suppress unreachableCode
	_exit(97);
}

static void test_fatal_signal(int sig, const char *name)
{
	char line[128], c = 0;
	int fds[2], st = 0;
	pid_t pid;

	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		kh_hook_fd = fds[1];
		child(sig);
	}
	close(fds[1]);
	waitpid(pid, &st, 0);
	snprintf(line, sizeof(line), "%s: the process dies of %s", name, name);
	check(WIFSIGNALED(st) && WTERMSIG(st) == sig, line);
	snprintf(line, sizeof(line), "%s: the fatal hook ran first", name);
	check(read(fds[0], &c, 1) == 1 && c == 'h', line);
	snprintf(line, sizeof(line), "%s: no core dump", name);
	check(!(WIFSIGNALED(st) && WCOREDUMP(st)), line);
	close(fds[0]);
}

int main(void)
{
	/* Let a core happen if the code under test failed to stop it. */
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	setrlimit(RLIMIT_CORE, &unlimited);
	test_wipe_all();
	test_fatal_signal(SIGTERM, "SIGTERM");
	test_fatal_signal(SIGINT, "SIGINT");
	test_fatal_signal(SIGSEGV, "SIGSEGV");
	test_fatal_signal(SIGABRT, "SIGABRT");
	return kh_tap_done();
}
