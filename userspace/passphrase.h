/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Passphrases from a key file, the terminal or a line of stdin.
 */
#ifndef KHU_PASSPHRASE_H
#define KHU_PASSPHRASE_H

#include <stddef.h>

/* cryptsetup reads at most this much of a key file by our rules. */
#define KHU_PASSPHRASE_MAX	8192

/* Where khu_passphrase_read() would take a passphrase from. */
enum khu_passphrase_source {
	KHU_PASSPHRASE_TTY,	/* a prompt on the terminal */
	KHU_PASSPHRASE_STDIN,	/* a line of a pipe or file */
	KHU_PASSPHRASE_NOWHERE,	/* nothing to ask on: it would fail or hang */
};

/* A passphrase in locked memory: @len bytes at @buf, then a NUL. */
struct khu_passphrase {
	char *buf;
	size_t len;
};

int khu_passphrase_read_file(const char *path, struct khu_passphrase *pw);
int khu_passphrase_file_exposed(const char *path, unsigned int *mode);
int khu_passphrase_read(const char *device, struct khu_passphrase *pw);
enum khu_passphrase_source khu_passphrase_source(void);
void khu_passphrase_free(struct khu_passphrase *pw);

#endif /* KHU_PASSPHRASE_H */
