// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 firmware memory map, for the memmap= backend (region_memmap.c).
 * e820_table_firmware is the map as the firmware gave it, which memmap=
 * does not change: a memmap= reservation is RAM there, while firmware
 * memory such as EFI runtime code is not. Built only where
 * e820__mapped_raw_any() is exported to every module (x86, up to 6.x;
 * 7.x exports it to KVM's modules only): compat.h has the stub.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <asm/e820/api.h>

#include "compat.h"

/* RAM to the firmware, and nothing else: so memmap= made it reserved. */
int kh_e820_check(u64 addr, u64 size)
{
	static const enum e820_type others[] = {
		E820_TYPE_RESERVED, E820_TYPE_ACPI, E820_TYPE_NVS,
		E820_TYPE_UNUSABLE, E820_TYPE_PMEM, E820_TYPE_PRAM,
		E820_TYPE_SOFT_RESERVED,
	};
	u64 page;
	int i;

	/* Any overlap counts for e820__mapped_raw_any(): ask page by page. */
	for (page = addr; page < addr + size; page += PAGE_SIZE)
		if (!e820__mapped_raw_any(page, page + PAGE_SIZE, E820_TYPE_RAM))
			goto out_firmware;
	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (e820__mapped_raw_any(addr, addr + size, others[i]))
			goto out_firmware;
	return 0;

out_firmware:
	pr_err("region %#llx+%#llx is firmware memory, not a memmap= reservation of RAM\n",
	       addr, size);
	return -EPERM;
}
