// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of run.c: programs are found in the system directories,
 * never through $PATH, and run with a fixed environment and SIGPIPE at
 * its default.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"
#include "tap.h"

static char dir[] = "/tmp/kh-run-test.XXXXXX";

static void test_find(void)
{
	char path[256];

	check(!khu_run_find("sh", path, sizeof(path)) &&
	      (!strcmp(path, "/usr/sbin/sh") || !strcmp(path, "/usr/bin/sh") ||
	       !strcmp(path, "/sbin/sh") || !strcmp(path, "/bin/sh")),
	      "sh found in a system directory, as an absolute path");
	check(khu_run_find("./sh", path, sizeof(path)) == -EINVAL &&
	      khu_run_find("", path, sizeof(path)) == -EINVAL,
	      "a name with '/', or none: -EINVAL");
	check(khu_run_find("kh-no-such-tool", path, sizeof(path)) == -ENOENT,
	      "an unknown name: -ENOENT");
}

/* A program planted in a directory $PATH names is never run. */
static void test_no_path(void)
{
	char tool[128], mark[128], script[300];
	char *argv[] = { "kh-planted-tool", NULL };
	int st = 0, fd;

	snprintf(tool, sizeof(tool), "%s/kh-planted-tool", dir);
	snprintf(mark, sizeof(mark), "%s/ran", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\ntouch %s\n", mark);
	fd = open(tool, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, script, strlen(script)) < 0) {
		check(0, "a planted tool");
		return;
	}
	close(fd);
	setenv("PATH", dir, 1);
	check(khu_run("kh-planted-tool", argv, NULL, &st) == -ENOENT &&
	      access(mark, F_OK) < 0,
	      "a tool only in $PATH: -ENOENT, and it did not run");
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

/* `env`'s output for an environment of @keep, with stdout in a file. */
static int run_env(const char *const keep[], char *out, size_t len)
{
	char *argv[] = { "env", NULL }, path[128];
	int fd, saved, st = 0, ret;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/env.out", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDOUT_FILENO);
	if (fd < 0 || saved < 0)
		return -errno;
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	ret = khu_run("env", argv, keep, &st);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return ret;
}

static void test_env(void)
{
	static const char *const locale[] = { "LANG", "LANGUAGE", NULL };
	char out[4096];

	setenv("KH_TEST_SECRET", "x", 1);
	setenv("BASH_ENV", "/tmp/evil", 1);
	setenv("LANG", "fr_FR.UTF-8", 1);
	check(!run_env(NULL, out, sizeof(out)) &&
	      !strcmp(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\n"),
	      "the environment is PATH and LANG=C, nothing of the caller's");
	if (strcmp(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\n"))
		printf("# got: %s\n", out);
	setenv("LANGUAGE", "fr:en", 1);
	check(!run_env(locale, out, sizeof(out)) &&
	      !strcmp(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=fr_FR.UTF-8\nLANGUAGE=fr:en\n"),
	      "update-grub's locale kept: LANG and LANGUAGE, no LANG=C");
	setenv("LANG", "/tmp/evil/locale", 1);
	unsetenv("LANGUAGE");
	check(!run_env(locale, out, sizeof(out)) &&
	      !strcmp(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\n"),
	      "a locale that is a path is not kept: LANG=C");
	unsetenv("KH_TEST_SECRET");
	unsetenv("BASH_ENV");
	unsetenv("LANG");
}

/* main() ignores SIGPIPE; the programs it runs must not inherit that. */
static void test_sigpipe(void)
{
	char *argv[] = { "sh", "-c", "kill -PIPE $$; exit 0", NULL };
	int st = 0;

	signal(SIGPIPE, SIG_IGN);
	check(khu_run("sh", argv, NULL, &st) == -EIO && st == 128 + SIGPIPE,
	      "SIGPIPE ignored here is at its default in the child");
	signal(SIGPIPE, SIG_DFL);
}

/* What a program prints, read back: setup --check's modinfo and mokutil. */
static void test_capture(void)
{
	char *echo[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char *big[] = { "sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo 0123456789; i=$((i+1)); done", NULL };
	char *fail[] = { "sh", "-c", "echo no; exit 3", NULL };
	char *env[] = { "env", NULL };
	char *in[] = { "sh", "-c", "cat; echo end", NULL };
	char out[64], line[8];
	int st = -1;

	check(!khu_run_capture("sh", echo, false, out, sizeof(out), &st) &&
	      st == 0 && !strcmp(out, "out\n"),
	      "capture: stdout only; stderr to /dev/null");
	check(!khu_run_capture("sh", echo, true, out, sizeof(out), &st) &&
	      strstr(out, "out\n") && strstr(out, "err\n"),
	      "capture with stderr: both");
	check(!khu_run_capture("sh", big, false, out, sizeof(out), &st) &&
	      strlen(out) == sizeof(out) - 1 && !strncmp(out, "0123456789\n", 11),
	      "capture: 220 KB into 64 bytes: cut, the rest drained, no hang");
	check(khu_run_capture("sh", fail, false, out, sizeof(out), &st) ==
	      -EIO && st == 3 && !strcmp(out, "no\n"),
	      "capture: a failure is -EIO with its status, its output kept");
	check(!khu_run_capture("env", env, false, out, sizeof(out), &st) &&
	      !strcmp(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\n"),
	      "capture: the fixed environment");
	check(!khu_run_capture("sh", in, false, out, sizeof(out), &st) &&
	      !strcmp(out, "end\n"), "capture: stdin is /dev/null");
	check(khu_run_capture("kh-no-such-tool", env, false, line,
			      sizeof(line), &st) == -ENOENT && !line[0],
	      "capture: no such program: -ENOENT, nothing read");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		check(0, "a temporary directory");
		return khu_tap_done();
	}
	test_find();
	test_no_path();
	test_env();
	test_sigpipe();
	test_capture();
	khu_tap_rmtree(dir);
	return khu_tap_done();
}
