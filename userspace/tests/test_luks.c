// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the LUKS checks stash makes before it arms, on volumes
 * that real cryptsetup formats in plain files (no device-mapper, no
 * root): a volume with its header in front of its data, and detached
 * headers (cryptsetup --header), whose key the next kernel could never
 * use. The cheapest key derivation keeps it fast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libcryptsetup.h>

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

int main(void)
{
	char cmd[256];

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
