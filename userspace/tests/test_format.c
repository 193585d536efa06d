// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the handover format codec (kmod/format.c), the same
 * source the module runs. Every header field and every bound is pushed
 * past its limit; where a corruption must get past the checksum to reach
 * a field check, the test re-computes the checksum (a "planted" region).
 *
 * The keys here are test patterns, never real keys, and nothing prints
 * them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tap.h"

#define REGION 4096


static void check_verdict(int got, int want, const char *what)
{
	char line[256];

	snprintf(line, sizeof(line), "%s (want %s, got %s)", what,
		 kh_format_verdict_str(want), kh_format_verdict_str(got));
	check(got == want, line);
}

static const kh_u8 nonce[KH_NONCE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
					   9, 10, 11, 12, 13, 14, 15, 16 };

static void make_entry(struct kh_entry *e, unsigned int i, kh_u32 key_size)
{
	memset(e, 0, sizeof(*e));
	e->key_size = key_size;
	snprintf(e->uuid, sizeof(e->uuid),
		 "0123abcd-0000-4000-8000-%012x", i);
	snprintf(e->name, sizeof(e->name), "vol%u", i);
	memset(e->key, 0xa0 + i, key_size);
}

/* A valid stash of @count entries in @buf (REGION bytes, zero padded). */
static kh_size_t make_stash(kh_u8 *buf, kh_u32 count)
{
	struct kh_entry e[KH_MAX_ENTRIES];
	kh_u32 i;

	memset(buf, 0, REGION);
	for (i = 0; i < count; i++)
		make_entry(&e[i], i, 64);
	return (kh_size_t)kh_format_build(buf, REGION, e, count, nonce);
}

static kh_u32 get32(const kh_u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (kh_u32)p[3] << 24;
}

