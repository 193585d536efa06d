// SPDX-License-Identifier: GPL-2.0
/*
 * What the format codec needs in userspace (the tool, unit tests, fuzzer):
 * OpenSSL's SHA-256, the same function the module takes from lib/crypto,
 * and a wipe the compiler may not drop.
 */
#include <openssl/sha.h>
#include <string.h>

#include "format.h"

void kh_format_sha256(const void *data, kh_size_t len,
		      kh_u8 out[KH_FORMAT_SUM_SIZE])
{
	SHA256(data, len, out);
}

void kh_format_wipe(void *p, kh_size_t len)
{
	explicit_bzero(p, len);
}
