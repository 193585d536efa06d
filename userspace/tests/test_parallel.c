// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of khu_parallel_run(), restore's way of opening volumes at
 * once: the output of tasks that finish in the reverse order still reads
 * in task order, stdout and stderr each; a failing task, and one killed
 * by a signal, are counted and hide no other's output; tasks really run
 * at once (a counter in shared memory), and never more than asked;
 * a shared secret buffer is the one the tasks see, and a private one
 * reaches them as zeros (MADV_WIPEONFORK).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "parallel.h"
#include "secmem.h"
#include "tap.h"

#define KHU_TEST_TASKS 6

/* Task i sleeps longer the lower i is: they finish in reverse order. */
static int khu_task_reverse(unsigned int i, void *arg)
{
	(void)arg;
	usleep((KHU_TEST_TASKS - i) * 30000);
	printf("out %u first\n", i);
	fprintf(stderr, "err %u\n", i);
	printf("out %u second\n", i);
	return i == 2 ? 1 : 0;		/* one task fails */
}

static int khu_task_killed(unsigned int i, void *arg)
{
	(void)arg;
	printf("task %u\n", i);
	if (i == 1) {
		fflush(stdout);
		raise(SIGKILL);
	}
	return 0;
}

/*
 * Each task adds one to a counter in shared memory, notes the peak, and
 * stays until @want are running (at most 5 s): with the pool's limit
 * kept, the peak is @want however loaded the machine; over it, more.
 */
struct khu_count {
	int running, peak, want;
};

