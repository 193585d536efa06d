/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handover format v2: the bytes that cross kexec in the region. v1, the
 * same with 64-byte key fields, is still read (a kernel armed by an older
 * module hands over to a newer one) and no longer written.
 *
 * Pure C, shared verbatim by the module, the userspace unit tests and the
 * fuzzer. It needs fixed-width types (supplied by the includer through
 * format_types.h) and two functions each side implements with its own
 * means: kh_format_sha256() and kh_format_wipe() (format_kernel.c,
 * userspace/format_user.c). The layout is in docs/format.md.
 */
#ifndef KH_FORMAT_H
#define KH_FORMAT_H

#include "format_types.h"
#include "uapi/keyhandover.h"

#define KH_FORMAT_VERSION	2
#define KH_FORMAT_MAGIC		"KHANDOV\x01"
#define KH_FORMAT_MAGIC_LEN	8
#define KH_FORMAT_HEADER_SIZE	64
#define KH_FORMAT_ENTRY_SIZE	(KH_ENT_KEY + KH_KEY_MAX)	/* 240 */
#define KH_FORMAT_SUM_SIZE	32

/* Version 1: read only. */
#define KH_FORMAT_V1_KEY_MAX	64
#define KH_FORMAT_V1_ENTRY_SIZE	(KH_ENT_KEY + KH_FORMAT_V1_KEY_MAX)	/* 176 */

/* Offsets of the header fields, little-endian. */
#define KH_HDR_MAGIC		0
#define KH_HDR_VERSION		8
#define KH_HDR_HEADER_SIZE	12
#define KH_HDR_TOTAL_SIZE	16
#define KH_HDR_COUNT		20
#define KH_HDR_ENTRY_SIZE	24
#define KH_HDR_FLAGS		28
#define KH_HDR_NONCE		32
#define KH_HDR_RESERVED		48

/* Offsets inside one entry. */
#define KH_ENT_KEY_SIZE		0
#define KH_ENT_FLAGS		4
#define KH_ENT_UUID		8
#define KH_ENT_NAME		(KH_ENT_UUID + KH_UUID_LEN)
#define KH_ENT_KEY		(KH_ENT_NAME + KH_NAME_LEN)

/* Bytes a stash of @count entries occupies, header and checksum included. */
static inline kh_size_t kh_format_size(kh_u32 count)
{
	return KH_FORMAT_HEADER_SIZE + (kh_size_t)count * KH_FORMAT_ENTRY_SIZE +
	       KH_FORMAT_SUM_SIZE;
}

/* Entries that fit in a region of @region_size bytes. */
kh_u32 kh_format_capacity(kh_size_t region_size);

/* Implemented by the includer: SHA-256 of @len bytes at @data. */
void kh_format_sha256(const void *data, kh_size_t len,
		      kh_u8 out[KH_FORMAT_SUM_SIZE]);

/* Implemented by the includer: zero @len bytes, never optimised away. */
void kh_format_wipe(void *p, kh_size_t len);

/*
 * Validate a mapping name in a field of @size bytes (KH_NAME_LEN in an
 * entry; strlen() + 1 for a string of its own, whose length is then the
 * caller's to check). Returns KH_VERDICT_OK or KH_VERDICT_BAD_NAME.
 */
int kh_format_check_name(const char *name, kh_size_t size);

/*
 * Validate one entry as given by a caller (the same rules the parser
 * applies). Returns KH_VERDICT_OK or the reason it is refused.
 */
int kh_format_check_entry(const struct kh_entry *e);

/*
 * Serialise @count entries and @nonce into @buf. The bytes of @buf past
 * the stash are left alone. Returns the stash size, or a negative
 * kh_verdict when an entry is invalid or it does not fit (nothing is
 * written in that case).
 */
long kh_format_build(void *buf, kh_size_t buf_size,
		     const struct kh_entry *entries, kh_u32 count,
		     const kh_u8 nonce[KH_NONCE_LEN]);

/*
 * Parse and validate @buf. On KH_VERDICT_OK, @out holds *@count entries
 * (@out_cap must be at least that) and @nonce the stash's nonce; on any
 * other verdict *@count is 0 and @out is left zeroed. @out may be NULL to
 * only validate. Never reads past @buf + @buf_size.
 */
int kh_format_parse(const void *buf, kh_size_t buf_size,
		    struct kh_entry *out, kh_u32 out_cap, kh_u32 *count,
		    kh_u8 nonce[KH_NONCE_LEN]);

/* A one-line English description of @verdict, never NULL. */
const char *kh_format_verdict_str(int verdict);

#endif /* KH_FORMAT_H */
