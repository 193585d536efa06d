// SPDX-License-Identifier: GPL-2.0
/*
 * The Kexec HandOver backend: no boot-time reservation. The region is a
 * page from the page allocator that KHO preserves across kexec. A small
 * descriptor, published as the KHO subtree "keyhandover", tells the next
 * kernel where it is: its physical address and size, never a key byte.
 * The next kernel's module finds the descriptor, takes the page back with
 * kho_restore_folio() (which only succeeds for memory the old kernel
 * really preserved), and preserves it again for the kexec after that.
 *
 * KHO's tree and its list of preserved pages are live until the kexec
 * itself; the region is preserved from module load to unload, so it is
 * handed over whenever the kexec comes.
 *
 * The previous kernel's descriptor stays findable for the whole boot
 * (kho_retrieve_subtree() reads the incoming tree), so a module loaded a
 * second time must not adopt again: the first adoption keeps the
 * descriptor's page for good and zeroes its magic.
 *
 * This is the KHO API of Linux 7.x (kernel/liveupdate/kexec_handover.c):
 * kho_alloc_preserve(), kho_add_subtree(name, blob, size), and
 * kho_retrieve_subtree(). 6.16 to 6.x had another one (a notifier and an
 * FDT per subtree, finalized from debugfs); Kbuild builds this file only
 * against the 7.x header.
 */
#include <linux/err.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/string.h>

#ifdef KH_HAVE_KHO
#include <linux/kexec_handover.h>
#endif

#include "format.h"
#include "keyhandover.h"

#ifdef KH_HAVE_KHO

#define KH_KHO_NAME		"keyhandover"
#define KH_KHO_MAGIC		0x4e4f494745524b48ULL	/* "HKREGION" */
#define KH_KHO_VERSION		1
/* One page holds a full stash of KH_MAX_ENTRIES volumes. */
#define KH_KHO_SIZE		PAGE_SIZE

/* The subtree's blob: where the region is. Little-endian, fixed size. */
struct kh_kho_desc {
	__le64 magic;
	__le32 version;
	__le32 reserved;
	__le64 phys;
	__le64 size;
};

static_assert(KH_FORMAT_HEADER_SIZE + KH_MAX_ENTRIES * KH_FORMAT_ENTRY_SIZE +
	      KH_FORMAT_SUM_SIZE <= KH_KHO_SIZE);

bool kh_kho_available(void)
{
	return kho_is_enabled();
}

/* Tell the next kernel where the region is. */
static int kh_kho_publish(struct kh_region *r)
{
	struct kh_kho_desc *d;
	int ret;

	d = kho_alloc_preserve(sizeof(*d));
	if (IS_ERR(d))
		return PTR_ERR(d);
	d->magic = cpu_to_le64(KH_KHO_MAGIC);
	d->version = cpu_to_le32(KH_KHO_VERSION);
	d->phys = cpu_to_le64(r->phys);
	d->size = cpu_to_le64(r->size);
	ret = kho_add_subtree(KH_KHO_NAME, d, sizeof(*d));
	if (ret) {
		kho_unpreserve_free(d);
		return ret;
	}
	r->desc = d;
	return 0;
}

/* The previous kernel's descriptor, checked; the region's address. */
static int kh_kho_read_desc(const struct kh_kho_desc *d, size_t size,
			    u64 *rphys)
{
	if (size != sizeof(*d) || le64_to_cpu(d->magic) != KH_KHO_MAGIC ||
	    le32_to_cpu(d->version) != KH_KHO_VERSION ||
	    le64_to_cpu(d->size) != KH_KHO_SIZE ||
	    !PAGE_ALIGNED(le64_to_cpu(d->phys)))
		return -EINVAL;
	*rphys = le64_to_cpu(d->phys);
	return 0;
}

/* A page that may hold a stash goes back to the allocator wiped. */
static void kh_kho_put_wiped(struct folio *folio)
{
	memzero_explicit(folio_address(folio), folio_size(folio));
	folio_put(folio);
}

/*
 * Take the descriptor's page (once per boot: see the top of this file),
 * keep it, and zero its magic so that a reloaded module finds nothing.
 * -ENOENT: no descriptor, or adopted already in this boot.
 */
static int kh_kho_take_desc(u64 *rphys)
{
	struct kh_kho_desc *d;
	struct folio *folio;
	phys_addr_t phys;
	size_t size;
	int ret;

	if (!is_kho_boot() || kho_retrieve_subtree(KH_KHO_NAME, &phys, &size))
		return -ENOENT;
	d = phys_to_virt(phys);
	/* Before any restore call: a second restore of the page would WARN. */
	if (size == sizeof(*d) && !d->magic)
		return -ENOENT;
	ret = kh_kho_read_desc(d, size, rphys);
	if (ret) {
		pr_err("the previous kernel's KHO descriptor is malformed: ignored\n");
		return ret;
	}
	folio = kho_restore_folio(phys);
	if (!folio)
		return -EINVAL;
	/* Kept for the rest of the boot (one page): never restored twice. */
	d->magic = 0;
	return 0;
}

/*
 * Take back the region the previous kernel preserved, if it left one.
 * -ENOENT: it did not (a first boot, or a kexec without this module).
 */
static int kh_kho_adopt(struct kh_region *r)
{
	struct folio *folio;
	u64 rphys;
	int ret;

	ret = kh_kho_take_desc(&rphys);
	if (ret)
		return ret;
	folio = kho_restore_folio(rphys);
	if (!folio) {
		pr_err("the previous kernel's region %#llx was not preserved: ignored\n",
		       rphys);
		return -EINVAL;
	}
	if (folio_size(folio) != KH_KHO_SIZE) {
		pr_err("the previous kernel's region %#llx is not one page: wiped and ignored\n",
		       rphys);
		kh_kho_put_wiped(folio);
		return -EINVAL;
	}
	r->folio = folio;
	return 0;
}

int kh_kho_claim(struct kh_region *r)
{
	void *mem;
	int ret;

	ret = kh_kho_adopt(r);
	if (ret == 0) {
		/* Kept for the kexec after this one. */
		ret = kho_preserve_folio(r->folio);
		if (ret)
			goto out_put;
	} else {
		mem = kho_alloc_preserve(KH_KHO_SIZE);
		if (IS_ERR(mem))
			return PTR_ERR(mem);
		r->folio = virt_to_folio(mem);
	}
	r->backend = KH_BACKEND_KHO;
	r->virt = folio_address(r->folio);
	r->phys = virt_to_phys(r->virt);
	r->size = KH_KHO_SIZE;
	ret = kh_kho_publish(r);
	if (ret)
		goto out_unpreserve;
	pr_info("region %#llx+%#zx preserved by Kexec HandOver\n",
		(u64)r->phys, r->size);
	return 0;

out_unpreserve:
	kho_unpreserve_folio(r->folio);
out_put:
	/* Never hand back a page that may hold a stash unwiped. */
	kh_kho_put_wiped(r->folio);
	r->folio = NULL;
	return ret;
}

/* Called after the stash wiped the region. */
void kh_kho_release(struct kh_region *r)
{
	kho_remove_subtree(r->desc);
	kho_unpreserve_free(r->desc);
	kho_unpreserve_folio(r->folio);
	folio_put(r->folio);
}

#else /* !KH_HAVE_KHO */

bool kh_kho_available(void)
{
	return false;
}

int kh_kho_claim(struct kh_region *r)
{
	return -EOPNOTSUPP;
}

void kh_kho_release(struct kh_region *r)
{
}

#endif /* KH_HAVE_KHO */
