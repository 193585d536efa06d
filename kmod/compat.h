/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keyhandover: what differs between the kernels and architectures the
 * module builds for. Kbuild probes the kernel (KH_HAVE_*, feature probes,
 * not version checks) and this header is the only place that looks at the
 * answers: a feature the kernel lacks gets a static inline stub here, and
 * the file that uses the feature is built only when the kernel has it.
 *
 *   KH_HAVE_LINUX_HEX_H  hex2bin() in linux/hex.h (7.x), not kernel.h
 *   KH_HAVE_E820_RAW     e820__mapped_raw_any() exported to any module
 *                        (x86, up to 6.x): region_e820.c
 *   KH_HAVE_EFI_MAP      the EFI memory map (struct efi) exported:
 *                        region_efi.c
 *   KH_HAVE_KHO          Kexec HandOver with the 7.x API: region_kho.c
 */
#ifndef KH_COMPAT_H
#define KH_COMPAT_H

#include <linux/errno.h>
#include <linux/types.h>

#ifdef KH_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif

struct kh_region;

/*
 * Push bytes from the CPU caches to RAM: what kexec hands over, and what
 * survives a power cut, is what is in DRAM.
 */
#ifdef CONFIG_X86
#include <asm/cacheflush.h>

static inline void kh_flush_to_ram(void *p, size_t len)
{
	clflush_cache_range(p, len);
}
#else
static inline void kh_flush_to_ram(void *p, size_t len)
{
}
#endif

/*
 * The firmware's checks of a memmap= range (region_memmap.c): 0 or
 * -EPERM, or -EOPNOTSUPP when this kernel gives no such map to check.
 */
#ifdef KH_HAVE_E820_RAW
int kh_e820_check(u64 addr, u64 size);
#else
static inline int kh_e820_check(u64 addr, u64 size)
{
	return -EOPNOTSUPP;
}
#endif

#ifdef KH_HAVE_EFI_MAP
int kh_efi_check(u64 addr, u64 size);
#else
static inline int kh_efi_check(u64 addr, u64 size)
{
	return -EOPNOTSUPP;
}
#endif

/* The Kexec HandOver backend (region_kho.c); without KHO, never there. */
#ifdef KH_HAVE_KHO
bool kh_kho_available(void);
int kh_kho_claim(struct kh_region *region);
void kh_kho_scrub(void);
void kh_kho_release(struct kh_region *region);
#else
static inline bool kh_kho_available(void)
{
	return false;
}

static inline int kh_kho_claim(struct kh_region *region)
{
	return -EOPNOTSUPP;
}

static inline void kh_kho_scrub(void)
{
}

static inline void kh_kho_release(struct kh_region *region)
{
}
#endif

#endif /* KH_COMPAT_H */
