// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover: hand disk volume keys to the next kernel across kexec,
 * through a RAM region that both kernels reserve with memmap=, or that
 * Kexec HandOver preserves where the kernel has it (region.c).
 */
#ifdef KH_HAVE_LINUX_HEX_H
#include <linux/hex.h>
#endif
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "keyhandover.h"

#define KH_VERSION "0.1.0"

static char *kh_region_spec;
module_param_named(region, kh_region_spec, charp, 0400);
MODULE_PARM_DESC(region,
		 "the reserved range as in memmap=, SIZE$ADDR (e.g. 4K$0x7000000); without it, Kexec HandOver if enabled");

/*
 * A string, parsed in kh_parse_params(): a uint parameter that does not
 * parse (abc, -1) fails the load before kh_init() runs, and the region
 * would then keep whatever it holds with nobody left to wipe it.
 */
#define KH_ARM_TIMEOUT_DEFAULT	600
static char *kh_arm_timeout;
module_param_named(arm_timeout, kh_arm_timeout, charp, 0400);
MODULE_PARM_DESC(arm_timeout,
		 "seconds a stash waits for kexec (old kernel) or for restore (new kernel) before it is wiped; default 600");

/*
 * `keyhandover load` puts keyhandover.nonce= on the next kernel's command
 * line, and modprobe hands it to us from there. Without it, a stash found
 * in the region is not this kernel's and is wiped at load (stash.c).
 */
static char *kh_nonce_hex;
module_param_named(nonce, kh_nonce_hex, charp, 0400);
MODULE_PARM_DESC(nonce,
		 "the nonce of the stash this kernel was started for (32 hex digits)");

static struct kh_stash kh_stash;

static int kh_parse_params(u8 nonce[KH_NONCE_LEN], unsigned int *timeout)
{
	memset(nonce, 0, KH_NONCE_LEN);
	*timeout = KH_ARM_TIMEOUT_DEFAULT;
	if (kh_arm_timeout &&
	    (kstrtouint(kh_arm_timeout, 10, timeout) || !*timeout ||
	     *timeout > KH_TIMEOUT_MAX)) {
		pr_err("arm_timeout must be 1..%u seconds\n", KH_TIMEOUT_MAX);
		return -EINVAL;
	}
	if (kh_nonce_hex && (strlen(kh_nonce_hex) != 2 * KH_NONCE_LEN ||
			     hex2bin(nonce, kh_nonce_hex, KH_NONCE_LEN))) {
		pr_err("nonce must be %u hex digits\n", 2 * KH_NONCE_LEN);
		return -EINVAL;
	}
	return 0;
}

/*
 * The region is claimed before the other parameters are checked: a
 * module that refuses to load over a malformed nonce= or arm_timeout=
 * must still wipe what the region holds, or nobody ever would.
 */
static int __init kh_init(void)
{
	u8 nonce[KH_NONCE_LEN];
	unsigned int timeout;
	int ret;

	ret = kh_region_claim(&kh_stash.region, kh_region_spec);
	if (ret)
		return ret;
	ret = kh_parse_params(nonce, &timeout);
	if (ret) {
		kh_stash_refuse(&kh_stash.region);
		goto out_region;
	}
	kh_stash_init(&kh_stash, timeout, nonce);
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
out_region:
	kh_region_release(&kh_stash.region);
	return ret;
}

/*
 * Unloading forgets the key: wipe while the notifiers still stand guard,
 * then take them down, then let go of the range.
 */
static void __exit kh_exit(void)
{
	kh_device_exit();
	kh_stash_exit(&kh_stash);
	kh_lifecycle_exit();
	kh_region_release(&kh_stash.region);
}

module_init(kh_init);
module_exit(kh_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("keyhandover developers");
MODULE_DESCRIPTION("Hand disk volume keys to the next kernel across kexec");
MODULE_VERSION(KH_VERSION);
