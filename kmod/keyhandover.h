/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keyhandover: internal interfaces between the module's parts.
 *
 *   main.c           module parameters, init and exit; struct kh_module
 *   region.c         the region, whichever backend: choose, wipe, release
 *   region_memmap.c  the memmap= backend: find, claim, map the region
 *   region_e820.c    memmap=: the x86 firmware memory map's check
 *   region_efi.c     memmap=: the EFI memory map's check
 *   region_kho.c     the Kexec HandOver backend: allocate, preserve, find
 *   stash.c          what the region holds and the rules for changing it
 *   device.c         /dev/keyhandover and its ioctls
 *   lifecycle.c      wipe on reboot, power-off and panic; keep on kexec
 *   keyring.c        keyring mode: a volume key taken from the caller's keyrings
 *   format.c         the handover format codec, v2 (v1 read) (shared with userspace)
 *   compat.h         what differs between kernels: Kbuild's probes, stubs
 */
#ifndef KH_KEYHANDOVER_H
#define KH_KEYHANDOVER_H

#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "uapi/keyhandover.h"

struct resource;

/* A claimed, mapped region of RAM that survives kexec. */
struct kh_region {
	enum kh_backend backend;
	phys_addr_t phys;
	size_t size;
	void *virt;
	struct resource *res;		/* memmap: our claim in iomem */
	void *desc;			/* kho: descriptor, region's folio */
};

int kh_region_claim(struct kh_region *region, const char *spec);
void kh_region_release(struct kh_region *region);
void kh_region_wipe(struct kh_region *region);
void kh_region_sync(struct kh_region *region);
void kh_region_wipe_mem(void *p, size_t len);

int kh_memmap_claim(struct kh_region *region, const char *spec);
void kh_memmap_release(struct kh_region *region);

/* The stash: the region plus what this kernel knows about it. */
struct kh_stash {
	struct kh_region region;
	struct mutex lock;		/* serialises every state change */
	enum kh_state state;
	enum kh_verdict verdict;
	u32 count;
	u8 nonce[KH_NONCE_LEN];		/* ARMED, PENDING: the stash's */
	u8 expect[KH_NONCE_LEN];	/* nonce= module param, or zero */
	enum kh_wipe wiped;		/* why the last stash went */
	bool going_down;		/* reboot notifier ran: frozen */
	bool sleeping;			/* suspend or hibernation under way */
	bool logon;			/* ARMED holds a logon key's payload */
	unsigned int default_timeout;	/* seconds, from the module param */
	struct delayed_work expire;	/* wipes a stash nobody collected */
	ktime_t expires;		/* CLOCK_BOOTTIME deadline, or 0 */
};

void kh_stash_init(struct kh_stash *stash, unsigned int default_timeout,
		   const u8 expect[KH_NONCE_LEN]);
void kh_stash_refuse(struct kh_region *region);
void kh_stash_exit(struct kh_stash *stash);
int kh_stash_arm(struct kh_stash *stash, const struct kh_entry *entries,
		 u32 count, unsigned int timeout, bool logon);
void kh_stash_status(struct kh_stash *stash, struct kh_status *st);
int kh_stash_read(struct kh_stash *stash, const u8 nonce[KH_NONCE_LEN],
		  struct kh_entry *out, u32 *count, u32 *verdict);
void kh_stash_wipe(struct kh_stash *stash);
void kh_stash_shutdown(struct kh_stash *stash, bool kexec);
void kh_stash_suspend(struct kh_stash *stash);
void kh_stash_resume(struct kh_stash *stash);

/*
 * Everything the module holds, in one place: main.c has the one instance,
 * and the device's file operations and the notifiers find it from their
 * own member with container_of().
 */
struct kh_module {
	struct kh_stash stash;
	struct miscdevice misc;		/* /dev/keyhandover */
	unsigned long busy;		/* bit 0: the device is open */
	struct notifier_block reboot_nb;
	struct notifier_block panic_nb;
	struct notifier_block pm_nb;
};

int kh_lifecycle_init(struct kh_module *kh);
void kh_lifecycle_exit(struct kh_module *kh);

int kh_keyring_fetch(const struct kh_keyref *ref, struct kh_entry *e);
bool kh_keyring_sealed(void);

int kh_device_init(struct kh_module *kh);
void kh_device_exit(struct kh_module *kh);

#endif /* KH_KEYHANDOVER_H */
