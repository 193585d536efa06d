// SPDX-License-Identifier: GPL-2.0
/*
 * The region, whichever backend holds it. region= names a memmap=
 * reservation and wins when given (it is what the administrator set up);
 * without it, a kernel with Kexec HandOver enabled gets a region from KHO.
 * Everything above this file sees a mapped range of RAM and nothing else.
 */
#include <linux/string.h>

#include "compat.h"
#include "keyhandover.h"

/*
 * region= wins over Kexec HandOver. But the previous kernel may have
 * armed a KHO region all the same (it had no region=), and KHO data
 * arrives whether or not this kernel enables KHO for the next kexec
 * (kho=on): unless this boot takes that region over, it is wiped here,
 * so that the page does not outlive the boot unwiped.
 */
int kh_region_claim(struct kh_region *region, const char *spec)
{
	memset(region, 0, sizeof(*region));
	if (spec && *spec) {
		kh_kho_scrub();
		return kh_memmap_claim(region, spec);
	}
	if (kh_kho_available())
		return kh_kho_claim(region);
	kh_kho_scrub();
	pr_err("region=SIZE$ADDR is required (as in memmap=): this kernel has no Kexec HandOver enabled\n");
	return -EINVAL;
}

void kh_region_release(struct kh_region *region)
{
	if (region->backend == KH_BACKEND_KHO)
		kh_kho_release(region);
	else
		kh_memmap_release(region);
	memset(region, 0, sizeof(*region));
}

/* The whole region to RAM, as kexec will hand it over. */
void kh_region_sync(struct kh_region *region)
{
	kh_flush_to_ram(region->virt, region->size);
}

/* Zero @len bytes at @p and push the zeroes to RAM. */
void kh_region_wipe_mem(void *p, size_t len)
{
	memzero_explicit(p, len);
	kh_flush_to_ram(p, len);
}

/* Idempotent; every path that forgets the key ends here. */
void kh_region_wipe(struct kh_region *region)
{
	kh_region_wipe_mem(region->virt, region->size);
}
