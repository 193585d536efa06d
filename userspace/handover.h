/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/keyhandover client.
 */
#ifndef KH_HANDOVER_H
#define KH_HANDOVER_H

#include <stdint.h>

#include "uapi/keyhandover.h"

int kh_handover_open(void);
void kh_handover_close(int fd);
int kh_handover_alloc_entries(struct kh_entry **out);
void kh_handover_free_entries(struct kh_entry *entries);
int kh_handover_arm(int fd, const struct kh_entry *entries, uint32_t count,
		    uint32_t timeout);
int kh_handover_arm_keyring(int fd, const struct kh_keyref *refs,
			    uint32_t count, uint32_t timeout, uint32_t *failed);
int kh_handover_status(int fd, struct kh_status *st);
int kh_handover_read(int fd, const uint8_t nonce[KH_NONCE_LEN],
		     struct kh_entry *entries, uint32_t *count,
		     uint32_t *verdict);
int kh_handover_wipe(int fd);

#endif /* KH_HANDOVER_H */
