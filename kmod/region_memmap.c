// SPDX-License-Identifier: GPL-2.0
/*
 * The memmap= backend: a range the kernel reserved at boot because its
 * command line said memmap=SIZE$ADDR. kexec does not pass memmap= changes
 * on, so the next kernel must be booted with the same memmap= to keep its
 * hands off the range until this module claims it again.
 *
 * The address arrives as a module parameter, so it is never trusted: the
 * range must lie above 1 MiB, wholly inside memory this kernel calls
 * "Reserved" and none of it System RAM, and must not be claimed by anyone
 * else. On x86 it must also be plain RAM in the firmware's own memory map
 * (e820_table_firmware, which memmap= does not change): that is what
 * tells a memmap= reservation from firmware-reserved memory such as EFI
 * runtime code, which a write through this module must never reach.
 * Where that map cannot be read (see kh_region_firmware_check()), the
 * region is refused under lockdown. The firmware map is not enough on
 * EFI machines: the kernel itself turns some RAM into "Reserved" at boot
 * for firmware tables it must keep (see kh_region_efi_check()), and those
 * must never be taken for a memmap= reservation either.
 * request_mem_region() then marks it busy, which keeps /dev/mem
 * (CONFIG_IO_STRICT_DEVMEM) out of it while the module holds it.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/security.h>
#include <linux/string.h>

#ifdef CONFIG_X86
#include <asm/e820/api.h>
#endif
#ifdef KH_HAVE_EFI_MAP
#include <linux/efi.h>
#endif

#include "format.h"
#include "keyhandover.h"

/* The format needs one page; anything much larger is a mistake. */
#define KH_REGION_MAX_SIZE	SZ_1M
/* Below 1 MiB lives the BIOS and legacy ROM shadow; never there. */
#define KH_REGION_MIN_ADDR	SZ_1M

