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
 * runtime code, which a write through this module must never reach
 * (region_e820.c). Where that map cannot be read (see
 * kh_region_firmware_check()), the region is refused under lockdown. The
 * firmware map is not enough on EFI machines: the kernel itself turns
 * some RAM into "Reserved" at boot for firmware tables it must keep
 * (region_efi.c), and those must never be taken for a memmap= reservation
 * either. request_mem_region() then marks it busy, which keeps /dev/mem
 * (CONFIG_IO_STRICT_DEVMEM) out of it while the module holds it.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/security.h>
#include <linux/string.h>

#include "compat.h"
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

/*
 * The firmware's own memory map (region_e820.c), where this kernel lets
 * the module read it. Where it does not (other architectures, and 7.x
 * exports e820__mapped_raw_any() to KVM's modules only), nothing tells a
 * memmap= reservation from firmware-reserved memory. That matters only
 * when root is kept out of kernel memory (root can load any module
 * otherwise), so under lockdown the region is refused; without it the
 * iomem checks above are all there is.
 */
static int kh_region_firmware_check(u64 addr, u64 size)
{
	int ret = kh_e820_check(addr, size);

	if (ret != -EOPNOTSUPP)
		return ret;
	if (security_locked_down(LOCKDOWN_DEV_MEM)) {
		pr_err("region %#llx+%#llx: this kernel gives no firmware memory map to check it against; refused under lockdown\n",
		       addr, size);
		return -EPERM;
	}
	pr_warn("region %#llx+%#llx: no firmware memory map to check it against on this kernel\n",
		addr, size);
	return 0;
}

/* The EFI memory map (region_efi.c); without it, refused under lockdown. */
static int kh_region_efi_check(u64 addr, u64 size)
{
	int ret = kh_efi_check(addr, size);

	if (ret != -EOPNOTSUPP)
		return ret;
	if (IS_ENABLED(CONFIG_EFI) && security_locked_down(LOCKDOWN_DEV_MEM)) {
		pr_err("region %#llx+%#llx: this kernel gives no EFI memory map to check it against; refused under lockdown\n",
		       addr, size);
		return -EPERM;
	}
	return 0;
}

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
