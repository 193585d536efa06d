/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcryptsetup wrappers: open LUKS devices, derive and use volume keys.
 */
#ifndef KH_LUKS_H
#define KH_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypt_device;

/* kh_luks_activate(): the mapping already existed for this volume. */
#define KH_LUKS_ALREADY_OPEN	1

void kh_luks_set_verbose(bool verbose);
int kh_luks_open(const char *path, struct crypt_device **out);
int kh_luks_open_by_uuid(const char *uuid, struct crypt_device **out);
void kh_luks_close(struct crypt_device *cd);
const char *kh_luks_uuid(struct crypt_device *cd);
const char *kh_luks_path(struct crypt_device *cd);
int kh_luks_key_size(struct crypt_device *cd);
bool kh_luks_detached(struct crypt_device *cd, uint64_t *offset);
int kh_luks_derive(struct crypt_device *cd, const char *pass, size_t pass_len,
		   void *key, size_t key_size);
int kh_luks_verify(struct crypt_device *cd, const void *key, size_t key_size);
int kh_luks_activate(struct crypt_device *cd, const char *name,
		     const void *key, size_t key_size);
int kh_luks_find_mapping(const char *uuid, char *name, size_t len);

#endif /* KH_LUKS_H */