static int khu_task_count(unsigned int i, void *arg)
{
	struct khu_count *c = arg;
	int now = __atomic_add_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
	int peak = __atomic_load_n(&c->peak, __ATOMIC_SEQ_CST);
	int waited;

	(void)i;
	while (now > peak &&
	       !__atomic_compare_exchange_n(&c->peak, &peak, now, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	for (waited = 0; waited < 5000 &&
	     __atomic_load_n(&c->running, __ATOMIC_SEQ_CST) < c->want; waited++)
		usleep(1000);
	usleep(20000);
	__atomic_sub_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* A task that succeeds. */
static int khu_task_count_ok(unsigned int i, void *arg)
{
	(void)i;
	(void)arg;
	return 0;
}

/* Task i reads byte i of the buffer, and sets it to 0xee. */
static int khu_task_secret(unsigned int i, void *arg)
{
	unsigned char *buf = arg;
	int ret = buf[i] == 0xa0 + i ? 0 : 1;

	buf[i] = 0xee;
	return ret;
}

/*
 * Run the tasks with stdout and stderr into two files; their contents
 * into @out and @err. Returns what khu_parallel_run() returned.
 */
static int khu_capture(unsigned int n, unsigned int jobs, khu_parallel_fn fn,
		       void *arg, char *out, char *err, size_t len)
{
	char po[] = "/tmp/kh-par-out.XXXXXX", pe[] = "/tmp/kh-par-err.XXXXXX";
	int fo = mkstemp(po), fe = mkstemp(pe);
	int save_out = dup(1), save_err = dup(2);
	unsigned int failed;
	ssize_t r;

	fflush(stdout);
	fflush(stderr);
	dup2(fo, 1);
	dup2(fe, 2);
	failed = khu_parallel_run(n, jobs, fn, arg);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);
	r = pread(fo, out, len - 1, 0);
	out[r > 0 ? r : 0] = '\0';
	r = pread(fe, err, len - 1, 0);
	err[r > 0 ? r : 0] = '\0';
	close(fo);
	close(fe);
	unlink(po);
	unlink(pe);
	return failed;
}

static void khu_expect_order(const char *out, const char *err, const char *how)
{
	char want_out[512] = "", want_err[512] = "", line[64], what[160];
	unsigned int i;

	for (i = 0; i < KHU_TEST_TASKS; i++) {
		snprintf(line, sizeof(line), "out %u first\nout %u second\n", i, i);
		strcat(want_out, line);
		snprintf(line, sizeof(line), "err %u\n", i);
		strcat(want_err, line);
	}
	snprintf(what, sizeof(what), "%s: stdout in task order", how);
	check(!strcmp(out, want_out), what);
	snprintf(what, sizeof(what), "%s: stderr in task order", how);
	check(!strcmp(err, want_err), what);
}

static void test_order(void)
{
	char out[1024], err[1024];
	int failed;

	failed = khu_capture(KHU_TEST_TASKS, 3, khu_task_reverse, NULL, out,
			     err, sizeof(out));
	check(failed == 1, "3 at once: the one failing task is counted");
	khu_expect_order(out, err, "3 at once, finishing in reverse");
	failed = khu_capture(KHU_TEST_TASKS, 1, khu_task_reverse, NULL, out,
			     err, sizeof(out));
	check(failed == 1, "one at a time: the failing task is counted");
	khu_expect_order(out, err, "one at a time");
}

static void test_killed(void)
{
	char out[1024], err[1024];
	int failed;

	failed = khu_capture(3, 3, khu_task_killed, NULL, out, err,
			     sizeof(out));
	check(failed == 1, "a task killed by SIGKILL counts as failed");
	check(!strcmp(out, "task 0\ntask 1\ntask 2\n"),
	      "... and every task's output is there, the dead one's too");
	check(strstr(err, "died of signal 9") != NULL, "... and it is said");
}

static void test_at_once(void)
{
	struct khu_count *c = NULL;
	char out[64], err[64];

	if (khu_secmem_alloc_shared(sizeof(*c), (void **)&c)) {
		check(0, "shared counter allocated");
		return;
	}
	c->want = 4;
	khu_capture(8, 4, khu_task_count, c, out, err, sizeof(out));
	check(c->peak == 4, "8 tasks, --jobs 4: four ran at once, no more");
	memset(c, 0, sizeof(*c));
	c->want = 1;
	khu_capture(3, 1, khu_task_count, c, out, err, sizeof(out));
	check(c->peak == 1, "--jobs 1: one at a time");
	khu_secmem_free(c);
}

static void test_secret(void)
{
	unsigned char *shared = NULL, *private = NULL;
	char out[64], err[64];
	unsigned int i;
	int failed;

	if (khu_secmem_alloc_shared(KHU_TEST_TASKS, (void **)&shared) ||
	    khu_secmem_alloc(KHU_TEST_TASKS, (void **)&private)) {
		check(0, "secret buffers allocated");
		return;
	}
	for (i = 0; i < KHU_TEST_TASKS; i++)
		shared[i] = private[i] = 0xa0 + i;
	failed = khu_capture(KHU_TEST_TASKS, 3, khu_task_secret, shared, out,
			     err, sizeof(out));
	check(!failed, "a shared secret buffer: every worker sees its bytes");
	for (i = 0; i < KHU_TEST_TASKS && shared[i] == 0xee; i++)
		;
	check(i == KHU_TEST_TASKS, "... and what a worker writes there (its wipe) is ours");
	failed = khu_capture(KHU_TEST_TASKS, 3, khu_task_secret, private, out,
			     err, sizeof(out));
	check(failed == KHU_TEST_TASKS,
	      "a private one: every worker sees zeros (MADV_WIPEONFORK), not the key");
	khu_secmem_free(shared);
	khu_secmem_free(private);
}

/*
 * Task 1 dies of SIGABRT while 0 and 2 still hold their keys: a worker's
 * fatal-signal wipe must not reach into the buffer the others share.
 * Tasks 0 and 2 look at their bytes only once task 1 is dead and reaped
 * (its pid, in the shared buffer, is gone), however loaded the machine.
 */
struct khu_crash {
	unsigned char key[3];
	pid_t victim;
};

static int khu_task_abort(unsigned int i, void *arg)
{
	struct khu_crash *c = arg;
	int waited;

	if (i == 1) {
		__atomic_store_n(&c->victim, getpid(), __ATOMIC_SEQ_CST);
		raise(SIGABRT);
	}
	for (waited = 0; waited < 5000; waited++) {
		pid_t v = __atomic_load_n(&c->victim, __ATOMIC_SEQ_CST);

		if (v && kill(v, 0) < 0 && errno == ESRCH)
			break;
		usleep(1000);
	}
	return c->key[i] == 0xa0 + i ? 0 : 1;
}

static void test_crash_spares_others(void)
{
	struct khu_crash *c = NULL;
	char out[256], err[256];
	unsigned int i;
	int failed;

	if (khu_secmem_alloc_shared(sizeof(*c), (void **)&c)) {
		check(0, "shared buffer allocated");
		return;
	}
	for (i = 0; i < 3; i++)
		c->key[i] = 0xa0 + i;
	failed = khu_capture(3, 3, khu_task_abort, c, out, err, sizeof(out));
	check(failed == 1,
	      "a worker killed by SIGABRT (its handler wipes its buffers): only it fails");
	check(strstr(err, "died of signal") != NULL, "... and its death is said");
	khu_secmem_free(c);
}

/* With SIGCHLD ignored (as a parent may leave it) tasks still count. */
static void test_sigchld_ignored(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	char out[64], err[64];
	int failed;

	sigemptyset(&ign.sa_mask);
	sigaction(SIGCHLD, &ign, &old);
	failed = khu_capture(KHU_TEST_TASKS, 3, khu_task_count_ok, NULL, out,
			     err, sizeof(out));
	sigaction(SIGCHLD, &old, NULL);
	check(!failed, "SIGCHLD ignored by whoever started us: no task miscounted");
}

int main(void)
{
	check(khu_parallel_cpus() >= 1, "at least one CPU");
	test_order();
	test_killed();
	test_at_once();
	test_secret();
	test_sigchld_ignored();
	/* Last: it installs the tool's fatal-signal handlers in this process. */
	if (khu_secmem_harden_process())
		check(0, "fatal-signal handlers installed");
	else
		test_crash_spares_others();
	return khu_tap_done();
}
