/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real JSON parser for the tests of --json: python3's json module,
 * which Debian has wherever python3 is (scripts/deps.sh test installs
 * it). Each check is one Python expression on the document, so that
 * what a program reading the output would see is what is checked.
 */
#ifndef KHU_PYJSON_H
#define KHU_PYJSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The program python3 runs on file argv[1]: strict UTF-8, exactly one
 * line, one JSON value (json.load refuses anything after it); then
 * @expr, with the document as d, the raw bytes as raw, and the further
 * arguments as a (strings a test compares with, passed as they are).
 */
#define KHU_PY_PROLOGUE \
	"import json, sys\n" \
	"raw = open(sys.argv[1], 'rb').read()\n" \
	"assert raw.endswith(b'\\n') and raw.count(b'\\n') == 1, 'one line'\n" \
	"d = json.loads(raw.decode('utf-8'))\n" \
	"a = sys.argv[2:]\n" \
	"sys.exit(0 if (%s) else 1)\n"

/* Is python3 there to ask? */
static inline int khu_py_available(void)
{
	return !system("command -v python3 >/dev/null 2>&1");
}

/*
 * Does @path parse as one line of JSON, and is @expr true of it? @arg
 * (or NULL) is a[0]. A failure shows python3's complaint on stdout as
 * a TAP comment, so that the log says which.
 */
static inline int khu_py_check(const char *path, const char *expr,
			       const char *arg)
{
	char prog[4096], err[] = "/tmp/kh-pyjson-err.XXXXXX";
	int st = 0, fd;
	pid_t pid;

	snprintf(prog, sizeof(prog), KHU_PY_PROLOGUE, expr);
	fd = mkstemp(err);
	if (fd < 0)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "python3", "-c", prog, (char *)path,
				 (char *)arg, NULL };

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/*
		 * Debian's own first: a python3 earlier on PATH may be a
		 * version manager's shim that takes a second to start, and
		 * the suites run this hundreds of times.
		 */
		execv("/usr/bin/python3", argv);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd);
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (!(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		char line[512];
		FILE *f = fopen(err, "r");

		printf("#   python3: %s\n", expr);
		while (f && fgets(line, sizeof(line), f))
			printf("#   %s", line);
		if (f)
			fclose(f);
		unlink(err);
		return 0;
	}
	unlink(err);
	return 1;
}

/* @text (@len bytes) into file @path, a newline after it. */
static inline int khu_py_put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return 0;
	ok = fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF;
	return fclose(f) == 0 && ok;
}

#endif /* KHU_PYJSON_H */
