// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the locked key buffers: zeroed on allocation, wiped in
 * place by khu_secmem_wipe_all(), and a fatal signal runs the hook, wipes
 * and kills the process with that same signal, dumping no core.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "secmem.h"
#include "tap.h"

static int khu_hook_fd = -1;

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

	check(!khu_secmem_alloc(100, (void **)&a) &&
	      !khu_secmem_alloc(5000, (void **)&b), "two buffers allocated");
	if (!a || !b)
		return;
	check(all_zero(a, 100) && all_zero(b, 5000), "they start zeroed");
	memset(a, 0xa5, 100);
	memset(b, 0x5a, 5000);
	khu_secmem_wipe_all();
	check(all_zero(a, 100) && all_zero(b, 5000),
	      "wipe_all zeroes every live buffer");
	khu_secmem_free(a);
	khu_secmem_free(b);
	check(khu_secmem_alloc(0, (void **)&a) < 0, "a zero-byte buffer is refused");
}

static void khu_test_hook(void)
{
	if (write(khu_hook_fd, "h", 1) < 0)
		_exit(99);
}

/* In a child: armed process, a live buffer, then @sig. */
static void child(int sig)
{
	void *buf;

	if (khu_secmem_harden_process() || khu_secmem_alloc(64, &buf))
		_exit(98);
	memset(buf, 0x77, 64);
	khu_secmem_set_fatal_hook(khu_test_hook);
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
		khu_hook_fd = fds[1];
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

/* The handler installed for @sig, in a child that first did @pre. */
static void check_disposition(int sig, void (*pre)(int), bool want_ignored,
			      const char *what)
{
	struct sigaction sa;
	int st = 0;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		signal(sig, pre);
		if (khu_secmem_harden_process() || sigaction(sig, NULL, &sa))
			_exit(2);
		_exit((sa.sa_handler == SIG_IGN) == want_ignored ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what);
}

/*
 * An ignored signal stays ignored: main() ignores SIGPIPE so that a
 * closed stdout ends in a wipe, not in death.
 */
static void test_ignored_stays_ignored(void)
{
	check_disposition(SIGPIPE, SIG_IGN, true,
			  "SIGPIPE ignored before: still ignored after");
	check_disposition(SIGINT, SIG_IGN, true,
			  "SIGINT ignored (nohup, &): still ignored after");
	check_disposition(SIGPIPE, SIG_DFL, false,
			  "SIGPIPE at its default: caught (wiped, then fatal)");
}

/*
 * The built tool with its stdout a pipe nobody reads: it must say so and
 * fail (where stash wipes the stash it could not report), not die of
 * SIGPIPE.
 */
static void test_tool_closed_stdout(void)
{
	char *argv[] = { "./keyhandover", "--version", NULL };
	int out[2], err[2], st = 0;
	char msg[256] = "";
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (access(argv[0], X_OK) || pipe(out) || pipe(err)) {
		check(0, "the built tool (make check builds it) and two pipes");
		return;
	}
	close(out[0]);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* stderr is unbuffered: the line comes in pieces. */
	while (len < sizeof(msg) - 1 &&
	       (n = read(err[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += n;
	msg[len] = '\0';
	close(err[0]);
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	      "the tool, stdout a closed pipe: exit 1, not killed by SIGPIPE");
	check(strstr(msg, "cannot write output") != NULL,
	      "and it says it could not write its output");
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
	test_ignored_stays_ignored();
	test_tool_closed_stdout();
	return khu_tap_done();
}
