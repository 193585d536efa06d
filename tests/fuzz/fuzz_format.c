// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the handover format codec (kmod/format.c), built
 * with ASan and UBSan. The input is a region as the new kernel finds it.
 * Beyond "no crash, no out-of-bounds read", it checks two properties:
 *  - a refusal returns no entries (the output array stays zero);
 *  - whatever parses rebuilds to the very same bytes (no field the parser
 *    accepts is ignored by it); a version 1 stash, which is read but no
 *    longer written, rebuilds as version 2 and parses back to the very
 *    same entries and nonce (nothing is lost between the versions).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define KH_FUZZ_REGION 4096

static void kh_fuzz_roundtrip(const uint8_t *data, size_t size,
			      const struct kh_entry *out, kh_u32 count,
			      const kh_u8 *nonce)
{
	static uint8_t again[KH_FUZZ_REGION];
	static struct kh_entry back[KH_MAX_ENTRIES];
	kh_u8 nonce_back[KH_NONCE_LEN];
	kh_u32 n = 0;
	long len;

	memset(again, 0, sizeof(again));
	if (data[KH_HDR_VERSION] == KH_FORMAT_VERSION) {
		len = kh_format_build(again, size, out, count, nonce);
		if (len < 0 || memcmp(again, data, (size_t)len))
			abort();
		return;
	}
	len = kh_format_build(again, sizeof(again), out, count, nonce);
	if (len < 0 ||
	    kh_format_parse(again, sizeof(again), back, KH_MAX_ENTRIES, &n,
			    nonce_back) != KH_VERDICT_OK ||
	    n != count || memcmp(back, out, count * sizeof(*out)) ||
	    memcmp(nonce_back, nonce, KH_NONCE_LEN))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct kh_entry zero[KH_MAX_ENTRIES];
	struct kh_entry out[KH_MAX_ENTRIES];
	kh_u8 nonce[KH_NONCE_LEN];
	kh_u32 count = 1234;
	int verdict;

	if (size > KH_FUZZ_REGION)
		return -1;
	memset(out, 0, sizeof(out));
	verdict = kh_format_parse(data, size, out, KH_MAX_ENTRIES, &count,
				  nonce);
	if (verdict < 0 || verdict >= KH_VERDICT_MAX)
		abort();
	if (verdict != KH_VERDICT_OK) {
		if (count || memcmp(out, zero, sizeof(out)))
			abort();
		return 0;
	}
	if (count == 0 || count > KH_MAX_ENTRIES)
		abort();
	kh_fuzz_roundtrip(data, size, out, count, nonce);
	return 0;
}
