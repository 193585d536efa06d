/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcryptsetup wrappers: open LUKS devices, derive and use volume keys.
 */
#ifndef KHU_LUKS_H
#define KHU_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypt_device;

/* khu_luks_activate(): the mapping already existed for this volume. */
#define KHU_LUKS_ALREADY_OPEN	1

void khu_luks_set_verbose(bool verbose);
int khu_luks_open(const char *path, struct crypt_device **out);
int khu_luks_open_by_uuid(const char *uuid, struct crypt_device **out);
bool khu_luks_present(const char *uuid);
void khu_luks_warm_up(struct crypt_device *cd);
int khu_luks_reload(struct crypt_device *cd);
void khu_luks_close(struct crypt_device *cd);
const char *khu_luks_uuid(struct crypt_device *cd);
const char *khu_luks_path(struct crypt_device *cd);
int khu_luks_key_size(struct crypt_device *cd);
bool khu_luks_detached(struct crypt_device *cd, uint64_t *offset);
int khu_luks_derive(struct crypt_device *cd, const char *pass, size_t pass_len,
		    void *key, size_t key_size);
int khu_luks_verify(struct crypt_device *cd, const void *key, size_t key_size);
uint32_t khu_luks_flags(unsigned int opts);
int khu_luks_activate(struct crypt_device *cd, const char *name,
		      const void *key, size_t key_size, unsigned int opts);
int khu_luks_find_mapping(const char *uuid, char *name, size_t len);

#endif /* KHU_LUKS_H */
