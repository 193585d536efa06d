// SPDX-License-Identifier: GPL-2.0
/*
 * kh-keep-key [--cancel] SERIAL: marks the key SERIAL to be handed over to
 * the next kernel (KEYCTL_PRESERVE_KEXEC, the RFC series in upstream/), or
 * takes the mark off again, for the `upstream` scenario. keyutils' keyctl
 * has no command for an operation that is not in the kernel yet, so the
 * scenario calls it here. Prints "ok", or the errno's name (the scenario
 * checks EPERM under lockdown=confidentiality), and exits 0 or 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* include/uapi/linux/keyctl.h of the series (patch 4). */
#define KH_KEYCTL_PRESERVE_KEXEC 33
#define KH_KEYCTL_PRESERVE_KEXEC_CANCEL 0x00000001

static const char *kh_errno_name(int err)
{
	switch (err) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case ENOKEY:
		return "ENOKEY";
	case EKEYREVOKED:
		return "EKEYREVOKED";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case ENOSPC:
		return "ENOSPC";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	unsigned long flags = 0;
	char *end;
	long serial;

	if (argc == 3 && !strcmp(argv[1], "--cancel")) {
		flags = KH_KEYCTL_PRESERVE_KEXEC_CANCEL;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: kh-keep-key [--cancel] SERIAL\n");
		return 2;
	}
	errno = 0;
	serial = strtol(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || serial <= 0) {
		fprintf(stderr, "kh-keep-key: not a key serial: '%s'\n", argv[1]);
		return 2;
	}
	if (syscall(__NR_keyctl, KH_KEYCTL_PRESERVE_KEXEC, serial, flags) < 0) {
		printf("%s\n", kh_errno_name(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}
