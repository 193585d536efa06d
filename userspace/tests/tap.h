/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few lines every test program here shares: one "ok N - what" or
 * "not ok N - what" line per check, and the closing "N passed, N failed"
 * that the runners count. Included by exactly one file per program.
 */
#ifndef KHU_TAP_H
#define KHU_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int khu_passed, khu_failed;

static void check(int ok, const char *what)
{
	if (ok)
		khu_passed++;
	else
		khu_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", khu_passed + khu_failed,
	       what);
	fflush(stdout);
}

/* Print the summary; the program's exit status. */
static int khu_tap_done(void)
{
	printf("%d passed, %d failed\n", khu_passed, khu_failed);
	return khu_failed ? 1 : 0;
}

/* Remove a test's temporary tree; a leftover is said, not failed. */
static inline void khu_tap_rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# could not remove %s\n", dir);
}

/* Write @text to @root@path, making the directories on the way. */
static inline void khu_tap_put(const char *root, const char *path,
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

#endif /* KHU_TAP_H */
