/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `keyhandover setup`: the region's reservation in the boot loader's
 * configuration (see setup.c).
 */
#ifndef KH_SETUP_H
#define KH_SETUP_H

#include <stddef.h>
#include <stdint.h>

#define KH_SETUP_FWMAP		"/sys/firmware/memmap"
#define KH_SETUP_DROPIN		"/etc/default/grub.d/keyhandover.cfg"
#define KH_SETUP_SIZE		4096ULL

struct kh_fwmap_range {
	uint64_t start;
	uint64_t end;		/* inclusive, as the kernel shows it */
	char type[32];
};

int kh_setup_read_fwmap(const char *sysdir, struct kh_fwmap_range *r,
			unsigned int cap, unsigned int *n);
int kh_setup_pick(const struct kh_fwmap_range *r, unsigned int n,
		  uint64_t size, uint64_t *addr);
void kh_setup_region_str(char *buf, size_t len, uint64_t size, uint64_t addr);
void kh_setup_dropin(char *buf, size_t len, uint64_t size, uint64_t addr);
int kh_setup_region_parse(const char *s, uint64_t *size, uint64_t *addr);
int kh_setup_dropin_region(const char *text, uint64_t *size, uint64_t *addr);

#endif /* KH_SETUP_H */
