/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `keyhandover setup`: the region's reservation in the boot loader's
 * configuration (see setup.c).
 */
#ifndef KHU_SETUP_H
#define KHU_SETUP_H

#include <stddef.h>
#include <stdint.h>

#define KHU_SETUP_FWMAP		"/sys/firmware/memmap"
#define KHU_SETUP_DROPIN	"/etc/default/grub.d/keyhandover.cfg"
#define KHU_SETUP_SIZE		4096ULL

struct khu_fwmap_range {
	uint64_t start;
	uint64_t end;		/* inclusive, as the kernel shows it */
	char type[32];
};

int khu_setup_read_fwmap(const char *sysdir, struct khu_fwmap_range *r,
			 unsigned int cap, unsigned int *n);
int khu_setup_pick(const struct khu_fwmap_range *r, unsigned int n,
		   uint64_t size, uint64_t *addr);
void khu_setup_region_str(char *buf, size_t len, uint64_t size, uint64_t addr);
void khu_setup_dropin(char *buf, size_t len, uint64_t size, uint64_t addr);
int khu_setup_region_parse(const char *s, uint64_t *size, uint64_t *addr);
int khu_setup_dropin_region(const char *text, uint64_t *size, uint64_t *addr);

#endif /* KHU_SETUP_H */
