// SPDX-License-Identifier: GPL-2.0
/*
 * Run independent tasks at once, each in a child process, and show their
 * output as if they had run one after another.
 *
 * Why processes: libcryptsetup and libdevmapper keep process-wide state
 * (the crypto backend, dm's udev cookies, the log callback) and are not
 * made for threads; systemd opens several volumes at once the same way,
 * one process each. Why the output is held back: a boot console that
 * reads "volume 3 ... volume 1 ... volume 3" helps nobody. The lowest task
 * still running is shown as it writes (a wait for its device is seen at
 * once); every later one when all before it are done.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "parallel.h"
#include "secmem.h"

/* One task's captured stream: what it wrote that is not shown yet. */
struct khu_stream {
	int fd;			/* the pipe's read end; -1 at its end */
	char *buf;
	size_t len, cap;
};

struct khu_task {
	pid_t pid;		/* 0: not started, or reaped */
	struct khu_stream out[2];	/* its stdout, its stderr */
	bool done;
	bool failed;
};

struct khu_pool {
	struct khu_task *tasks;
	unsigned int n, started, running, head;
	unsigned int failed;
	bool lost_output;	/* a write of a task's output failed */
	khu_parallel_fn fn;
	void *arg;
};

/*
 * Out of memory for output: the output is lost (and the run fails, as a
 * serial one that cannot write its output does), never the task.
 */
static bool khu_stream_keep(struct khu_stream *s, const char *data, size_t len)
{
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		char *buf;

		while (cap < s->len + len)
			cap *= 2;
		buf = realloc(s->buf, cap);
		if (!buf)
			return false;
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return true;
}

/* false when not all of it could be written (as fflush() would fail). */
static bool khu_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		data += n;
		len -= n;
	}
	return true;
}

/* What the head task wrote so far, onto our own stdout and stderr. */
static void khu_task_show(struct khu_pool *p, struct khu_task *t)
{
	int i;

	/* stdout only, as main() checks a serial run's (stderr is best effort). */
	for (i = 0; i < 2; i++) {
		if (!khu_write_all(i + 1, t->out[i].buf, t->out[i].len) && !i)
			p->lost_output = true;
		t->out[i].len = 0;
	}
}

static void khu_task_free(struct khu_task *t)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (t->out[i].fd >= 0)
			close(t->out[i].fd);
		free(t->out[i].buf);
	}
}

/*
 * In the child: its stdout and stderr are the pipes, stdout line
 * buffered as on a terminal (so that its lines and its stderr's arrive
 * in the order they were written), its memory locked again (mlockall()
 * is not inherited across fork), the parent's shared key buffers off its
 * list of what a fatal signal wipes (the other workers still use them),
 * then the task, then out. _exit(): the parent's atexit handlers and
 * stdio buffers are the parent's.
 */
