// SPDX-License-Identifier: GPL-2.0
/* What the format codec needs from the kernel: SHA-256 and a sure wipe. */
#include <crypto/sha2.h>
#include <linux/string.h>

#include "format.h"

void kh_format_sha256(const void *data, kh_size_t len,
		      kh_u8 out[KH_FORMAT_SUM_SIZE])
{
	sha256(data, len, out);
}

void kh_format_wipe(void *p, kh_size_t len)
{
	memzero_explicit(p, len);
}
