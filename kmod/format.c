// SPDX-License-Identifier: GPL-2.0
/*
 * Handover format codec: writes v2, reads v2 and v1. See format.h and
 * docs/format.md.
 *
 * The region is untrusted input in the new kernel: every field is checked
 * against the region size before it is used, sizes are computed in 64
 * bits so that no sum can wrap, and nothing here allocates or prints.
 */
#include "format.h"

static kh_u32 kh_get_le32(const kh_u8 *p)
{
	return (kh_u32)p[0] | (kh_u32)p[1] << 8 | (kh_u32)p[2] << 16 |
	       (kh_u32)p[3] << 24;
}

static void kh_put_le32(kh_u8 *p, kh_u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int kh_all_zero(const kh_u8 *p, kh_size_t len)
{
	kh_u8 acc = 0;

	while (len--)
		acc |= *p++;
	return acc == 0;
}

/* Constant time: the checksum is not secret, but this costs nothing. */
static int kh_sum_equal(const kh_u8 *a, const kh_u8 *b)
{
	kh_u8 diff = 0;
	int i;

	for (i = 0; i < KH_FORMAT_SUM_SIZE; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* What differs between the versions this codec reads. */
struct kh_format_layout {
	kh_u32 version;
	kh_u32 entry_size;
	kh_u32 key_max;		/* bytes of the entry's key field */
};

static const struct kh_format_layout kh_format_layouts[] = {
	{ 1, KH_FORMAT_V1_ENTRY_SIZE, KH_FORMAT_V1_KEY_MAX },
	{ KH_FORMAT_VERSION, KH_FORMAT_ENTRY_SIZE, KH_KEY_MAX },
};

static const struct kh_format_layout *kh_format_layout(kh_u32 version)
{
	kh_size_t i;

	for (i = 0; i < ARRAY_SIZE(kh_format_layouts); i++)
		if (kh_format_layouts[i].version == version)
			return &kh_format_layouts[i];
	return NULL;
}

static kh_size_t kh_layout_size(const struct kh_format_layout *l,
				kh_u32 count)
{
	return KH_FORMAT_HEADER_SIZE + (kh_size_t)count * l->entry_size +
	       KH_FORMAT_SUM_SIZE;
}

kh_u32 kh_format_capacity(kh_size_t region_size)
{
	kh_size_t fixed = KH_FORMAT_HEADER_SIZE + KH_FORMAT_SUM_SIZE;
	kh_size_t n;

	if (region_size < fixed)
		return 0;
	n = (region_size - fixed) / KH_FORMAT_ENTRY_SIZE;
	return n > KH_MAX_ENTRIES ? KH_MAX_ENTRIES : (kh_u32)n;
}

static int kh_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits, NUL at 36, zero padding to the field's end. */
static int kh_check_uuid(const char *uuid)
{
	int i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (uuid[i] != '-')
				return KH_VERDICT_BAD_UUID;
		} else if (!kh_is_hex(uuid[i])) {
			return KH_VERDICT_BAD_UUID;
		}
	}
	if (!kh_all_zero((const kh_u8 *)uuid + 36, KH_UUID_LEN - 36))
		return KH_VERDICT_BAD_UUID;
	return KH_VERDICT_OK;
}

/*
 * A device-mapper name that is also safe in a path and in a log line:
 * letters, digits and "_-.+", not starting with '.', NUL-terminated
 * within @size bytes and zero padded to them. The tool checks --name and
 * crypttab's names here too, so that it refuses what the module would.
 */
int kh_format_check_name(const char *name, kh_size_t size)
{
	kh_size_t i;

	if (!size || name[0] == '\0' || name[0] == '.')
		return KH_VERDICT_BAD_NAME;
	for (i = 0; i < size && name[i]; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.' || c == '+'))
			return KH_VERDICT_BAD_NAME;
	}
	if (i == size)	/* not terminated */
		return KH_VERDICT_BAD_NAME;
	if (!kh_all_zero((const kh_u8 *)name + i, size - i))
		return KH_VERDICT_BAD_NAME;
	return KH_VERDICT_OK;
}

int kh_format_check_entry(const struct kh_entry *e)
{
	int ret;

	if (e->key_size == 0 || e->key_size > KH_KEY_MAX)
		return KH_VERDICT_BAD_KEY;
	if (!kh_all_zero(e->key + e->key_size, KH_KEY_MAX - e->key_size))
		return KH_VERDICT_BAD_KEY;
	if (e->flags)
		return KH_VERDICT_BAD_ENTRY;
	ret = kh_check_uuid(e->uuid);
	if (ret)
		return ret;
	return kh_format_check_name(e->name, KH_NAME_LEN);
}

static void kh_put_entry(kh_u8 *p, const struct kh_entry *e)
{
	kh_put_le32(p + KH_ENT_KEY_SIZE, e->key_size);
	kh_put_le32(p + KH_ENT_FLAGS, e->flags);
	memcpy(p + KH_ENT_UUID, e->uuid, KH_UUID_LEN);
	memcpy(p + KH_ENT_NAME, e->name, KH_NAME_LEN);
	memcpy(p + KH_ENT_KEY, e->key, KH_KEY_MAX);
}

/*
 * An entry of either version into struct kh_entry: a v1 key field is
 * shorter, and the rest of e->key stays zero. A key_size larger than the
 * version's key field is refused here, before kh_format_check_entry()
 * would take it for a valid v2 size.
 */
static int kh_get_entry(const kh_u8 *p, const struct kh_format_layout *l,
			struct kh_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->key_size = kh_get_le32(p + KH_ENT_KEY_SIZE);
	e->flags = kh_get_le32(p + KH_ENT_FLAGS);
	memcpy(e->uuid, p + KH_ENT_UUID, KH_UUID_LEN);
	memcpy(e->name, p + KH_ENT_NAME, KH_NAME_LEN);
	memcpy(e->key, p + KH_ENT_KEY, l->key_max);
	if (e->key_size > l->key_max)
		return KH_VERDICT_BAD_KEY;
	return kh_format_check_entry(e);
}

long kh_format_build(void *buf, kh_size_t buf_size,
		     const struct kh_entry *entries, kh_u32 count,
		     const kh_u8 nonce[KH_NONCE_LEN])
{
	kh_u8 *p = buf;
	kh_size_t total;
	kh_u32 i;
	int ret;

	if (count == 0 || count > KH_MAX_ENTRIES)
		return -KH_VERDICT_BAD_HEADER;
	total = kh_format_size(count);
	if (total > buf_size)
		return -KH_VERDICT_TRUNCATED;
	for (i = 0; i < count; i++) {
		ret = kh_format_check_entry(&entries[i]);
		if (ret)
			return -ret;
	}

	memset(p, 0, KH_FORMAT_HEADER_SIZE);
	memcpy(p + KH_HDR_MAGIC, KH_FORMAT_MAGIC, KH_FORMAT_MAGIC_LEN);
	kh_put_le32(p + KH_HDR_VERSION, KH_FORMAT_VERSION);
	kh_put_le32(p + KH_HDR_HEADER_SIZE, KH_FORMAT_HEADER_SIZE);
	kh_put_le32(p + KH_HDR_TOTAL_SIZE, (kh_u32)total);
	kh_put_le32(p + KH_HDR_COUNT, count);
	kh_put_le32(p + KH_HDR_ENTRY_SIZE, KH_FORMAT_ENTRY_SIZE);
	memcpy(p + KH_HDR_NONCE, nonce, KH_NONCE_LEN);
	for (i = 0; i < count; i++)
		kh_put_entry(p + KH_FORMAT_HEADER_SIZE +
				     (kh_size_t)i * KH_FORMAT_ENTRY_SIZE,
			     &entries[i]);
	kh_format_sha256(p, total - KH_FORMAT_SUM_SIZE,
			 p + total - KH_FORMAT_SUM_SIZE);
	return (long)total;
}

/*
 * Header checks up to and including the checksum. Sets *@count and
 * *@layout.
 */
static int kh_parse_header(const kh_u8 *p, kh_size_t buf_size, kh_u32 *count,
			   const struct kh_format_layout **layout)
{
	const struct kh_format_layout *l;
	kh_u8 sum[KH_FORMAT_SUM_SIZE];
	kh_u64 total;
	kh_u32 n;

	if (buf_size < KH_FORMAT_MAGIC_LEN)
		return KH_VERDICT_TRUNCATED;
	if (kh_all_zero(p, buf_size))
		return KH_VERDICT_EMPTY;
	if (memcmp(p + KH_HDR_MAGIC, KH_FORMAT_MAGIC, KH_FORMAT_MAGIC_LEN))
		return KH_VERDICT_BAD_MAGIC;
	if (buf_size < KH_FORMAT_HEADER_SIZE)
		return KH_VERDICT_TRUNCATED;
	l = kh_format_layout(kh_get_le32(p + KH_HDR_VERSION));
	if (!l)
		return KH_VERDICT_BAD_VERSION;

	/* Bound the checksummed length before hashing anything. */
	total = kh_get_le32(p + KH_HDR_TOTAL_SIZE);
	if (total < kh_layout_size(l, 1) || total > buf_size)
		return KH_VERDICT_TRUNCATED;
	kh_format_sha256(p, (kh_size_t)total - KH_FORMAT_SUM_SIZE, sum);
	if (!kh_sum_equal(sum, p + total - KH_FORMAT_SUM_SIZE))
		return KH_VERDICT_BAD_CHECKSUM;

	/* The checksum only proves the writer meant it; check the fields. */
	n = kh_get_le32(p + KH_HDR_COUNT);
	if (kh_get_le32(p + KH_HDR_HEADER_SIZE) != KH_FORMAT_HEADER_SIZE ||
	    kh_get_le32(p + KH_HDR_ENTRY_SIZE) != l->entry_size ||
	    kh_get_le32(p + KH_HDR_FLAGS) != 0 ||
	    !kh_all_zero(p + KH_HDR_RESERVED,
			 KH_FORMAT_HEADER_SIZE - KH_HDR_RESERVED) ||
	    n == 0 || n > KH_MAX_ENTRIES || total != kh_layout_size(l, n))
		return KH_VERDICT_BAD_HEADER;
	*count = n;
	*layout = l;
	return KH_VERDICT_OK;
}

int kh_format_parse(const void *buf, kh_size_t buf_size,
		    struct kh_entry *out, kh_u32 out_cap, kh_u32 *count,
		    kh_u8 nonce[KH_NONCE_LEN])
{
	const struct kh_format_layout *l = NULL;
	const kh_u8 *p = buf;
	struct kh_entry e;
	kh_u32 n = 0, i;
	int ret;

	*count = 0;
	ret = kh_parse_header(p, buf_size, &n, &l);
	if (ret)
		return ret;
	if (out && out_cap < n)
		return KH_VERDICT_TRUNCATED;

	for (i = 0; i < n; i++) {
		ret = kh_get_entry(p + KH_FORMAT_HEADER_SIZE +
					   (kh_size_t)i * l->entry_size,
				   l, &e);
		if (ret)
			break;
		if (out)
			out[i] = e;
	}
	/* The local copy held a key: clear it on every path. */
	kh_format_wipe(&e, sizeof(e));
	if (ret) {
		if (out)
			kh_format_wipe(out, (kh_size_t)n * sizeof(*out));
		return ret;
	}
	if (nonce)
		memcpy(nonce, p + KH_HDR_NONCE, KH_NONCE_LEN);
	*count = n;
	return KH_VERDICT_OK;
}

static const char *const kh_verdict_strs[KH_VERDICT_MAX] = {
	[KH_VERDICT_OK] = "valid hand-over",
	[KH_VERDICT_EMPTY] = "nothing was handed over",
	[KH_VERDICT_BAD_MAGIC] = "not a keyhandover region (bad magic)",
	[KH_VERDICT_BAD_VERSION] = "unsupported handover format version",
	[KH_VERDICT_TRUNCATED] = "a size field points past the region",
	[KH_VERDICT_BAD_CHECKSUM] = "checksum mismatch (corrupted region)",
	[KH_VERDICT_BAD_HEADER] = "invalid header fields",
	[KH_VERDICT_BAD_KEY] = "invalid key length",
	[KH_VERDICT_BAD_UUID] = "malformed volume UUID",
	[KH_VERDICT_BAD_NAME] = "malformed mapping name",
	[KH_VERDICT_BAD_ENTRY] = "invalid entry flags",
	[KH_VERDICT_STALE] = "stale hand-over: not from the kexec that started this kernel",
};

const char *kh_format_verdict_str(int verdict)
{
	if (verdict < 0 || verdict >= KH_VERDICT_MAX)
		return "unknown verdict";
	return kh_verdict_strs[verdict];
}
