// SPDX-License-Identifier: GPL-2.0
/*
 * Passphrases from a key file, the terminal or a line of stdin.
 *
 * Nothing here goes through stdio: its buffers live on the ordinary heap,
 * where a passphrase could be swapped out or outlive its use. Bytes are
 * read with read(2) straight into locked memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "passphrase.h"
#include "secmem.h"

/* The terminal whose echo we turned off, for the signal handler. */
static int khu_tty_fd = -1;
static struct termios khu_tty_saved;
static volatile sig_atomic_t khu_tty_echo_off;


static int khu_passphrase_alloc(struct khu_passphrase *pw)
{
	void *buf;
	int ret;

	ret = khu_secmem_alloc(KHU_PASSPHRASE_MAX + 1, &buf);
	if (ret)
		return ret;
	pw->buf = buf;
	pw->len = 0;
	return 0;
}

void khu_passphrase_free(struct khu_passphrase *pw)
{
	khu_secmem_free(pw->buf);
	pw->buf = NULL;
	pw->len = 0;
}

static ssize_t khu_read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Read all of @fd; more than KHU_PASSPHRASE_MAX bytes is an error. */
static int khu_read_all(int fd, struct khu_passphrase *pw)
{
	for (;;) {
		ssize_t n = khu_read_retry(fd, pw->buf + pw->len,
					   KHU_PASSPHRASE_MAX + 1 - pw->len);

		if (n < 0)
			return n;
		if (!n)
			break;
		pw->len += n;
		if (pw->len > KHU_PASSPHRASE_MAX)
			return -EFBIG;
	}
	return pw->len ? 0 : -ENODATA;
}

/*
 * One byte at a time, so that a second device's line stays unread in the
 * pipe. The newline is dropped; EOF after some bytes ends the line too.
 */
static int khu_read_line(int fd, struct khu_passphrase *pw)
{
	char c;

	for (;;) {
		ssize_t n = khu_read_retry(fd, &c, 1);

		if (n < 0)
			return n;
		if (!n)
			return pw->len ? 0 : -ENODATA;
		if (c == '\n')
			return 0;
		if (pw->len == KHU_PASSPHRASE_MAX)
			return -EFBIG;
		pw->buf[pw->len++] = c;
		c = 0;
	}
}

/* cryptsetup key-file semantics: the whole file, verbatim; "-" is stdin. */
int khu_passphrase_read_file(const char *path, struct khu_passphrase *pw)
{
	int fd, ret;

	ret = khu_passphrase_alloc(pw);
	if (ret)
		return ret;
	if (!strcmp(path, "-") && isatty(STDIN_FILENO)) {
		/* As cryptsetup does: a terminal gets a prompt without echo. */
		khu_passphrase_free(pw);
		return khu_passphrase_read("--key-file -", pw);
	} else if (!strcmp(path, "-")) {
		ret = khu_read_all(STDIN_FILENO, pw);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			ret = -errno;
			goto out_free;
		}
		ret = khu_read_all(fd, pw);
		close(fd);
	}
	if (ret)
		goto out_free;
	return 0;

out_free:
	khu_passphrase_free(pw);
	return ret;
}

/*
 * Is key file @path a regular file that group or others may read or
 * write? 1, with its permission bits in *@mode; 0 if not ("-", a pipe or
 * a device is not looked at); -errno when it cannot be looked at. The
 * caller warns, as systemd-cryptsetup does, and goes on.
 */
int khu_passphrase_file_exposed(const char *path, unsigned int *mode)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return 0;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) ||
	    !(st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)))
		return 0;
	*mode = st.st_mode & 07777;
	return 1;
}

static void khu_tty_restore(void)
{
	if (khu_tty_echo_off) {
		tcsetattr(khu_tty_fd, TCSAFLUSH, &khu_tty_saved);
		khu_tty_echo_off = 0;
	}
}

static int khu_tty_echo_disable(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &khu_tty_saved) < 0)
		return -errno;
	t = khu_tty_saved;
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL);
	khu_tty_fd = fd;
	khu_tty_echo_off = 1;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0) {
		khu_tty_echo_off = 0;
		return -errno;
	}
	return 0;
}

/*
 * Echo goes off before the prompt is printed: whatever is typed once the
 * prompt shows is never echoed, however quickly it comes (a paste, or a
 * program answering the prompt). Input typed before it is discarded
 * (TCSAFLUSH), as cryptsetup does.
 */
static int khu_tty_prompt(int fd, const char *device, struct khu_passphrase *pw)
{
	bool prompted = false;
	int ret;

	/* Never leave the terminal without echo, even when killed. */
	khu_secmem_set_fatal_hook(khu_tty_restore);
	ret = khu_tty_echo_disable(fd);
	if (!ret) {
		prompted = dprintf(fd, "Enter passphrase for %s: ", device) >= 0;
		ret = prompted ? khu_read_line(fd, pw) : -EIO;
	}
	khu_tty_restore();
	khu_secmem_set_fatal_hook(NULL);
	/* The user's Enter was not echoed: end the prompt line ourselves. */
	if (prompted && write(fd, "\n", 1) < 0 && !ret)
		ret = -EIO;
	return ret;
}

/*
 * One line of a stdin that is no terminal. The prompt still goes out, to
 * stderr: `ssh host keyhandover reboot` without -t gives a pipe, and a
 * user there must see what the silence waits for. Nothing is echoed, so
 * the line is ended for them.
 */
static int khu_stdin_prompt(const char *device, struct khu_passphrase *pw)
{
	int ret;

	dprintf(STDERR_FILENO, "Enter passphrase for %s: ", device);
	ret = khu_read_line(STDIN_FILENO, pw);
	dprintf(STDERR_FILENO, "\n");
	return ret;
}

/*
 * Ask on the terminal when stdin is one, else take one line of stdin (a
 * pipe from a script or an initramfs helper).
 */
int khu_passphrase_read(const char *device, struct khu_passphrase *pw)
{
	int fd, ret;

	ret = khu_passphrase_alloc(pw);
	if (ret)
		return ret;
	if (!isatty(STDIN_FILENO)) {
		ret = khu_stdin_prompt(device, pw);
		goto out;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = khu_tty_prompt(fd, device, pw);
	close(fd);
out:
	if (ret)
		khu_passphrase_free(pw);
	return ret;
}

/*
 * Where khu_passphrase_read() would ask, found before anything is asked:
 * the terminal when stdin is one and this process has it as /dev/tty; a
 * line of stdin when that is a pipe or file (a script feeding it); else
 * nowhere: stdin closed, /dev/null or another device, a socket (a
 * service's or inetd's connection, where nobody types a passphrase), or a
 * terminal that is not ours to prompt on.
 */
enum khu_passphrase_source khu_passphrase_source(void)
{
	struct stat st;
	int fd;

	if (fstat(STDIN_FILENO, &st) < 0)
		return KHU_PASSPHRASE_NOWHERE;
	if (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode))
		return KHU_PASSPHRASE_STDIN;
	if (!isatty(STDIN_FILENO))
		return KHU_PASSPHRASE_NOWHERE;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return KHU_PASSPHRASE_NOWHERE;
	close(fd);
	return KHU_PASSPHRASE_TTY;
}