/* Parse "SIZE$ADDR" (memmap= syntax) or "SIZE@ADDR", K/M/G suffixes. */
static int kh_region_parse(const char *spec, u64 *addr, u64 *size)
{
	char *end;

	if (!spec || !*spec)
		return -EINVAL;
	*size = memparse(spec, &end);
	if (end == spec || (*end != '$' && *end != '@'))
		return -EINVAL;
	spec = end + 1;
	*addr = memparse(spec, &end);
	if (end == spec || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

static int kh_region_add_covered(struct resource *res, void *arg)
{
	u64 *covered = arg;

	*covered += resource_size(res);
	return 0;
}

/* Every byte of [addr, addr + size) in an E820 "Reserved" resource. */
static bool kh_region_is_reserved(u64 addr, u64 size)
{
	u64 covered = 0;

	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, addr,
			    addr + size - 1, &covered, kh_region_add_covered);
	return covered == size;
}

#if defined(CONFIG_X86) && defined(KH_HAVE_E820_RAW)
/* RAM to the firmware, and nothing else: so memmap= made it reserved. */
static int kh_region_firmware_check(u64 addr, u64 size)
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
#else
/*
 * No firmware memory map this module may read: other architectures have
 * none here, and 7.x exports e820__mapped_raw_any() to KVM's modules
 * only. Then nothing tells a memmap= reservation from firmware-reserved
 * memory. That matters only when root is kept out of kernel memory (root
 * can load any module otherwise), so under lockdown the region is
 * refused; without it the iomem checks above are all there is.
 */
static int kh_region_firmware_check(u64 addr, u64 size)
{
	if (security_locked_down(LOCKDOWN_DEV_MEM)) {
		pr_err("region %#llx+%#llx: this kernel gives no firmware memory map to check it against; refused under lockdown\n",
		       addr, size);
		return -EPERM;
	}
	pr_warn("region %#llx+%#llx: no firmware memory map to check it against on this kernel\n",
		addr, size);
	return 0;
}
#endif

#ifdef KH_HAVE_EFI_MAP
/*
 * ESRT, the BGRT logo, the MOK variable table and other tables that EFI
 * left in boot services memory are kept by efi_mem_reserve(): RAM in the
 * firmware map, "Reserved" to the kernel, just like a memmap= range. It
 * also marks them EFI_MEMORY_RUNTIME in the EFI memory map (so that a
 * kexec'd kernel keeps them too), and that is what tells them apart: a
 * memmap= range is ordinary memory to EFI. Anything EFI keeps at runtime
 * or calls other than plain memory is refused.
 */
static bool kh_region_efi_plain(const efi_memory_desc_t *md)
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

static int kh_region_efi_check(u64 addr, u64 size)
{
	efi_memory_desc_t *md;

	if (!efi_enabled(EFI_MEMMAP))
		return 0;
	for_each_efi_memory_desc(md) {
		u64 start = md->phys_addr;
		u64 end = start + (md->num_pages << EFI_PAGE_SHIFT);

		if (addr < end && start < addr + size &&
		    !kh_region_efi_plain(md)) {
			pr_err("region %#llx+%#llx holds memory EFI keeps (type %u%s): not a memmap= reservation\n",
			       addr, size, md->type,
			       md->attribute & EFI_MEMORY_RUNTIME ?
			       ", runtime" : "");
			return -EPERM;
		}
	}
	return 0;
}
#else
/* No EFI memory map to read: refused under lockdown, as above. */
static int kh_region_efi_check(u64 addr, u64 size)
{
	if (IS_ENABLED(CONFIG_EFI) && security_locked_down(LOCKDOWN_DEV_MEM)) {
		pr_err("region %#llx+%#llx: this kernel gives no EFI memory map to check it against; refused under lockdown\n",
		       addr, size);
		return -EPERM;
	}
	return 0;
}
#endif

static int kh_region_check(u64 addr, u64 size)
{
	if (!size || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(size)) {
		pr_err("region %#llx+%#llx is not page aligned\n", addr, size);
		return -EINVAL;
	}
	if (kh_format_capacity(size) == 0 || size > KH_REGION_MAX_SIZE) {
		pr_err("region size %llu outside %lu..%u bytes\n", size,
		       PAGE_SIZE, KH_REGION_MAX_SIZE);
		return -EINVAL;
	}
	if (addr < KH_REGION_MIN_ADDR || addr + size < addr ||
	    addr + size - 1 > (u64)(phys_addr_t)-1) {
		pr_err("region %#llx+%#llx is not a usable address\n", addr,
		       size);
		return -EINVAL;
	}
	if (region_intersects(addr, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("region %#llx+%#llx overlaps System RAM\n", addr, size);
		return -EINVAL;
	}
	if (!kh_region_is_reserved(addr, size)) {
		pr_err("region %#llx+%#llx is not reserved memory: boot with memmap=%llu$%#llx\n",
		       addr, size, size, addr);
		return -ENODEV;
	}
	if (kh_region_firmware_check(addr, size))
		return -EPERM;
	return kh_region_efi_check(addr, size);
}

int kh_memmap_claim(struct kh_region *region, const char *spec)
{
	u64 addr, size;
	int ret;

	ret = kh_region_parse(spec, &addr, &size);
	if (ret) {
		pr_err("region=SIZE$ADDR is required (as in memmap=), got \"%s\"\n",
		       spec ? spec : "");
		return ret;
	}
	ret = kh_region_check(addr, size);
	if (ret)
		return ret;

	region->res = request_mem_region(addr, size, KBUILD_MODNAME);
	if (!region->res) {
		pr_err("region %#llx+%#llx is already claimed\n", addr, size);
		return -EBUSY;
	}
	region->virt = memremap(addr, size, MEMREMAP_WB);
	if (!region->virt) {
		ret = -ENOMEM;
		goto out_release;
	}
	region->backend = KH_BACKEND_MEMMAP;
	region->phys = addr;
	region->size = size;
	return 0;

out_release:
	release_mem_region(addr, size);
	region->res = NULL;
	return ret;
}

void kh_memmap_release(struct kh_region *region)
{
	memunmap(region->virt);
	release_mem_region(region->phys, region->size);
}
