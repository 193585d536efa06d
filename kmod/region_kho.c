// SPDX-License-Identifier: GPL-2.0
/*
 * The Kexec HandOver backend: no boot-time reservation. The region is a
 * page from the page allocator that KHO preserves across kexec.
 *
 * One order-1 folio holds both pages this backend needs: page 0 is a small
 * descriptor, published as the KHO subtree "keyhandover" (magic, version,
 * size: never a key byte, and never an address); page 1 is the region.
 * The next kernel gets the descriptor's address from KHO's own tree, which
 * only kernel code writes, and restores the whole folio from there: the
 * region is found by its place in a folio KHO preserved, not through a
 * pointer that could name some other subsystem's page, and nothing is
 * restored that the descriptor's checks did not pass first.
 *
 * The adopting kernel copies a stash it finds into its own, newly
 * preserved folio (PENDING: read once, never handed on) and wipes the old
 * one. The old folio is kept for the rest of the boot with its descriptor
 * marked as taken: KHO's incoming tree still names it, and a module loaded
 * a second time must neither restore it again (KHO would WARN) nor find a
 * freed page there.
 *
 * KHO's tree and its list of preserved pages are live until the kexec
 * itself; the region is preserved from module load to unload, so it is
 * handed over whenever the kexec comes.
 *
 * This is the KHO API of Linux 7.x (kernel/liveupdate/kexec_handover.c):
 * kho_alloc_preserve(), kho_add_subtree(name, blob, size), and
 * kho_retrieve_subtree(). 6.16 to 6.x had another one (a notifier and an
 * FDT per subtree, finalized from debugfs); Kbuild builds this file only
 * against the 7.x header, and compat.h stubs it out everywhere else.
 */
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "compat.h"
#include "format.h"
#include "keyhandover.h"

#define KH_KHO_NAME		"keyhandover"
#define KH_KHO_MAGIC		0x4e4f494745524b48ULL	/* "HKREGION" */
#define KH_KHO_TAKEN		0x4e454b4154524b48ULL	/* "HKRTAKEN" */
/* 1 named a region by address; 2 is the folio layout above. */
#define KH_KHO_VERSION		2
/* One page holds a full stash of KH_MAX_ENTRIES volumes. */
#define KH_KHO_SIZE		PAGE_SIZE
/* Descriptor page and region page. */
#define KH_KHO_ORDER		1

/* The subtree's blob, at the start of the folio. Little-endian. */
struct kh_kho_desc {
	__le64 magic;
	__le32 version;
	__le32 reserved;
	__le64 size;		/* of the region, the folio's second page */
};

static_assert(KH_FORMAT_HEADER_SIZE + KH_MAX_ENTRIES * KH_FORMAT_ENTRY_SIZE +
	      KH_FORMAT_SUM_SIZE <= KH_KHO_SIZE);

bool kh_kho_available(void)
{
	return kho_is_enabled();
}

/* Tell the next kernel where the region is: in our folio, after us. */
static int kh_kho_publish(struct kh_region *r)
{
	struct kh_kho_desc *d = r->desc;

	d->magic = cpu_to_le64(KH_KHO_MAGIC);
	d->version = cpu_to_le32(KH_KHO_VERSION);
	d->reserved = 0;
	d->size = cpu_to_le64(r->size);
	return kho_add_subtree(KH_KHO_NAME, d, sizeof(*d));
}

/*
 * The previous kernel's descriptor, looked at in place before anything
 * is restored. -ENOENT: none, or taken already in this boot.
 */
static int kh_kho_find_desc(phys_addr_t *rphys)
{
	const struct kh_kho_desc *d;
	phys_addr_t phys;
	size_t size;

	if (!is_kho_boot() || kho_retrieve_subtree(KH_KHO_NAME, &phys, &size))
		return -ENOENT;
	if (size != sizeof(*d) || !PAGE_ALIGNED(phys)) {
		pr_err("the previous kernel's KHO descriptor is malformed: ignored\n");
		return -EINVAL;
	}
	d = phys_to_virt(phys);
	if (le64_to_cpu(d->magic) == KH_KHO_TAKEN)
		return -ENOENT;
	if (le64_to_cpu(d->magic) != KH_KHO_MAGIC ||
	    le32_to_cpu(d->version) != KH_KHO_VERSION || d->reserved ||
	    le64_to_cpu(d->size) != KH_KHO_SIZE) {
		pr_err("the previous kernel's KHO descriptor is not one this module knows: ignored\n");
		return -EINVAL;
	}
	*rphys = phys;
	return 0;
}

/*
 * Restore the previous kernel's folio, if it left one. Returns the old
 * region page (wiped by the caller), or NULL: none, taken already, not
 * restorable, or not laid out as ours (then wiped here). Either way the
 * descriptor is marked taken and the folio kept for the rest of the boot.
 */
static void *kh_kho_take(void)
{
	struct kh_kho_desc *d;
	struct folio *folio;
	phys_addr_t phys;

	if (kh_kho_find_desc(&phys))
		return NULL;
	folio = kho_restore_folio(phys);
	if (!folio) {
		pr_err("the previous kernel's region was not preserved: ignored\n");
		return NULL;
	}
	d = folio_address(folio);
	/* Kept, taken, for the rest of the boot: see the top of this file. */
	d->magic = cpu_to_le64(KH_KHO_TAKEN);
	if (folio_order(folio) == KH_KHO_ORDER)
		return folio_address(folio) + PAGE_SIZE;
	pr_err("the previous kernel's region is not laid out as this module's: wiped and ignored\n");
	kh_region_wipe_mem(d + 1, folio_size(folio) - sizeof(*d));
	return NULL;
}

/*
 * Take the previous kernel's stash into @r's region (both one page), if
 * it left one, and wipe it there. Failures only lose the stash.
 */
static void kh_kho_adopt(struct kh_region *r)
{
	void *old = kh_kho_take();

	if (!old)
		return;
	memcpy(r->virt, old, KH_KHO_SIZE);
	kh_region_wipe_mem(old, KH_KHO_SIZE);
}

/*
 * This boot uses a memmap= region, but the previous kernel may have left
 * a stash in a KHO region: nothing will ever read it, so it goes now.
 */
void kh_kho_scrub(void)
{
	void *old = kh_kho_take();

	if (!old)
		return;
	if (memchr_inv(old, 0, KH_KHO_SIZE))
		pr_info("a Kexec HandOver region left by the previous kernel is not used with region=: wiped\n");
	kh_region_wipe_mem(old, KH_KHO_SIZE);
}

int kh_kho_claim(struct kh_region *r)
{
	void *mem;
	int ret;

	mem = kho_alloc_preserve(PAGE_SIZE << KH_KHO_ORDER);
	if (IS_ERR(mem))
		return PTR_ERR(mem);
	r->backend = KH_BACKEND_KHO;
	r->desc = mem;
	r->virt = mem + PAGE_SIZE;
	r->phys = virt_to_phys(r->virt);
	r->size = KH_KHO_SIZE;
	kh_kho_adopt(r);
	ret = kh_kho_publish(r);
	if (ret)
		goto out_free;
	pr_info("region %#llx+%#zx preserved by Kexec HandOver\n",
		(u64)r->phys, r->size);
	return 0;

out_free:
	/* Never hand back a page that may hold a stash unwiped. */
	kh_region_wipe_mem(r->virt, r->size);
	kho_unpreserve_free(mem);
	return ret;
}

/* Called after the stash wiped the region. */
void kh_kho_release(struct kh_region *r)
{
	kho_remove_subtree(r->desc);
	kho_unpreserve_free(r->desc);
}