static void put32(kh_u8 *p, kh_u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Re-seal after a deliberate change, as an attacker with RAM access can. */
static void resum(kh_u8 *buf, kh_size_t total)
{
	kh_format_sha256(buf, total - KH_FORMAT_SUM_SIZE,
			 buf + total - KH_FORMAT_SUM_SIZE);
}

static int parse(const kh_u8 *buf, kh_size_t size)
{
	struct kh_entry out[KH_MAX_ENTRIES];
	kh_u32 count = 99;
	int v;

	v = kh_format_parse(buf, size, out, KH_MAX_ENTRIES, &count, NULL);
	if (v != KH_VERDICT_OK && count != 0)
		return -1;	/* a refusal must report no entries */
	return v;
}

static kh_u8 *entry_at(kh_u8 *buf, int i)
{
	return buf + KH_FORMAT_HEADER_SIZE + i * KH_FORMAT_ENTRY_SIZE;
}

static void test_sizes(void)
{
	check(kh_format_size(1) == 64 + 240 + 32, "one entry needs 336 bytes");
	check(kh_format_capacity(335) == 0, "335 bytes hold no entry");
	check(kh_format_capacity(336) == 1, "336 bytes hold one entry");
	check(kh_format_capacity(REGION) == KH_MAX_ENTRIES,
	      "a page holds the maximum of 16 entries");
	check(kh_format_capacity(0) == 0, "an empty region holds nothing");
	check(sizeof(struct kh_entry) == KH_FORMAT_ENTRY_SIZE,
	      "uapi entry has the format's entry size");
}

static void test_roundtrip(void)
{
	struct kh_entry in[KH_MAX_ENTRIES], out[KH_MAX_ENTRIES];
	kh_u8 buf[REGION], got_nonce[KH_NONCE_LEN];
	kh_u32 count = 0, i;
	long len;
	int v;

	memset(buf, 0, sizeof(buf));
	for (i = 0; i < KH_MAX_ENTRIES; i++)
		make_entry(&in[i], i, 1 + i * 4);
	len = kh_format_build(buf, sizeof(buf), in, KH_MAX_ENTRIES, nonce);
	check(len == (long)kh_format_size(KH_MAX_ENTRIES),
	      "build returns the stash size");
	v = kh_format_parse(buf, sizeof(buf), out, KH_MAX_ENTRIES, &count,
			    got_nonce);
	check_verdict(v, KH_VERDICT_OK, "16 entries parse back");
	check(count == KH_MAX_ENTRIES && !memcmp(in, out, sizeof(in)),
	      "entries survive the round trip byte for byte");
	check(!memcmp(got_nonce, nonce, KH_NONCE_LEN), "nonce round trip");
	v = kh_format_parse(buf, sizeof(buf), NULL, 0, &count, NULL);
	check(v == KH_VERDICT_OK && count == KH_MAX_ENTRIES,
	      "validate-only parse counts the entries");
	v = kh_format_parse(buf, sizeof(buf), out, KH_MAX_ENTRIES - 1,
			    &count, NULL);
	check(v != KH_VERDICT_OK && count == 0,
	      "an output array too small is refused");
	make_entry(&in[0], 0, KH_KEY_MAX);
	memset(buf, 0, sizeof(buf));
	kh_format_build(buf, sizeof(buf), in, 1, nonce);
	check_verdict(parse(buf, kh_format_size(1)), KH_VERDICT_OK,
		      "a region exactly the stash size parses");
}

static void test_build_refusals(void)
{
	struct kh_entry e[KH_MAX_ENTRIES + 1];
	kh_u8 buf[REGION], zero[REGION];
	int i;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i <= KH_MAX_ENTRIES; i++)
		make_entry(&e[i], i, 32);
	memset(buf, 0, sizeof(buf));
	check(kh_format_build(buf, sizeof(buf), e, 0, nonce) < 0,
	      "build refuses zero entries");
	check(kh_format_build(buf, sizeof(buf), e, KH_MAX_ENTRIES + 1,
			      nonce) < 0, "build refuses 17 entries");
	check(kh_format_build(buf, kh_format_size(2) - 1, e, 2, nonce) ==
		      -KH_VERDICT_TRUNCATED, "build refuses a short buffer");
	e[1].key_size = KH_KEY_MAX + 1;
	check(kh_format_build(buf, sizeof(buf), e, 2, nonce) ==
		      -KH_VERDICT_BAD_KEY, "build refuses a 129-byte key");
	e[1].key_size = 0;
	check(kh_format_build(buf, sizeof(buf), e, 2, nonce) ==
		      -KH_VERDICT_BAD_KEY, "build refuses an empty key");
	check(!memcmp(buf, zero, sizeof(buf)),
	      "a refused build writes nothing");
}

static void test_empty_and_noise(void)
{
	kh_u8 buf[REGION];
	unsigned int seed = 12345;
	int i;

	memset(buf, 0, sizeof(buf));
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_EMPTY,
		      "all-zero region means nothing handed over");
	memset(buf, 0xff, sizeof(buf));
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_MAGIC,
		      "all-0xFF region is refused");
	for (i = 0; i < REGION; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = seed >> 16;
	}
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_MAGIC,
		      "random bytes are refused");
	make_stash(buf, 1);
	buf[0] ^= 0x20;
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_MAGIC,
		      "wrong magic is refused");
	buf[REGION - 1] = 1;
	memset(buf, 0, 64);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_MAGIC,
		      "zero header with leftovers is not 'empty'");
}

static void test_version(void)
{
	kh_u8 buf[REGION];
	kh_size_t total = make_stash(buf, 1);

	put32(buf + KH_HDR_VERSION, 3);
	resum(buf, total);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_VERSION,
		      "a newer format version has its own verdict");
	put32(buf + KH_HDR_VERSION, 0);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_VERSION,
		      "version 0 is refused");
}

