// SPDX-License-Identifier: GPL-2.0
/*
 * Running another program (kexec-tools, systemctl, update-grub, modinfo,
 * mokutil) and waiting for it, or reading what it prints: no shell, no $PATH, and an environment of our own.
 *
 * keyhandover runs as root, often under sudo or from a unit whose
 * environment nobody checked, and while a key may be armed: a PATH that
 * names a writable directory, or an LD_PRELOAD, IFS or BASH_ENV for
 * update-grub's shell, would run someone else's code as root. So a
 * program is found in a fixed list of system directories only and gets
 * a fixed environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

/* Where programs are looked for, in this order: never $PATH. */
static const char *const khu_run_dirs[] = {
	"/usr/sbin", "/usr/bin", "/sbin", "/bin",
};

/* The same list, for the programs they run in turn (update-grub is sh). */
#define KHU_RUN_PATH	"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

int khu_run_find(const char *name, char *path, size_t len)
{
	struct stat st;
	size_t i;

	if (!*name || strchr(name, '/'))
		return -EINVAL;
	for (i = 0; i < sizeof(khu_run_dirs) / sizeof(khu_run_dirs[0]); i++) {
		if (snprintf(path, len, "%s/%s", khu_run_dirs[i], name) >=
		    (int)len)
			return -ENAMETOOLONG;
		if (!stat(path, &st) && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111))
			return 0;
	}
	return -ENOENT;
}

/* A locale name, never a path: letters, digits and "_.@:-" only. */
static bool khu_run_value_ok(const char *v)
{
	size_t n = strlen(v);

	return n && n < KHU_RUN_VALUE &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_.@:-") == n;
}

/*
 * PATH as above, then each variable of @keep the caller has with a safe
 * value, then LANG=C unless LANG was kept. Strings in @store.
 */
int khu_run_env(const char *const keep[], char *env[KHU_RUN_ENV_MAX],
		char store[][KHU_RUN_VALUE * 2])
{
	bool lang = false;
	int n = 0, i;

	env[n++] = KHU_RUN_PATH;
	for (i = 0; keep && keep[i] && n < KHU_RUN_ENV_MAX - 2; i++) {
		const char *v = getenv(keep[i]);

		if (!v || !khu_run_value_ok(v) || strlen(keep[i]) >= KHU_RUN_VALUE)
			continue;
		snprintf(store[n], KHU_RUN_VALUE * 2, "%s=%s", keep[i], v);
		lang |= !strcmp(keep[i], "LANG");
		env[n] = store[n];
		n++;
	}
	if (!lang)
		env[n++] = "LANG=C";
	env[n] = NULL;
	return n;
}

/*
 * main() ignores SIGPIPE for itself, and an ignored signal stays ignored
 * across exec: give the child SIGPIPE's default back, or a shell
 * pipeline in update-grub would go on writing into a closed pipe.
 */
static int khu_run_attr(posix_spawnattr_t *attr)
{
	sigset_t def;
	int ret;

	ret = posix_spawnattr_init(attr);
	if (ret)
		return -ret;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	ret = posix_spawnattr_setsigdefault(attr, &def);
	if (!ret)
		ret = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF);
	if (ret)
		posix_spawnattr_destroy(attr);
	return -ret;
}

/*
 * Start @name with @argv, the environment of @keep and @fa's file
 * actions (or none), into *@pid; -errno as khu_run() says.
 */
static int khu_run_start(const char *name, char *const argv[],
			 const char *const keep[],
			 const posix_spawn_file_actions_t *fa, pid_t *pid)
{
	char path[256], *env[KHU_RUN_ENV_MAX];
	char store[KHU_RUN_ENV_MAX][KHU_RUN_VALUE * 2];
	posix_spawnattr_t attr;
	int ret;

	ret = khu_run_find(name, path, sizeof(path));
	if (ret)
		return ret;
	khu_run_env(keep, env, store);
	ret = khu_run_attr(&attr);
	if (ret)
		return ret;
	ret = -posix_spawn(pid, path, fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	return ret;
}

/* Its end: 0, or -EIO with its exit status (128 + signal) set. */
static int khu_run_wait(pid_t pid, int *exit_status)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) :
					   128 + WTERMSIG(status);
	return *exit_status ? -EIO : 0;
}

int khu_run(const char *name, char *const argv[], const char *const keep[],
	    int *exit_status)
{
	pid_t pid;
	int ret;

	*exit_status = 0;
	ret = khu_run_start(name, argv, keep, NULL, &pid);
	return ret ? ret : khu_run_wait(pid, exit_status);
}

/*
 * The child's side of the pipe: its stdout, and its stderr too with
 * @with_stderr (else /dev/null: modinfo's "ERROR: Module ... not found"
 * is an answer here, not a line for our stderr); stdin is /dev/null, so
 * that nothing it runs can wait on the caller's terminal.
 */
static int khu_run_capture_fa(posix_spawn_file_actions_t *fa, int wr,
			      bool with_stderr)
{
	int ret;

	ret = posix_spawn_file_actions_init(fa);
	if (ret)
		return -ret;
	ret = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
					       O_RDONLY, 0);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(fa, wr, STDOUT_FILENO);
	if (!ret && with_stderr)
		ret = posix_spawn_file_actions_adddup2(fa, wr, STDERR_FILENO);
	else if (!ret)
		ret = posix_spawn_file_actions_addopen(fa, STDERR_FILENO,
						       "/dev/null", O_WRONLY, 0);
	if (ret)
		posix_spawn_file_actions_destroy(fa);
	return -ret;
}

/*
 * Everything on @fd into @out, NUL-terminated: the first @len - 1 bytes
 * kept, the rest read and dropped, so that the child never blocks on a
 * full pipe.
 */
static void khu_run_drain(int fd, char *out, size_t len)
{
	size_t used = 0;
	char sink[512];

	for (;;) {
		char *to = used + 1 < len ? out + used : sink;
		size_t room = used + 1 < len ? len - 1 - used : sizeof(sink);
		ssize_t n = read(fd, to, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (to != sink)
			used += n;
	}
	out[used] = '\0';
}

int khu_run_capture(const char *name, char *const argv[], bool with_stderr,
		    char *out, size_t len, int *exit_status)
{
	posix_spawn_file_actions_t fa;
	int p[2], ret;
	pid_t pid;

	*exit_status = 0;
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	ret = khu_run_capture_fa(&fa, p[1], with_stderr);
	if (!ret) {
		ret = khu_run_start(name, argv, NULL, &fa, &pid);
		posix_spawn_file_actions_destroy(&fa);
	}
	/* Our copy of the write end closed, or the read never sees the end. */
	close(p[1]);
	if (!ret) {
		khu_run_drain(p[0], out, len);
		ret = khu_run_wait(pid, exit_status);
	}
	close(p[0]);
	return ret;
}
