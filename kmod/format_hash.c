// SPDX-License-Identifier: GPL-2.0
/* The format codec's hash in the kernel: lib/crypto's SHA-256. */
#include <crypto/sha2.h>

#include "format.h"

void kh_format_sha256(const void *data, kh_size_t len,
		      kh_u8 out[KH_FORMAT_SUM_SIZE])
{
	sha256(data, len, out);
}
