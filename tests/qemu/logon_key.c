// SPDX-License-Identifier: GPL-2.0
/*
 * kh-logon-key DESCRIPTION FILE: adds FILE's bytes (at most 128) to the
 * user keyring as a logon key, the way cryptsetup 2.7's
 * --link-vk-to-keyring would, for the keyring scenarios on Debian 12's
 * cryptsetup 2.6.
 *
 * Why not `keyctl padd`: keyctl reads its payload into a static buffer it
 * never wipes, and the pages of an exiting process go back to the
 * allocator as they are. After kexec the new kernel may or may not
 * overwrite them, so the host's scan of all guest RAM after boot 2 found
 * that copy on some runs and not on others. This program holds the key in
 * a locked buffer and wipes it before it exits, like the tool does.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KH_LOGON_MAX 128
#define KH_USER_KEYRING -4 /* KEY_SPEC_USER_KEYRING */

static unsigned char kh_payload[KH_LOGON_MAX + 1];

static ssize_t kh_read_file(const char *path)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got < (ssize_t)sizeof(kh_payload)) {
		n = read(fd, kh_payload + got, sizeof(kh_payload) - got);
		if (n < 0) {
			got = -1;
			break;
		}
		if (n == 0)
			break;
		got += n;
	}
	close(fd);
	return got;
}

int main(int argc, char **argv)
{
	ssize_t len;
	long serial = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: kh-logon-key DESCRIPTION FILE\n");
		return 2;
	}
	if (mlock(kh_payload, sizeof(kh_payload))) {
		perror("kh-logon-key: mlock");
		return 1;
	}
	len = kh_read_file(argv[2]);
	if (len > 0 && len <= KH_LOGON_MAX)
		serial = syscall(SYS_add_key, "logon", argv[1], kh_payload,
				 (size_t)len, KH_USER_KEYRING);
	explicit_bzero(kh_payload, sizeof(kh_payload));
	if (len <= 0 || len > KH_LOGON_MAX) {
		fprintf(stderr, "kh-logon-key: %s: not 1 to %d bytes\n",
			argv[2], KH_LOGON_MAX);
		return 1;
	}
	if (serial < 0) {
		perror("kh-logon-key: add_key");
		return 1;
	}
	printf("%ld\n", serial);
	return 0;
}
