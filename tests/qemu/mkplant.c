// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the region images that the "planted" QEMU stage puts into the
 * reserved range (through /dev/mem, before the module loads) to play a
 * previous kernel that left something bad behind: threat-model cases 1-11
 * and 26-28. Where a case needs a correct checksum over bad fields, the
 * image is re-sealed, as an attacker with write access to RAM could.
 *
 *   mkplant OUTDIR UUID VOLUME-KEY-FILE
 *
 * UUID and VOLUME-KEY-FILE describe the test volume (a test key, made for
 * the test). Each image is a whole 4 KiB region named after its case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define REGION 4096

static unsigned char kh_buf[REGION];
static struct kh_entry kh_e[2];
/* The planted boot's command line names this nonce (run.sh). */
static const unsigned char kh_nonce[KH_NONCE_LEN] = { 0x42, 0x42 };
static const unsigned char kh_other_nonce[KH_NONCE_LEN] = { 0x11 };
static const char *kh_dir;
static int kh_err;

static void put32(unsigned char *p, unsigned int v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void kh_write(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", kh_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(kh_buf, 1, REGION, f) != REGION || fclose(f)) {
		perror(path);
		kh_err = 1;
	}
}

/* A valid stash of @count of kh_e[] into kh_buf; returns its size. */
static size_t kh_stash_nonce(unsigned int count, const unsigned char *nonce)
{
	long len;

	memset(kh_buf, 0, sizeof(kh_buf));
	len = kh_format_build(kh_buf, sizeof(kh_buf), kh_e, count, nonce);
	if (len < 0) {
		fprintf(stderr, "mkplant: build failed (%ld)\n", len);
		exit(1);
	}
	return (size_t)len;
}

static size_t kh_stash(unsigned int count)
{
	return kh_stash_nonce(count, kh_nonce);
}

static void kh_reseal(size_t total)
{
	kh_format_sha256(kh_buf, total - KH_FORMAT_SUM_SIZE,
			 kh_buf + total - KH_FORMAT_SUM_SIZE);
}

static unsigned char *kh_entry0(void)
{
	return kh_buf + KH_FORMAT_HEADER_SIZE;
}

static void kh_region_cases(void)
{
	unsigned int i, seed = 7;
	size_t total;

	total = kh_stash(1);
	kh_buf[3] ^= 1;
	kh_write("01-bad-magic");
	total = kh_stash(1);
	put32(kh_buf + KH_HDR_TOTAL_SIZE, REGION + 1);
	kh_write("02-total-past-region");
	total = kh_stash(1);
	put32(kh_buf + KH_HDR_VERSION, KH_FORMAT_VERSION + 1);
	kh_reseal(total);
	kh_write("03-newer-version");
	total = kh_stash(1);
	kh_buf[KH_FORMAT_HEADER_SIZE + KH_ENT_KEY + 5] ^= 0x10;
	kh_write("04-bit-flip-in-key");
	total = kh_stash(1);
	put32(kh_buf + KH_HDR_COUNT, 0);
	kh_reseal(total);
	kh_write("05-zero-entries-resealed");
	total = kh_stash(1);
	put32(kh_entry0() + KH_ENT_KEY_SIZE, KH_KEY_MAX + 1);
	kh_reseal(total);
	kh_write("06-key-too-long-resealed");
	total = kh_stash(1);
	put32(kh_buf + KH_HDR_COUNT, 0x1745d17);
	put32(kh_buf + KH_HDR_TOTAL_SIZE, 0xfffffff0);
	kh_write("07-size-overflow");
	total = kh_stash(1);
	memset(kh_entry0() + KH_ENT_UUID, 'a', KH_UUID_LEN);
	kh_reseal(total);
	kh_write("08-uuid-unterminated-resealed");
	memset(kh_buf, 0, sizeof(kh_buf));
	kh_write("09-all-zero");
	memset(kh_buf, 0xff, sizeof(kh_buf));
	kh_write("10-all-ff");
	for (i = 0; i < REGION; i++) {
		seed = seed * 1103515245 + 12345;
		kh_buf[i] = seed >> 16;
	}
	kh_write("10-random");
}

/*
 * Valid stashes whose keys the restore must still handle safely: the key
 * of the right size but wrong (26), an unknown UUID next to the right
 * key (27), and the right key for a volume that is already open (28).
 */
static void kh_restore_cases(const char *uuid, const unsigned char *key,
			     unsigned int key_size)
{
	unsigned char wrong[KH_KEY_MAX];
	unsigned int i;

	for (i = 0; i < key_size; i++)
		wrong[i] = key[i] ^ 0x5c;
	memset(kh_e, 0, sizeof(kh_e));
	kh_e[0].key_size = key_size;
	snprintf(kh_e[0].uuid, KH_UUID_LEN, "%s", uuid);
	snprintf(kh_e[0].name, KH_NAME_LEN, "data");
	memcpy(kh_e[0].key, wrong, key_size);
	kh_stash(1);
	kh_write("26-wrong-key");

	kh_e[1] = kh_e[0];
	snprintf(kh_e[0].uuid, KH_UUID_LEN,
		 "00000000-0000-4000-8000-000000000027");
	snprintf(kh_e[0].name, KH_NAME_LEN, "absent");
	memcpy(kh_e[1].key, key, key_size);
	kh_stash(2);
	kh_write("27-unknown-uuid-then-good");

	kh_e[0] = kh_e[1];
	kh_stash(1);
	kh_write("28-good-key-already-open");

	/* The right key under another nonce: an earlier arming or boot. */
	kh_stash_nonce(1, kh_other_nonce);
	kh_write("11-stale-nonce");

	/* The right key's first half: a length the volume does not use. */
	kh_e[0].key_size = key_size / 2;
	memset(kh_e[0].key + key_size / 2, 0, KH_KEY_MAX - key_size / 2);
	kh_stash(1);
	kh_write("06-key-size-not-the-volumes");
	memset(wrong, 0, sizeof(wrong));
	memset(kh_e, 0, sizeof(kh_e));
}

int main(int argc, char **argv)
{
	unsigned char key[KH_KEY_MAX + 1];
	size_t key_size;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s OUTDIR UUID VOLUME-KEY-FILE\n",
			argv[0]);
		return 2;
	}
	kh_dir = argv[1];
	f = fopen(argv[3], "rb");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	key_size = fread(key, 1, sizeof(key), f);
	fclose(f);
	if (key_size == 0 || key_size > KH_KEY_MAX) {
		fprintf(stderr, "mkplant: volume key must be 1..64 bytes\n");
		return 1;
	}
	/* Region cases use a syntactically valid, unrelated entry. */
	memset(kh_e, 0, sizeof(kh_e));
	kh_e[0].key_size = 32;
	snprintf(kh_e[0].uuid, KH_UUID_LEN, "%s", argv[2]);
	snprintf(kh_e[0].name, KH_NAME_LEN, "data");
	memset(kh_e[0].key, 0x77, 32);
	kh_region_cases();
	kh_restore_cases(argv[2], key, key_size);
	memset(key, 0, sizeof(key));
	return kh_err;
}
