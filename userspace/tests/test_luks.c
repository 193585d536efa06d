// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the LUKS checks stash makes before it arms, on volumes
 * that real cryptsetup formats in plain files (no device-mapper, no
 * root): a volume with its header in front of its data, and detached
 * headers (cryptsetup --header), whose key the next kernel could never
 * use. The cheapest key derivation keeps it fast. And the flags restore
 * opens a volume with, from its crypttab line's options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libcryptsetup.h>

#include "crypttab.h"
#include "luks.h"
#include "tap.h"

static char dir[] = "/tmp/kh-luks-test.XXXXXX";

#define KHU_FORMAT "cryptsetup luksFormat -q --disable-locks --pbkdf pbkdf2 " \
		  "--pbkdf-force-iterations 1000 --key-file %s/key "

/* cryptsetup luksFormat @args, in @dir; 0 on success. */
static int format(const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cd %s && " KHU_FORMAT "%s >/dev/null 2>&1",
		 dir, dir, args);
	return system(cmd);
}

/* Open @name in @dir: 1 detached, 0 not, -1 not opened. */
static int detached(const char *name, uint64_t *offset)
{
	struct crypt_device *cd;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (khu_luks_open(path, &cd))
		return -1;
	ret = khu_luks_detached(cd, offset);
	khu_luks_close(cd);
	return ret;
}

static void test_detached(void)
{
	uint64_t off = 1;

	check(!format("--type luks2 vol") && detached("vol", &off) == 0 &&
	      off == 16 << 20, "a LUKS2 volume: header in front, data at 16 MiB");
	check(!format("--type luks1 vol1") && detached("vol1", &off) == 0 &&
	      off > 0, "a LUKS1 volume: not detached");
	check(!format("--type luks2 --header hdr data") &&
	      detached("hdr", &off) == 1 && off == 0,
	      "a LUKS2 detached header: data offset 0, refused");
	check(!format("--type luks1 --header hdr1 data") &&
	      detached("hdr1", &off) == 1 && off == 0,
	      "a LUKS1 detached header: data offset 0, refused");
	check(!format("--type luks2 --offset 65536 --header hdro data") &&
	      detached("hdro", &off) == 1 && off == 32 << 20,
	      "a detached header with --offset: its data past its own end, refused");
}

/* crypttab's activation options, each as libcryptsetup's flag. */
static void test_flags(void)
{
	static const struct {
		unsigned int opt;
		uint32_t flag;
		const char *what;
	} one[] = {
		{ KHU_CRYPTTAB_DISCARD, CRYPT_ACTIVATE_ALLOW_DISCARDS,
		  "discard: CRYPT_ACTIVATE_ALLOW_DISCARDS" },
		{ KHU_CRYPTTAB_READONLY, CRYPT_ACTIVATE_READONLY,
		  "readonly: CRYPT_ACTIVATE_READONLY" },
		{ KHU_CRYPTTAB_SAME_CPU_CRYPT, CRYPT_ACTIVATE_SAME_CPU_CRYPT,
		  "same-cpu-crypt: CRYPT_ACTIVATE_SAME_CPU_CRYPT" },
		{ KHU_CRYPTTAB_SUBMIT_FROM_CRYPT_CPUS,
		  CRYPT_ACTIVATE_SUBMIT_FROM_CRYPT_CPUS,
		  "submit-from-crypt-cpus: CRYPT_ACTIVATE_SUBMIT_FROM_CRYPT_CPUS" },
		{ KHU_CRYPTTAB_NO_READ_WORKQUEUE, CRYPT_ACTIVATE_NO_READ_WORKQUEUE,
		  "no-read-workqueue: CRYPT_ACTIVATE_NO_READ_WORKQUEUE" },
		{ KHU_CRYPTTAB_NO_WRITE_WORKQUEUE,
		  CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE,
		  "no-write-workqueue: CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE" },
	};
	unsigned int all = 0;
	uint32_t flags = 0;
	size_t i;

	check(khu_luks_flags(0) == 0, "no option: no flag");
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		check(khu_luks_flags(one[i].opt) == one[i].flag, one[i].what);
		all |= one[i].opt;
		flags |= one[i].flag;
	}
	check(khu_luks_flags(KHU_CRYPTTAB_DISCARD | KHU_CRYPTTAB_READONLY |
			     KHU_CRYPTTAB_NO_WRITE_WORKQUEUE) ==
	      (CRYPT_ACTIVATE_ALLOW_DISCARDS | CRYPT_ACTIVATE_READONLY |
	       CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE),
	      "discard,readonly,no-write-workqueue: those three flags");
	check(khu_luks_flags(all) == flags, "every option: every flag");
	/* A bit crypttab.c does not set must not turn into a flag. */
	check(khu_luks_flags(~all) == 0, "an unknown bit: no flag");
}

int main(void)
{
	char cmd[256];

	/* No volume needed: before the cryptsetup check. */
	test_flags();

	if (system("command -v cryptsetup >/dev/null")) {
		printf("# SKIP cryptsetup not installed\n");
		return khu_tap_done();
	}
	if (!mkdtemp(dir)) {
		check(0, "a temporary directory");
		return khu_tap_done();
	}
	/* Sparse files: luksFormat writes the header only. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && truncate -s 20M vol vol1 && truncate -s 4M data && printf pw >key",
		 dir);
	check(!system(cmd), "volume files and a key file");
	crypt_metadata_locking(NULL, 0);
	test_detached();
	khu_tap_rmtree(dir);
	return khu_tap_done();
}
