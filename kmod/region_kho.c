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
 * KHO takes its picture of what is preserved when the next kernel is
 * loaded (kexec_file_load). The region is preserved from module load on,
 * so it is in that picture whether the stash comes before the load or
 * not; `keyhandover load` wants it before anyway (the nonce).
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
static int kh_kho_read_desc(phys_addr_t phys, size_t size, u64 *rphys)
{
	const struct kh_kho_desc *d = phys_to_virt(phys);

	if (size != sizeof(*d) || le64_to_cpu(d->magic) != KH_KHO_MAGIC ||
	    le32_to_cpu(d->version) != KH_KHO_VERSION ||
	    le64_to_cpu(d->size) != KH_KHO_SIZE ||
	    !PAGE_ALIGNED(le64_to_cpu(d->phys)))
		return -EINVAL;
	*rphys = le64_to_cpu(d->phys);
	return 0;
}

/*
 * Take back the region the previous kernel preserved, if it left one.
 * -ENOENT: it did not (a first boot, or a kexec without this module).
 */
static int kh_kho_adopt(struct kh_region *r)
{
	struct folio *folio;
	phys_addr_t phys;
	size_t size;
	u64 rphys;
	int ret;

	if (!is_kho_boot())
		return -ENOENT;
	ret = kho_retrieve_subtree(KH_KHO_NAME, &phys, &size);
	if (ret)
		return -ENOENT;
	ret = kh_kho_read_desc(phys, size, &rphys);
	/* The descriptor page is ours to free now, whatever it says. */
	kho_restore_free(phys_to_virt(phys));
	if (ret) {
		pr_err("the previous kernel's KHO descriptor is malformed: ignored\n");
		return ret;
	}
	folio = kho_restore_folio(rphys);
	if (!folio) {
		pr_err("the previous kernel's region %#llx was not preserved: ignored\n",
		       rphys);
		return -EINVAL;
	}
	if (folio_size(folio) != KH_KHO_SIZE) {
		pr_err("the previous kernel's region %#llx is not one page: ignored\n",
		       rphys);
		folio_put(folio);
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
	/* Never hand back a page that may hold a stash unwiped. */
	memzero_explicit(r->virt, KH_KHO_SIZE);
	kho_unpreserve_folio(r->folio);
out_put:
	folio_put(r->folio);
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
