// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover: hand disk volume keys to the next kernel across kexec,
 * through a RAM region that both kernels reserve with memmap=, or that
 * Kexec HandOver preserves where the kernel has it (region.c).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "keyhandover.h"

static char *kh_region_spec;
module_param_named(region, kh_region_spec, charp, 0400);
MODULE_PARM_DESC(region,
		 "the reserved range as in memmap=, SIZE$ADDR (e.g. 4K$0x7000000); without it, Kexec HandOver if enabled");

/*
 * arm_timeout= and nonce= are kept as given and judged in kh_init(),
 * after the region is claimed: a parameter the kernel's own parser
 * rejects (a uint that does not parse, a bare "nonce" with no value, a
 * string over its limit) fails the load before kh_init() runs, and the
 * region would then keep whatever it holds with nobody left to wipe it.
 * So their set() never fails; it only remembers what was wrong.
 */
#define KH_PARAM_LEN		48
#define KH_ARM_TIMEOUT_DEFAULT	600

struct kh_param {
	char val[KH_PARAM_LEN];
	bool given;
	bool bad;		/* no value, or one too long to keep */
};

static int kh_param_set(const char *val, const struct kernel_param *kp)
{
	struct kh_param *p = kp->arg;

	p->given = true;
	p->bad = !val || strscpy(p->val, val, sizeof(p->val)) < 0;
	if (p->bad)
		p->val[0] = '\0';
	return 0;
}

static int kh_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct kh_param *p = kp->arg;

	return sysfs_emit(buffer, "%s\n", p->val);
}

static const struct kernel_param_ops kh_param_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = kh_param_set,
	.get = kh_param_get,
};

/* Shown in sysfs as the timeout in use once the module has loaded. */
static struct kh_param kh_arm_timeout;
module_param_cb(arm_timeout, &kh_param_ops, &kh_arm_timeout, 0400);
MODULE_PARM_DESC(arm_timeout,
		 "seconds a stash waits for kexec (old kernel) or for restore (new kernel) before it is wiped; default 600");

/*
 * `keyhandover load` puts keyhandover.nonce= on the next kernel's command
 * line, and modprobe hands it to us from there. Without it, a stash found
 * in the region is not this kernel's and is wiped at load (stash.c).
 */
static struct kh_param kh_nonce;
module_param_cb(nonce, &kh_param_ops, &kh_nonce, 0400);
MODULE_PARM_DESC(nonce,
		 "the nonce of the stash this kernel was started for (32 hex digits)");

static struct kh_module kh_module;

static int kh_parse_timeout(unsigned int *timeout)
{
	*timeout = KH_ARM_TIMEOUT_DEFAULT;
	/* Base 0, as the uint parameter it replaces: 0x258 and 01130 too. */
	if (kh_arm_timeout.given &&
	    (kh_arm_timeout.bad || kstrtouint(kh_arm_timeout.val, 0, timeout) ||
	     !*timeout || *timeout > KH_TIMEOUT_MAX)) {
		pr_err("arm_timeout must be 1..%u seconds\n", KH_TIMEOUT_MAX);
		return -EINVAL;
	}
	snprintf(kh_arm_timeout.val, sizeof(kh_arm_timeout.val), "%u",
		 *timeout);
	return 0;
}

static int kh_parse_nonce(u8 nonce[KH_NONCE_LEN])
{
	memset(nonce, 0, KH_NONCE_LEN);
	if (kh_nonce.given &&
	    (kh_nonce.bad || strlen(kh_nonce.val) != 2 * KH_NONCE_LEN ||
	     hex2bin(nonce, kh_nonce.val, KH_NONCE_LEN))) {
		pr_err("nonce must be %u hex digits\n", 2 * KH_NONCE_LEN);
		return -EINVAL;
	}
	return 0;
}

static int kh_parse_params(u8 nonce[KH_NONCE_LEN], unsigned int *timeout)
{
	int ret = kh_parse_timeout(timeout);

	return ret ? ret : kh_parse_nonce(nonce);
}

/*
 * The region is claimed before the other parameters are checked: a
 * module that refuses to load over a malformed nonce= or arm_timeout=
 * must still wipe what the region holds, or nobody ever would.
 */
static int __init kh_init(void)
{
	struct kh_module *kh = &kh_module;
	u8 nonce[KH_NONCE_LEN];
	unsigned int timeout;
	int ret;

	ret = kh_region_claim(&kh->stash.region, kh_region_spec);
	if (ret)
		return ret;
	ret = kh_parse_params(nonce, &timeout);
	if (ret) {
		kh_stash_refuse(&kh->stash.region);
		goto out_region;
	}
	kh_stash_init(&kh->stash, timeout, nonce);
	ret = kh_lifecycle_init(kh);
	if (ret)
		goto out_stash;
	ret = kh_device_init(kh);
	if (ret)
		goto out_lifecycle;
	pr_info("region %pa+%#zx ready\n", &kh->stash.region.phys,
		kh->stash.region.size);
	return 0;

out_lifecycle:
	kh_lifecycle_exit(kh);
out_stash:
	kh_stash_exit(&kh->stash);
out_region:
	kh_region_release(&kh->stash.region);
	return ret;
}

/*
 * Unloading forgets the key: wipe while the notifiers still stand guard,
 * then take them down, then let go of the range.
 */
static void __exit kh_exit(void)
{
	struct kh_module *kh = &kh_module;

	kh_device_exit(kh);
	kh_stash_exit(&kh->stash);
	kh_lifecycle_exit(kh);
	kh_region_release(&kh->stash.region);
}

module_init(kh_init);
module_exit(kh_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("keyhandover developers");
MODULE_DESCRIPTION("Hand disk volume keys to the next kernel across kexec");
/* From the top-level VERSION file, through Kbuild. */
MODULE_VERSION(KH_VERSION);
