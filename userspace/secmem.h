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

#endif /* KH_SECMEM_H */
