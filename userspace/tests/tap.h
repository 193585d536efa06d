/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few lines every test program here shares: one "ok N - what" or
 * "not ok N - what" line per check, and the closing "N passed, N failed"
 * that the runners count. Included by exactly one file per program.
 */
#ifndef KH_TAP_H
#define KH_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int kh_passed, kh_failed;

static void check(int ok, const char *what)
{
	if (ok)
		kh_passed++;
	else
		kh_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", kh_passed + kh_failed,
	       what);
	fflush(stdout);
}

/* Print the summary; the program's exit status. */
static int kh_tap_done(void)
{
	printf("%d passed, %d failed\n", kh_passed, kh_failed);
	return kh_failed ? 1 : 0;
}

/* Remove a test's temporary tree; a leftover is said, not failed. */
static inline void kh_tap_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

/* Write @text to @root@path, making the directories on the way. */
static inline void kh_tap_put(const char *root, const char *path,
			      const char *text)
{
	char p[512], *s;
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, path);
	for (s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#endif /* KH_TAP_H */