static void test_truncation(void)
{
	kh_u8 buf[REGION];
	kh_size_t total = make_stash(buf, 2);

	check_verdict(parse(buf, 7), KH_VERDICT_TRUNCATED,
		      "a region shorter than the magic");
	check_verdict(parse(buf, KH_FORMAT_HEADER_SIZE - 1),
		      KH_VERDICT_TRUNCATED, "a truncated header");
	check_verdict(parse(buf, total - 1), KH_VERDICT_TRUNCATED,
		      "total size one past the region");
	put32(buf + KH_HDR_TOTAL_SIZE, 0xffffffff);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_TRUNCATED,
		      "total size 0xffffffff");
	put32(buf + KH_HDR_TOTAL_SIZE, 0);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_TRUNCATED,
		      "total size 0 (would underflow the checksum offset)");
	put32(buf + KH_HDR_TOTAL_SIZE, KH_FORMAT_SUM_SIZE);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_TRUNCATED,
		      "total size smaller than header plus one entry");
}

/* Fields whose corruption has a more specific verdict than the sum. */
static int in_early_field(kh_size_t off)
{
	return off < KH_HDR_VERSION + 4 ||
	       (off >= KH_HDR_TOTAL_SIZE && off < KH_HDR_TOTAL_SIZE + 4);
}

static void test_bit_flips(void)
{
	kh_u8 buf[REGION];
	kh_size_t total = make_stash(buf, 2), off;
	int bit, refused = 0, sums = 0, flips = 0, v;

	for (off = 0; off < total; off++) {
		for (bit = 0; bit < 8; bit++) {
			buf[off] ^= 1 << bit;
			v = parse(buf, sizeof(buf));
			buf[off] ^= 1 << bit;
			flips++;
			refused += v != KH_VERDICT_OK;
			if (!in_early_field(off))
				sums += v == KH_VERDICT_BAD_CHECKSUM;
		}
	}
	check(refused == flips, "every single bit flip is refused");
	check(sums == flips - 8 * 16,
	      "flips past magic/version/size fail the checksum");
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_OK,
		      "the untouched stash still parses");
}

static void planted_header(kh_size_t field, kh_u32 value, int want,
			   const char *what)
{
	kh_u8 buf[REGION];
	kh_size_t total = make_stash(buf, 2);

	put32(buf + field, value);
	resum(buf, total);
	check_verdict(parse(buf, sizeof(buf)), want, what);
}

static void test_planted_header(void)
{
	planted_header(KH_HDR_COUNT, 0, KH_VERDICT_BAD_HEADER,
		       "zero entries with a valid checksum");
	planted_header(KH_HDR_COUNT, 1, KH_VERDICT_BAD_HEADER,
		       "count disagreeing with total size");
	planted_header(KH_HDR_COUNT, KH_MAX_ENTRIES + 1,
		       KH_VERDICT_BAD_HEADER, "17 entries");
	planted_header(KH_HDR_COUNT, 0x1745d17, KH_VERDICT_BAD_HEADER,
		       "a count whose size would wrap 32 bits");
	planted_header(KH_HDR_HEADER_SIZE, 65, KH_VERDICT_BAD_HEADER,
		       "wrong header size");
	planted_header(KH_HDR_ENTRY_SIZE, 175, KH_VERDICT_BAD_HEADER,
		       "wrong entry size");
	planted_header(KH_HDR_FLAGS, 1, KH_VERDICT_BAD_HEADER,
		       "unknown header flags");
	planted_header(KH_HDR_RESERVED + 12, 1, KH_VERDICT_BAD_HEADER,
		       "non-zero reserved header bytes");
}

/* Change entry 1 of a two-entry stash with @edit, re-seal, parse. */
static void planted_entry(void (*edit)(kh_u8 *e), int want, const char *what)
{
	struct kh_entry out[KH_MAX_ENTRIES], zero[KH_MAX_ENTRIES];
	kh_u8 buf[REGION];
	kh_size_t total = make_stash(buf, 2);
	kh_u32 count = 99;
	int v;

	edit(entry_at(buf, 1));
	resum(buf, total);
	memset(out, 0x55, sizeof(out));
	memset(zero, 0, sizeof(zero));
	v = kh_format_parse(buf, sizeof(buf), out, KH_MAX_ENTRIES, &count,
			    NULL);
	check_verdict(v, want, what);
	check(count == 0 && !memcmp(out, zero, 2 * sizeof(out[0])),
	      "  ... and no entry, not even the good first one, is returned");
}

