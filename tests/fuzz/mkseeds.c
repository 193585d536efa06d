// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the fuzzer's seed corpus: valid stashes of 1 and 16 entries (the
 * fuzzer cannot find a matching SHA-256 by itself), keys of 16 to 128
 * bytes, an empty region and one that is all 0xFF. Test patterns only: no
 * real key. The corpus also keeps two version 1 stashes (v1-*), written
 * by the codec before version 2, which is still read.
 */
#include <stdio.h>
#include <string.h>

#include "format.h"

static int kh_write_seed(const char *dir, const char *name,
			 const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[4096];
	struct kh_entry e[KH_MAX_ENTRIES];
	unsigned char nonce[KH_NONCE_LEN] = { 0x5a };
	int i, err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	memset(e, 0, sizeof(e));
	for (i = 0; i < KH_MAX_ENTRIES; i++) {
		e[i].key_size = 16 + (i % 8) * 16;
		snprintf(e[i].uuid, sizeof(e[i].uuid),
			 "fedcba98-7654-4321-8765-%012d", i);
		snprintf(e[i].name, sizeof(e[i].name), "luks-%d", i);
		memset(e[i].key, 0x11 * (i + 1), e[i].key_size);
	}
	memset(buf, 0, sizeof(buf));
	err |= kh_format_build(buf, sizeof(buf), e, 1, nonce) < 0;
	err |= kh_write_seed(argv[1], "one-entry", buf, kh_format_size(1));
	memset(buf, 0, sizeof(buf));
	err |= kh_format_build(buf, sizeof(buf), e, KH_MAX_ENTRIES, nonce) < 0;
	err |= kh_write_seed(argv[1], "sixteen-entries", buf, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	err |= kh_write_seed(argv[1], "empty", buf, sizeof(buf));
	memset(buf, 0xff, sizeof(buf));
	err |= kh_write_seed(argv[1], "all-ff", buf, sizeof(buf));
	return err;
}
