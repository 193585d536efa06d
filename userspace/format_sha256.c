// SPDX-License-Identifier: GPL-2.0
/*
 * The format codec's hash for userspace (the tool, unit tests, fuzzer):
 * OpenSSL's SHA-256, the same function the module takes from lib/crypto.
 */
#include <openssl/sha.h>

#include "format.h"

void kh_format_sha256(const void *data, kh_size_t len,
		      kh_u8 out[KH_FORMAT_SUM_SIZE])
{
	SHA256(data, len, out);
}
