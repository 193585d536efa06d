/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Locked, never-dumped buffers for passphrases and volume keys.
 */
#ifndef KHU_SECMEM_H
#define KHU_SECMEM_H

#include <stddef.h>

int khu_secmem_harden_process(void);
int khu_secmem_alloc(size_t len, void **out);
int khu_secmem_alloc_shared(size_t len, void **out);
void khu_secmem_forget_shared(void);
int khu_secmem_lock_all(void);
void khu_secmem_free(void *p);
void khu_secmem_stats(size_t *count, size_t *bytes);
/* Zero every live buffer in place (what a fatal signal does). */
void khu_secmem_wipe_all(void);
/*
 * @fn runs first when a fatal signal arrives (NULL: none); it must be
 * async-signal-safe. The passphrase prompt uses it to restore echo.
 */
void khu_secmem_set_fatal_hook(void (*fn)(void));

#endif /* KHU_SECMEM_H */
