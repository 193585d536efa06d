/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running another program and waiting for it (see run.c): found in
 * /usr/sbin, /usr/bin, /sbin or /bin only, never through $PATH, and run
 * with PATH=/usr/sbin:/usr/bin:/sbin:/bin and LANG=C as its environment.
 */
#ifndef KHU_RUN_H
#define KHU_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define KHU_RUN_ENV_MAX	8
#define KHU_RUN_VALUE	64

/*
 * @name (no '/') as an absolute path in @path: the first regular,
 * executable file of that name in the system directories. -ENOENT.
 */
int khu_run_find(const char *name, char *path, size_t len);

/*
 * The environment a program gets, into @env (NULL-terminated, strings in
 * @store): PATH, each variable named in @keep (NULL-terminated, or NULL)
 * that the caller has with a locale-like value, and LANG=C unless LANG
 * was kept. Returns the count.
 */
int khu_run_env(const char *const keep[], char *env[KHU_RUN_ENV_MAX],
		char store[][KHU_RUN_VALUE * 2]);

/*
 * Run @name with @argv (and SIGPIPE at its default) and wait. -errno when
 * it cannot start (-ENOENT: not found); -EIO when it ran and failed, with
 * its exit status (128 + signal) in *@exit_status.
 */
int khu_run(const char *name, char *const argv[], const char *const keep[],
	    int *exit_status);

/*
 * Run @name with @argv as khu_run() does (no environment kept), stdin
 * /dev/null, and what it prints on stdout (and on stderr, with
 * @with_stderr; else stderr goes to /dev/null) into @out, NUL-terminated,
 * cut to @len - 1 bytes. Returns as khu_run().
 */
int khu_run_capture(const char *name, char *const argv[], bool with_stderr,
		    char *out, size_t len, int *exit_status);

#endif /* KHU_RUN_H */
