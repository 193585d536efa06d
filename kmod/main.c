// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover: hand disk volume keys to the next kernel across kexec,
 * through a RAM region that both kernels reserve with memmap=.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "keyhandover.h"

#define KH_VERSION "0.1.0"

static char *kh_region_spec;
module_param_named(region, kh_region_spec, charp, 0400);
MODULE_PARM_DESC(region,
		 "the reserved range as in memmap=, SIZE$ADDR (e.g. 4K$0x7000000)");

static unsigned int kh_arm_timeout = 600;
module_param_named(arm_timeout, kh_arm_timeout, uint, 0400);
MODULE_PARM_DESC(arm_timeout,
		 "seconds a stash waits for kexec (old kernel) or for restore (new kernel) before it is wiped; default 600");

static struct kh_stash kh_stash;

static int __init kh_init(void)
{
	int ret;

	if (!kh_arm_timeout || kh_arm_timeout > KH_TIMEOUT_MAX) {
		pr_err("arm_timeout must be 1..%u seconds\n", KH_TIMEOUT_MAX);
		return -EINVAL;
	}
	ret = kh_region_claim(&kh_stash.region, kh_region_spec);
	if (ret)
		return ret;
	kh_stash_init(&kh_stash, kh_arm_timeout);
	ret = kh_lifecycle_init(&kh_stash);
	if (ret)
		goto out_stash;
	ret = kh_device_init(&kh_stash);
	if (ret)
		goto out_lifecycle;
	pr_info("region %pa+%#zx ready\n", &kh_stash.region.phys,
		kh_stash.region.size);
	return 0;

out_lifecycle:
	kh_lifecycle_exit();
out_stash:
	kh_stash_exit(&kh_stash);
	kh_region_release(&kh_stash.region);
	return ret;
}

static void __exit kh_exit(void)
{
	kh_device_exit();
	kh_lifecycle_exit();
	/* Unloading forgets the key: wipe before letting go of the range. */
	kh_stash_exit(&kh_stash);
	kh_region_release(&kh_stash.region);
}

module_init(kh_init);
module_exit(kh_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("keyhandover developers");
MODULE_DESCRIPTION("Hand disk volume keys to the next kernel across kexec");
MODULE_VERSION(KH_VERSION);