static void __attribute__((noreturn))
khu_child(struct khu_pool *p, unsigned int i, int wr[2])
{
	int ret;

	if (dup2(wr[0], STDOUT_FILENO) < 0 || dup2(wr[1], STDERR_FILENO) < 0)
		_exit(1);
	close(wr[0]);
	close(wr[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	khu_secmem_forget_shared();
	ret = khu_secmem_lock_all();
	if (ret < 0) {
		fprintf(stderr, "keyhandover: cannot lock memory for the keys: %s\n",
			strerror(-ret));
		_exit(1);
	}
	ret = p->fn(i, p->arg);
	fflush(stdout);
	fflush(stderr);
	_exit(ret ? 1 : 0);
}

static void khu_close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

/* Start task @i in a child; -errno when no child could be made. */
static int khu_task_start(struct khu_pool *p, unsigned int i)
{
	struct khu_task *t = &p->tasks[i];
	int po[2], pe[2], wr[2];
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		khu_close_pair(po);
		return -errno;
	}
	/* Nothing buffered may be written twice, by us and the child. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		khu_close_pair(po);
		khu_close_pair(pe);
		return err;
	}
	wr[0] = po[1];
	wr[1] = pe[1];
	if (!pid) {
		close(po[0]);
		close(pe[0]);
		khu_child(p, i, wr);
	}
	close(po[1]);
	close(pe[1]);
	t->pid = pid;
	t->out[0].fd = po[0];
	t->out[1].fd = pe[0];
	p->running++;
	return 0;
}

/*
 * Both pipes ended: reap the child; it failed unless it exited 0. A
 * death is said among task @i's own lines, where a reader looks for it.
 */
static void khu_task_reap(struct khu_pool *p, unsigned int i)
{
	struct khu_task *t = &p->tasks[i];
	int status = 0;
	pid_t ret;

	while ((ret = waitpid(t->pid, &status, 0)) < 0 && errno == EINTR)
		;
	t->failed = ret < 0 || !WIFEXITED(status) || WEXITSTATUS(status);
	if (ret > 0 && WIFSIGNALED(status)) {
		char msg[64];
		int len = snprintf(msg, sizeof(msg),
				   "keyhandover: a worker died of signal %d\n",
				   WTERMSIG(status));

		khu_stream_keep(&t->out[1], msg, len);
	}
	t->pid = 0;
	t->done = true;
	p->running--;
}

/* Read what is there on one stream; at its end close it. */
static void khu_stream_drain(struct khu_pool *p, struct khu_stream *s)
{
	char data[4096];
	ssize_t n;

	n = read(s->fd, data, sizeof(data));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		if (!khu_stream_keep(s, data, n))
			p->lost_output = true;
		return;
	}
	close(s->fd);
	s->fd = -1;
}

/* Wait for output or an end from any running child; keep what came. */
static void khu_pool_poll(struct khu_pool *p)
{
	struct pollfd fds[2 * KHU_PARALLEL_MAX];
	struct khu_stream *streams[2 * KHU_PARALLEL_MAX];
	unsigned int i, n = 0;
	int s;

	for (i = p->head; i < p->started; i++) {
		for (s = 0; s < 2; s++) {
			if (p->tasks[i].out[s].fd < 0)
				continue;
			fds[n].fd = p->tasks[i].out[s].fd;
			fds[n].events = POLLIN;
			streams[n++] = &p->tasks[i].out[s];
		}
	}
	if (!n)
		return;
	if (poll(fds, n, -1) < 0) {
		/* Out of memory for the poll, say: try again, not at once. */
		if (errno != EINTR)
			usleep(10000);
		return;
	}
	for (i = 0; i < n; i++)
		if (fds[i].revents)
			khu_stream_drain(p, streams[i]);
	for (i = p->head; i < p->started; i++) {
		struct khu_task *t = &p->tasks[i];

		if (t->pid && t->out[0].fd < 0 && t->out[1].fd < 0)
			khu_task_reap(p, i);
	}
}

/* Show the head task's output; past every task that is done. */
static void khu_pool_show(struct khu_pool *p)
{
	while (p->head < p->started) {
		struct khu_task *t = &p->tasks[p->head];

		khu_task_show(p, t);
		if (!t->done)
			return;
		p->failed += t->failed;
		p->head++;
	}
}

/*
 * No child could be made (out of processes or memory): run task @i
 * here, once everything before it is shown, so that the order holds.
 */
static void khu_pool_run_here(struct khu_pool *p, unsigned int i)
{
	while (p->running) {
		khu_pool_poll(p);
		khu_pool_show(p);
	}
	p->tasks[i].failed = p->fn(i, p->arg) != 0;
	p->tasks[i].done = true;
	fflush(stdout);
	fflush(stderr);
	p->started++;
	khu_pool_show(p);
}

/*
 * Run @fn(i, @arg) for every i below @n, at most @jobs at once, each in
 * a child process; the output is shown in the order of i, as a serial
 * run's would be. One task's failure never stops or hides another. With
 * @jobs or @n at most 1 (or no stdout or stderr to show it on)
 * everything runs here, one after another. Returns how many tasks failed
 * (@fn non-zero, or a child that died); at least 1 when some output
 * could not be written.
 */
/* Are our stdout and stderr open? A pipe must not land on fd 1 or 2. */
static bool khu_stdio_open(void)
{
	return fcntl(STDOUT_FILENO, F_GETFD) >= 0 &&
	       fcntl(STDERR_FILENO, F_GETFD) >= 0;
}

unsigned int khu_parallel_run(unsigned int n, unsigned int jobs,
			      khu_parallel_fn fn, void *arg)
{
	struct khu_pool p = { .n = n, .fn = fn, .arg = arg };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	bool saved;
	unsigned int i;

	if (jobs > KHU_PARALLEL_MAX)
		jobs = KHU_PARALLEL_MAX;
	if (jobs <= 1 || n <= 1 || !khu_stdio_open()) {
		for (i = 0; i < n; i++)
			p.failed += fn(i, arg) != 0;
		return p.failed;
	}
	p.tasks = calloc(n, sizeof(*p.tasks));
	if (!p.tasks)
		return khu_parallel_run(n, 1, fn, arg);
	/* An inherited SIG_IGN would reap our children before waitpid(). */
	sigemptyset(&dfl.sa_mask);
	saved = !sigaction(SIGCHLD, &dfl, &old);
	for (i = 0; i < n; i++)
		p.tasks[i].out[0].fd = p.tasks[i].out[1].fd = -1;
	while (p.head < p.n) {
		while (p.running < jobs && p.started < p.n) {
			if (khu_task_start(&p, p.started))
				khu_pool_run_here(&p, p.started);
			else
				p.started++;
		}
		khu_pool_poll(&p);
		khu_pool_show(&p);
	}
	if (saved)
		sigaction(SIGCHLD, &old, NULL);
	for (i = 0; i < n; i++)
		khu_task_free(&p.tasks[i]);
	free(p.tasks);
	/* Output that could not be shown fails the run, as it would serially. */
	return p.failed + (p.lost_output && !p.failed);
}

/* The default --jobs: one per online CPU, at least 1. */
unsigned int khu_parallel_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > KHU_PARALLEL_MAX ? KHU_PARALLEL_MAX : n;
}