static void key_zero(kh_u8 *e) { put32(e + KH_ENT_KEY_SIZE, 0); }
static void key_129(kh_u8 *e) { put32(e + KH_ENT_KEY_SIZE, 129); }
static void key_huge(kh_u8 *e) { put32(e + KH_ENT_KEY_SIZE, 0xffffffff); }
static void key_pad(kh_u8 *e)
{
	put32(e + KH_ENT_KEY_SIZE, 32);
	e[KH_ENT_KEY + 40] = 1;
}
static void ent_flags(kh_u8 *e) { put32(e + KH_ENT_FLAGS, 4); }
static void uuid_unterminated(kh_u8 *e) { memset(e + KH_ENT_UUID, 'a', 40); }
static void uuid_badchar(kh_u8 *e) { e[KH_ENT_UUID + 3] = 'g'; }
static void uuid_nodash(kh_u8 *e) { e[KH_ENT_UUID + 8] = '0'; }
static void uuid_short(kh_u8 *e) { e[KH_ENT_UUID + 35] = 0; }
static void uuid_tail(kh_u8 *e) { e[KH_ENT_UUID + 39] = 'x'; }
static void name_empty(kh_u8 *e) { memset(e + KH_ENT_NAME, 0, 64); }
static void name_slash(kh_u8 *e) { e[KH_ENT_NAME + 1] = '/'; }
static void name_dot(kh_u8 *e) { e[KH_ENT_NAME] = '.'; }
static void name_unterminated(kh_u8 *e) { memset(e + KH_ENT_NAME, 'n', 64); }
static void name_tail(kh_u8 *e) { e[KH_ENT_NAME + 60] = 'z'; }
static void name_newline(kh_u8 *e) { e[KH_ENT_NAME + 2] = '\n'; }

static void test_planted_entries(void)
{
	planted_entry(key_zero, KH_VERDICT_BAD_KEY, "key length 0");
	planted_entry(key_129, KH_VERDICT_BAD_KEY, "key length 129");
	planted_entry(key_huge, KH_VERDICT_BAD_KEY, "key length 0xffffffff");
	planted_entry(key_pad, KH_VERDICT_BAD_KEY,
		      "bytes past the key length");
	planted_entry(ent_flags, KH_VERDICT_BAD_ENTRY, "unknown entry flags");
	planted_entry(uuid_unterminated, KH_VERDICT_BAD_UUID,
		      "UUID without a terminator");
	planted_entry(uuid_badchar, KH_VERDICT_BAD_UUID, "UUID non-hex");
	planted_entry(uuid_nodash, KH_VERDICT_BAD_UUID, "UUID without dash");
	planted_entry(uuid_short, KH_VERDICT_BAD_UUID, "UUID too short");
	planted_entry(uuid_tail, KH_VERDICT_BAD_UUID,
		      "UUID with bytes after its terminator");
	planted_entry(name_empty, KH_VERDICT_BAD_NAME, "empty name");
	planted_entry(name_slash, KH_VERDICT_BAD_NAME, "name with a slash");
	planted_entry(name_dot, KH_VERDICT_BAD_NAME, "name starting with .");
	planted_entry(name_unterminated, KH_VERDICT_BAD_NAME,
		      "name without a terminator");
	planted_entry(name_tail, KH_VERDICT_BAD_NAME,
		      "name with bytes after its terminator");
	planted_entry(name_newline, KH_VERDICT_BAD_NAME,
		      "name with a newline");
}

/*
 * A version 1 stash, as a module before keys of up to 128 bytes wrote
 * it: 176-byte entries with a 64-byte key field. Written here field by
 * field, not by the codec, so that the reader is checked against the
 * layout and not against itself.
 */
#define V1_ENTRY 176

