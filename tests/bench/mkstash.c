// SPDX-License-Identifier: GPL-2.0
/*
 * mkstash OUT NONCEHEX UUID KEYFILE [UUID KEYFILE]...: a region image
 * (4 KiB) holding a valid stash of the given volumes, named bench0,
 * bench1, ... The benchmark plants it through /dev/mem to time
 * `keyhandover restore` for 1, 4 and 16 volumes without a kexec each.
 * Test keys only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

static int kh_read_key(const char *path, struct kh_entry *e)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(e->key, 1, sizeof(e->key), f);
	fclose(f);
	if (n == 0 || n > KH_KEY_MAX)
		return -1;
	e->key_size = n;
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[4096];
	struct kh_entry e[KH_MAX_ENTRIES];
	unsigned char nonce[KH_NONCE_LEN];
	unsigned int i, n;
	FILE *f;

	if (argc < 5 || (argc - 3) % 2 || (argc - 3) / 2 > KH_MAX_ENTRIES ||
	    strlen(argv[2]) != 2 * KH_NONCE_LEN) {
		fprintf(stderr, "usage: %s OUT NONCEHEX UUID KEYFILE...\n",
			argv[0]);
		return 2;
	}
	for (i = 0; i < KH_NONCE_LEN; i++)
		sscanf(argv[2] + 2 * i, "%2hhx", &nonce[i]);
	n = (argc - 3) / 2;
	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		snprintf(e[i].uuid, KH_UUID_LEN, "%s", argv[3 + 2 * i]);
		snprintf(e[i].name, KH_NAME_LEN, "bench%u", i);
		if (kh_read_key(argv[4 + 2 * i], &e[i])) {
			fprintf(stderr, "mkstash: bad key file %s\n",
				argv[4 + 2 * i]);
			return 1;
		}
	}
	if (kh_format_build(buf, sizeof(buf), e, n, nonce) < 0) {
		fprintf(stderr, "mkstash: entries refused by the format\n");
		return 1;
	}
	f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, sizeof(buf), f) != sizeof(buf) || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	memset(e, 0, sizeof(e));
	return 0;
}
