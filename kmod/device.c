// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keyhandover: a misc device with five ioctls and nothing else (no
 * read, write, mmap or seek). One opener at a time, CAP_SYS_ADMIN only.
 * docs/interface.md describes it for users.
 *
 *	fd = open("/dev/keyhandover", O_RDWR);
 *	ioctl(fd, KH_IOC_ARM, &arm);		old kernel, before kexec
 *	ioctl(fd, KH_IOC_ARM_KEYRING, &akr);	same, keys from the keyring
 *	ioctl(fd, KH_IOC_READ, &rd);		new kernel, once
 *	ioctl(fd, KH_IOC_STATUS, &st);
 *	ioctl(fd, KH_IOC_WIPE);
 */
#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "keyhandover.h"

/* misc_open() points file->private_data at the miscdevice. */
static struct kh_module *kh_device_module(struct file *file)
{
	return container_of(file->private_data, struct kh_module, misc);
}

static int kh_device_open(struct inode *inode, struct file *file)
{
	struct kh_module *kh = kh_device_module(file);

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Never two readers of one key: a second opener gets -EBUSY. */
	if (test_and_set_bit_lock(0, &kh->busy))
		return -EBUSY;
	return nonseekable_open(inode, file);
}

static int kh_device_release(struct inode *inode, struct file *file)
{
	clear_bit_unlock(0, &kh_device_module(file)->busy);
	return 0;
}

static long kh_device_arm(struct kh_stash *stash, void __user *argp)
{
	struct kh_entry *entries;
	struct kh_arm arm;
	size_t len;
	long ret;

	if (copy_from_user(&arm, argp, sizeof(arm)))
		return -EFAULT;
	if (arm.flags || arm.reserved || arm.count == 0 ||
	    arm.count > KH_MAX_ENTRIES || arm.timeout > KH_TIMEOUT_MAX)
		return -EINVAL;

	len = array_size(arm.count, sizeof(*entries));
	entries = kmalloc(len, GFP_KERNEL);
	if (!entries)
		return -ENOMEM;
	if (copy_from_user(entries, u64_to_user_ptr(arm.entries), len))
		ret = -EFAULT;
	else
		ret = kh_stash_arm(stash, entries, arm.count, arm.timeout,
				   false);
	kfree_sensitive(entries);
	return ret;
}

/* Every key first: nothing is armed unless all of them are found. */
static int kh_device_fetch_keys(const struct kh_keyref *refs, u32 count,
				struct kh_entry *entries, u32 *failed)
{
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		ret = kh_keyring_fetch(&refs[i], &entries[i]);
		if (ret) {
			*failed = i;
			return ret;
		}
	}
	*failed = count;
	return 0;
}

static bool kh_device_any_logon(const struct kh_keyref *refs, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		if (refs[i].type == KH_KEY_LOGON)
			return true;
	return false;
}

static long kh_device_arm_keyring(struct kh_stash *stash,
				  struct kh_arm_keyring __user *argp)
{
	struct kh_arm_keyring req;
	struct kh_entry *entries;
	struct kh_keyref *refs;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.count == 0 || req.count > KH_MAX_ENTRIES ||
	    req.timeout > KH_TIMEOUT_MAX)
		return -EINVAL;

	refs = memdup_user(u64_to_user_ptr(req.refs),
			   array_size(req.count, sizeof(*refs)));
	if (IS_ERR(refs))
		return PTR_ERR(refs);
	entries = kcalloc(req.count, sizeof(*entries), GFP_KERNEL);
	if (!entries) {
		ret = -ENOMEM;
		goto out_free_refs;
	}
	ret = kh_device_fetch_keys(refs, req.count, entries, &req.failed);
	/* Which key was refused, before arming: an arm must not be lost. */
	if (put_user(req.failed, &argp->failed))
		ret = -EFAULT;
	if (!ret)
		ret = kh_stash_arm(stash, entries, req.count, req.timeout,
				   kh_device_any_logon(refs, req.count));
	kfree_sensitive(entries);
out_free_refs:
	kfree(refs);
	return ret;
}

/*
 * The stash is taken out and wiped under the module's lock first; the
 * copy to userspace comes after, outside it. A bad pointer then loses the
 * stash instead of leaving it for another try: never two readers of one
 * key, and no user page fault can stall the lock a reboot waits for.
 */
static long kh_device_read(struct kh_stash *stash,
			   struct kh_read __user *argp)
{
	struct kh_entry *entries;
	struct kh_read req;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.capacity < KH_MAX_ENTRIES || req.reserved)
		return -EINVAL;

	entries = kcalloc(KH_MAX_ENTRIES, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return -ENOMEM;
	ret = kh_stash_read(stash, req.nonce, entries, &req.count,
			    &req.verdict);
	if (ret)
		goto out_free;
	if (req.count &&
	    copy_to_user(u64_to_user_ptr(req.entries), entries,
			 array_size(req.count, sizeof(*entries))))
		ret = -EFAULT;
	else if (copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
out_free:
	kfree_sensitive(entries);
	return ret;
}

static long kh_device_status(struct kh_stash *stash, void __user *argp)
{
	struct kh_status st;

	kh_stash_status(stash, &st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long kh_device_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct kh_stash *stash = &kh_device_module(file)->stash;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case KH_IOC_ARM:
		return kh_device_arm(stash, argp);
	case KH_IOC_ARM_KEYRING:
		return kh_device_arm_keyring(stash, argp);
	case KH_IOC_STATUS:
		return kh_device_status(stash, argp);
	case KH_IOC_READ:
		return kh_device_read(stash, (struct kh_read __user *)argp);
	case KH_IOC_WIPE:
		kh_stash_wipe(stash);
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kh_device_fops = {
	.owner = THIS_MODULE,
	.open = kh_device_open,
	.release = kh_device_release,
	.unlocked_ioctl = kh_device_ioctl,
	/* Fixed-layout structs with 64-bit pointers: no translation. */
	.compat_ioctl = compat_ptr_ioctl,
};

int kh_device_init(struct kh_module *kh)
{
	kh->misc.minor = MISC_DYNAMIC_MINOR;
	kh->misc.name = KBUILD_MODNAME;
	kh->misc.fops = &kh_device_fops;
	kh->misc.mode = 0600;
	return misc_register(&kh->misc);
}

void kh_device_exit(struct kh_module *kh)
{
	misc_deregister(&kh->misc);
}