static kh_size_t make_v1_stash(kh_u8 *buf, const struct kh_entry *e,
			       kh_u32 count, kh_u32 key_size_override)
{
	kh_size_t total = 64 + count * V1_ENTRY + 32;
	kh_u32 i;

	memset(buf, 0, REGION);
	memcpy(buf, KH_FORMAT_MAGIC, KH_FORMAT_MAGIC_LEN);
	put32(buf + 8, 1);
	put32(buf + 12, 64);
	put32(buf + 16, total);
	put32(buf + 20, count);
	put32(buf + 24, V1_ENTRY);
	memcpy(buf + 32, nonce, KH_NONCE_LEN);
	for (i = 0; i < count; i++) {
		kh_u8 *p = buf + 64 + i * V1_ENTRY;

		put32(p, key_size_override ? key_size_override : e[i].key_size);
		memcpy(p + 8, e[i].uuid, KH_UUID_LEN);
		memcpy(p + 48, e[i].name, KH_NAME_LEN);
		memcpy(p + 112, e[i].key, 64);
	}
	resum(buf, total);
	return total;
}

static void test_versions_read(void)
{
	struct kh_entry in[3], out[KH_MAX_ENTRIES];
	kh_u8 buf[REGION], got[KH_NONCE_LEN];
	kh_u32 count = 0;
	int v;

	make_entry(&in[0], 0, 32);
	make_entry(&in[1], 1, 64);
	make_entry(&in[2], 2, 16);
	make_v1_stash(buf, in, 3, 0);
	v = kh_format_parse(buf, sizeof(buf), out, KH_MAX_ENTRIES, &count,
			    got);
	check_verdict(v, KH_VERDICT_OK, "a version 1 stash is still read");
	check(count == 3 && !memcmp(in, out, 3 * sizeof(in[0])) &&
		      !memcmp(got, nonce, KH_NONCE_LEN),
	      "  ... its entries and nonce come back as written");
	make_v1_stash(buf, in, 1, 65);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_KEY,
		      "a version 1 key over its 64-byte field is refused");
	make_v1_stash(buf, in, 2, 0);
	put32(buf + 24, KH_FORMAT_ENTRY_SIZE);
	resum(buf, 64 + 2 * V1_ENTRY + 32);
	check_verdict(parse(buf, sizeof(buf)), KH_VERDICT_BAD_HEADER,
		      "a version 1 header with version 2's entry size");

	/* LUKS2 with integrity: aes-xts 512 + hmac-sha256, + hmac-sha512. */
	make_entry(&in[0], 0, 96);
	make_entry(&in[1], 1, KH_KEY_MAX);
	memset(buf, 0, sizeof(buf));
	check(kh_format_build(buf, sizeof(buf), in, 2, nonce) ==
		      (long)kh_format_size(2), "96- and 128-byte keys build");
	v = kh_format_parse(buf, sizeof(buf), out, KH_MAX_ENTRIES, &count,
			    NULL);
	check(v == KH_VERDICT_OK && count == 2 &&
		      !memcmp(in, out, 2 * sizeof(in[0])),
	      "  ... and parse back byte for byte");
	check(get32(buf + KH_HDR_VERSION) == 2 &&
		      get32(buf + KH_HDR_ENTRY_SIZE) == 240,
	      "what is written is version 2 with 240-byte entries");
}

static void test_verdict_strings(void)
{
	int i, j, ok = 1;

	for (i = 0; i < KH_VERDICT_MAX; i++)
		for (j = 0; j < i; j++)
			ok &= strcmp(kh_format_verdict_str(i),
				     kh_format_verdict_str(j)) != 0;
	check(ok, "every verdict has its own message");
	check(!strcmp(kh_format_verdict_str(-1), "unknown verdict") &&
		      !strcmp(kh_format_verdict_str(KH_VERDICT_MAX),
			      "unknown verdict"),
	      "out-of-range verdicts are named, not read out of bounds");
	check(get32((const kh_u8 *)"\1\0\0\0") == 1, "little-endian helper");
}

int main(void)
{
	test_sizes();
	test_roundtrip();
	test_build_refusals();
	test_empty_and_noise();
	test_version();
	test_truncation();
	test_bit_flips();
	test_planted_header();
	test_planted_entries();
	test_versions_read();
	test_verdict_strings();
	return khu_tap_done();
}
