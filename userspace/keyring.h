/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keyring mode, userspace side (libkeyutils): name keys for the module to
 * take in the old kernel, and put restored keys into a keyring in the new
 * one, for restore --to-keyring and for crypttab's link-volume-key=.
 * Returns negative errno, never prints.
 */
#ifndef KHU_KEYRING_H
#define KHU_KEYRING_H

#include <stddef.h>
#include <stdint.h>

/* The keyring the new kernel's keys go into, inside the caller's choice. */
#define KHU_KEYRING_NAME	"keyhandover"
/* A restored key's description: this prefix and the mapping name. */
#define KHU_KEYRING_PREFIX	"keyhandover:"
/* Seconds a restored key lives unless --key-timeout says otherwise. */
#define KHU_KEYRING_TIMEOUT	300
/* The lockdown LSM's state: "none [integrity] confidentiality". */
#define KHU_LOCKDOWN_PATH	"/sys/kernel/security/lockdown"

int khu_keyring_parse_ref(const char *spec, uint32_t *type, const char **desc);
const char *khu_keyring_type_name(uint32_t type);
int khu_keyring_special(const char *spec, int32_t *id);
int khu_keyring_parse_parent(const char *spec, int32_t *id);
int khu_keyring_other_type(uint32_t type, const char *desc);
int khu_keyring_open_ring(int32_t parent, int32_t *ring);
int khu_keyring_add(int32_t ring, const char *name, const void *key,
		    size_t len, unsigned int timeout, int32_t *id);
int khu_keyring_revoke(int32_t ring, int32_t id);
int khu_keyring_take(int32_t special, const char *name, uint32_t type,
		     const char *desc, uint32_t size, int32_t *id);
void khu_keyring_drop(int32_t id);
int khu_keyring_sealed(const char *path);
int khu_keyring_find_ring(int32_t special, const char *name, int32_t *ring);
int khu_keyring_link(int32_t ring, uint32_t type, const char *desc,
		     const void *key, size_t len, int32_t *id);

#endif /* KHU_KEYRING_H */
