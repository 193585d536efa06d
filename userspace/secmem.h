/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Locked, never-dumped buffers for passphrases and volume keys.
 */
#ifndef KH_SECMEM_H
#define KH_SECMEM_H

#include <stddef.h>

int kh_secmem_harden_process(void);
int kh_secmem_alloc(size_t len, void **out);
void kh_secmem_free(void *p);
void kh_secmem_stats(size_t *count, size_t *bytes);
/* Zero every live buffer in place (what a fatal signal does). */
void kh_secmem_wipe_all(void);
/*
 * @fn runs first when a fatal signal arrives (NULL: none); it must be
 * async-signal-safe. The passphrase prompt uses it to restore echo.
 */
void kh_secmem_set_fatal_hook(void (*fn)(void));

#endif /* KH_SECMEM_H */
