/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Passphrases from a key file, the terminal or a line of stdin.
 */
#ifndef KH_PASSPHRASE_H
#define KH_PASSPHRASE_H

#include <stddef.h>

/* cryptsetup reads at most this much of a key file by our rules. */
#define KH_PASSPHRASE_MAX	8192

/* A passphrase in locked memory: @len bytes at @buf, then a NUL. */
struct kh_passphrase {
	char *buf;
	size_t len;
};

int kh_passphrase_read_file(const char *path, struct kh_passphrase *pw);
int kh_passphrase_file_exposed(const char *path, unsigned int *mode);
int kh_passphrase_read(const char *device, struct kh_passphrase *pw);
void kh_passphrase_free(struct kh_passphrase *pw);

#endif /* KH_PASSPHRASE_H */
