// SPDX-License-Identifier: GPL-2.0
/*
 * The EFI memory map, for the memmap= backend (region_memmap.c). The
 * firmware map is not enough on EFI machines: the kernel itself turns
 * some RAM into "Reserved" at boot for firmware tables it must keep, and
 * those must never be taken for a memmap= reservation. Built only where
 * the kernel exports the EFI memory map (struct efi): compat.h has the
 * stub.
 */
#include <linux/efi.h>
#include <linux/kernel.h>

#include "compat.h"

/*
 * ESRT, the BGRT logo, the MOK variable table and other tables that EFI
 * left in boot services memory are kept by efi_mem_reserve(): RAM in the
 * firmware map, "Reserved" to the kernel, just like a memmap= range. It
 * also marks them EFI_MEMORY_RUNTIME in the EFI memory map (so that a
 * kexec'd kernel keeps them too), and that is what tells them apart: a
 * memmap= range is ordinary memory to EFI. Anything EFI keeps at runtime
 * or calls other than plain memory is refused.
 */
static bool kh_efi_plain(const efi_memory_desc_t *md)
{
	if (md->attribute & EFI_MEMORY_RUNTIME)
		return false;
	switch (md->type) {
	case EFI_CONVENTIONAL_MEMORY:
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
		return true;
	}
	return false;
}

int kh_efi_check(u64 addr, u64 size)
{
	efi_memory_desc_t *md;

	if (!efi_enabled(EFI_MEMMAP))
		return 0;
	for_each_efi_memory_desc(md) {
		u64 start = md->phys_addr;
		u64 end = start + (md->num_pages << EFI_PAGE_SHIFT);

		if (addr < end && start < addr + size && !kh_efi_plain(md)) {
			pr_err("region %#llx+%#llx holds memory EFI keeps (type %u%s): not a memmap= reservation\n",
			       addr, size, md->type,
			       md->attribute & EFI_MEMORY_RUNTIME ?
			       ", runtime" : "");
			return -EPERM;
		}
	}
	return 0;
}
