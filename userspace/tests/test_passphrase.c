// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of key files: read verbatim, and which ones stash warns
 * about (group or others may read or write them, as systemd-cryptsetup
 * warns).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "passphrase.h"
#include "tap.h"

static char dir[] = "/tmp/kh-keyfile-test.XXXXXX";
static char key[160];

/* The key file with @mode: exposed (1) or not (0)? */
static int exposed_with(unsigned int mode, unsigned int *got)
{
	*got = 0;
	if (chmod(key, mode) < 0)
		return -errno;
	return khu_passphrase_file_exposed(key, got);
}

static void test_exposed(void)
{
	char link[200], fifo[200];
	unsigned int m = 0;

	check(exposed_with(0600, &m) == 0 && exposed_with(0400, &m) == 0 &&
	      exposed_with(0700, &m) == 0, "0600, 0400, 0700: no warning");
	check(exposed_with(0644, &m) == 1 && m == 0644,
	      "0644 (others may read): warned, mode 0644");
	check(exposed_with(0640, &m) == 1 && m == 0640, "0640 (group may read)");
	check(exposed_with(0620, &m) == 1 && exposed_with(0602, &m) == 1,
	      "0620, 0602 (group or others may write)");
	check(exposed_with(0611, &m) == 0, "execute bits alone: no warning");
	snprintf(link, sizeof(link), "%s/link", dir);
	check(exposed_with(0644, &m) == 1 && !symlink(key, link) &&
	      !chmod(key, 0600) && khu_passphrase_file_exposed(link, &m) == 0 &&
	      !chmod(key, 0644) && khu_passphrase_file_exposed(link, &m) == 1,
	      "through a symbolic link: the file's own mode");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	check(!mkfifo(fifo, 0666) && khu_passphrase_file_exposed(fifo, &m) == 0 &&
	      khu_passphrase_file_exposed("-", &m) == 0,
	      "a pipe and '-' (stdin) are not looked at");
	check(khu_passphrase_file_exposed("/nonexistent/key", &m) == -ENOENT,
	      "a missing file: -ENOENT");
}

static void test_read(void)
{
	struct khu_passphrase pw = { NULL, 0 };

	chmod(key, 0600);
	check(!khu_passphrase_read_file(key, &pw) && pw.len == 7 &&
	      !memcmp(pw.buf, "secret\n", 7),
	      "a key file is read verbatim, newline and all");
	khu_passphrase_free(&pw);
}

/* khu_passphrase_source() with @fd as stdin (-1: stdin closed). */
static enum khu_passphrase_source source_with(int fd)
{
	int saved = dup(STDIN_FILENO);
	enum khu_passphrase_source src;

	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	else
		close(STDIN_FILENO);
	src = khu_passphrase_source();
	if (saved >= 0) {
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
	return src;
}

static void test_source(void)
{
	int p[2] = { -1, -1 }, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int sp[2] = { -1, -1 };
	int file = open(key, O_RDONLY | O_CLOEXEC);

	check(!pipe(p) && source_with(p[0]) == KHU_PASSPHRASE_STDIN,
	      "source: a pipe on stdin: a line of it (a script feeds it)");
	check(file >= 0 && source_with(file) == KHU_PASSPHRASE_STDIN,
	      "source: a file on stdin: a line of it");
	check(null >= 0 && source_with(null) == KHU_PASSPHRASE_NOWHERE,
	      "source: /dev/null: nowhere to ask (never a hang, never a guess)");
	check(source_with(-1) == KHU_PASSPHRASE_NOWHERE,
	      "source: stdin closed: nowhere to ask");
	check(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) &&
	      source_with(sp[0]) == KHU_PASSPHRASE_NOWHERE,
	      "source: a socket: nowhere to ask (nobody types into it)");
	close(sp[0]);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
	close(null);
	close(file);
}

/*
 * A passphrase from a pipe on stdin, stderr caught in another: the line
 * without its newline, and the prompt said on stderr first.
 */
static void test_stdin_prompt(void)
{
	int in[2], err[2], saved_in = dup(STDIN_FILENO);
	int saved_err = dup(STDERR_FILENO);
	struct khu_passphrase pw = { NULL, 0 };
	char said[128] = "";
	ssize_t n = -1;
	int ret = -1;

	if (!pipe(in) && !pipe(err) && write(in[1], "pw\n", 3) == 3) {
		dup2(in[0], STDIN_FILENO);
		dup2(err[1], STDERR_FILENO);
		ret = khu_passphrase_read("vol (/dev/x)", &pw);
		dup2(saved_err, STDERR_FILENO);
		dup2(saved_in, STDIN_FILENO);
		close(err[1]);
		n = read(err[0], said, sizeof(said) - 1);
	}
	check(!ret && pw.len == 2 && !memcmp(pw.buf, "pw", 2),
	      "a pipe on stdin: one line, its newline dropped");
	check(n > 0 && !strcmp(said, "Enter passphrase for vol (/dev/x): \n"),
	      "... after the prompt on stderr, so that ssh without -t does not wait silently");
	khu_passphrase_free(&pw);
	close(in[0]);
	close(in[1]);
	close(err[0]);
	close(saved_in);
	close(saved_err);
}

int main(void)
{
	int fd;

	if (!mkdtemp(dir)) {
		check(0, "a temporary directory");
		return khu_tap_done();
	}
	snprintf(key, sizeof(key), "%s/key", dir);
	fd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "secret\n", 7) != 7)
		check(0, "a key file");
	if (fd >= 0)
		close(fd);
	test_exposed();
	test_read();
	test_source();
	test_stdin_prompt();
	khu_tap_rmtree(dir);
	return khu_tap_done();
}
