// SPDX-License-Identifier: GPL-2.0
/*
 * kh-keep-key: KEYCTL_PRESERVE_KEXEC (the RFC series in upstream/) for the
 * `upstream` scenario. keyutils' keyctl has no command for an operation
 * that is not in the kernel yet, so the scenario calls it here.
 *
 *   kh-keep-key SERIAL                  mark the key
 *   kh-keep-key --cancel SERIAL         take the mark off
 *   kh-keep-key --claim                 link what the previous kernel
 *                                       handed over into the session keyring
 *   kh-keep-key --read SERIAL           try to read the key (the bytes are
 *                                       wiped, never shown)
 *   kh-keep-key --capless OP [SERIAL]   the same OP after dropping every
 *                                       capability, still uid 0
 *
 * Prints "ok", or the errno's name (the scenario checks EPERM, EACCES and
 * the rest), and exits 0 or 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

/* include/uapi/linux/keyctl.h of the series (patch 4). */
#define KH_KEYCTL_PRESERVE_KEXEC 33
#define KH_KEYCTL_PRESERVE_KEXEC_CANCEL 0x00000001
#define KH_KEYCTL_PRESERVE_KEXEC_CLAIM 0x00000002
#define KH_KEYCTL_READ 11
#define KH_KEY_SPEC_SESSION_KEYRING -3

static unsigned char kh_buf[512];

static const char *kh_errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },	  { EACCES, "EACCES" },
		{ EINVAL, "EINVAL" },	  { ENOENT, "ENOENT" },
		{ ENOKEY, "ENOKEY" },	  { EKEYREVOKED, "EKEYREVOKED" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENOSPC, "ENOSPC" },
		{ EEXIST, "EEXIST" },	  { EBUSY, "EBUSY" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return "other";
}

static long kh_keyctl(int op, long a2, unsigned long a3, unsigned long a4)
{
	return syscall(__NR_keyctl, op, a2, a3, a4, 0);
}

static int kh_drop_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	return syscall(__NR_capset, &hdr, data);
}

static long kh_serial(const char *arg)
{
	char *end;
	long serial;

	if (!arg)
		return -1;
	errno = 0;
	serial = strtol(arg, &end, 10);
	if (errno || end == arg || *end || serial <= 0)
		return -1;
	return serial;
}

static long kh_read(long serial)
{
	long ret;

	ret = kh_keyctl(KH_KEYCTL_READ, serial, (unsigned long)kh_buf,
			sizeof(kh_buf));
	explicit_bzero(kh_buf, sizeof(kh_buf));
	return ret;
}

static int kh_usage(void)
{
	fprintf(stderr, "usage: kh-keep-key [--capless] "
			"[--cancel|--read] SERIAL | [--capless] --claim\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *op;
	long serial, ret;

	if (mlock(kh_buf, sizeof(kh_buf)))
		return 1;
	argv++;
	argc--;
	if (argc && !strcmp(argv[0], "--capless")) {
		if (kh_drop_caps()) {
			perror("kh-keep-key: capset");
			return 1;
		}
		argv++;
		argc--;
	}
	if (!argc)
		return kh_usage();
	op = argv[0][0] == '-' ? argv[0] : "--mark";
	if (op == argv[0]) {
		argv++;
		argc--;
	}
	if (!strcmp(op, "--claim")) {
		if (argc)
			return kh_usage();
		ret = kh_keyctl(KH_KEYCTL_PRESERVE_KEXEC,
				KH_KEY_SPEC_SESSION_KEYRING,
				KH_KEYCTL_PRESERVE_KEXEC_CLAIM, 0);
	} else {
		serial = argc == 1 ? kh_serial(argv[0]) : -1;
		if (serial < 0)
			return kh_usage();
		if (!strcmp(op, "--mark"))
			ret = kh_keyctl(KH_KEYCTL_PRESERVE_KEXEC, serial, 0, 0);
		else if (!strcmp(op, "--cancel"))
			ret = kh_keyctl(KH_KEYCTL_PRESERVE_KEXEC, serial,
					KH_KEYCTL_PRESERVE_KEXEC_CANCEL, 0);
		else if (!strcmp(op, "--read"))
			ret = kh_read(serial);
		else
			return kh_usage();
	}
	if (ret < 0) {
		printf("%s\n", kh_errno_name(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}
