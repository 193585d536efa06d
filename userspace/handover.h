/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/keyhandover client.
 */
#ifndef KHU_HANDOVER_H
#define KHU_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "uapi/keyhandover.h"

/* The module's sysfs directory: there while it is loaded. */
#define KHU_MODULE_SYSFS	"/sys/module/keyhandover"

/* Why KH_DEVICE_PATH is missing, and so what to do about it. */
enum khu_absent {
	KHU_ABSENT_NO_NODE,	/* the module is loaded: its device node is not */
	KHU_ABSENT_BOOTED,	/* this kernel has the region: modprobe */
	KHU_ABSENT_REBOOT,	/* set up, but this kernel was booted without it */
	KHU_ABSENT_SETUP,	/* nothing set up: keyhandover setup */
};

int khu_handover_open(void);
void khu_handover_close(int fd);
int khu_handover_alloc_entries(struct kh_entry **out, bool shared);
void khu_handover_free_entries(struct kh_entry *entries);
int khu_handover_arm(int fd, const struct kh_entry *entries, uint32_t count,
		     uint32_t timeout);
int khu_handover_arm_keyring(int fd, const struct kh_keyref *refs,
			     uint32_t count, uint32_t timeout,
			     uint32_t *failed);
int khu_handover_status(int fd, struct kh_status *st);
int khu_handover_read(int fd, const uint8_t nonce[KH_NONCE_LEN],
		      struct kh_entry *entries, uint32_t *count,
		      uint32_t *verdict);
int khu_handover_wipe(int fd);
enum khu_absent khu_handover_absent(const char *module_dir,
				    const char *cmdline, const char *dropin);

#endif /* KHU_HANDOVER_H */
