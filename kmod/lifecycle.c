// SPDX-License-Identifier: GPL-2.0
/*
 * When the stash must go: any reboot, halt or power-off that is not a
 * kexec, a panic, and a suspend or hibernation. Only kexec hands RAM to a
 * kernel that will look for the key; after any other path the next owner
 * of that RAM is firmware or a kernel that never asked for it, and a
 * cold-boot attacker is the one who benefits.
 *
 * kernel_kexec() runs the reboot notifiers with SYS_RESTART and the
 * string "kexec reboot"; that is the one case the stash survives.
 */
#include <linux/ktime.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <linux/suspend.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>

#include "keyhandover.h"

/*
 * reboot(LINUX_REBOOT_CMD_RESTART2, "kexec reboot") passes the same
 * string, from a buffer on the caller's kernel stack; kexec passes a
 * constant. kexec_in_progress, the direct answer, is not exported.
 */
static bool kh_lifecycle_is_kexec(unsigned long action, void *data)
{
	return action == SYS_RESTART && data && !object_is_on_stack(data) &&
	       !strcmp(data, "kexec reboot");
}

/*
 * Every shutdown waits for this notifier: its cost is said at debug
 * level (dyndbg=+p), for make bench, the one way to time a path after
 * which no tracer's buffer can be read.
 */
static int kh_lifecycle_reboot(struct notifier_block *nb,
			       unsigned long action, void *data)
{
	struct kh_module *kh = container_of(nb, struct kh_module, reboot_nb);
	u64 start = ktime_get_ns();

	kh_stash_shutdown(&kh->stash, kh_lifecycle_is_kexec(action, data));
	pr_debug("reboot notifier: %llu ns\n", ktime_get_ns() - start);
	return NOTIFY_DONE;
}

/*
 * Best effort: the system is dying, locks may be held and other CPUs may
 * be anywhere. Zeroing a mapping we own needs neither. With a crash
 * kernel loaded, panic() starts it before any notifier runs (unless
 * crash_kexec_post_notifiers), so this wipe never happens then. A
 * memmap= region is not System RAM and no crash dump includes it; the
 * KHO region is, so stash.c refuses to arm it while a crash kernel is
 * loaded.
 */
static int kh_lifecycle_panic(struct notifier_block *nb,
			      unsigned long action, void *data)
{
	struct kh_module *kh = container_of(nb, struct kh_module, panic_nb);

	kh_region_wipe(&kh->stash.region);
	pr_emerg("panic: region wiped\n");
	return NOTIFY_DONE;
}

/*
 * Before the freezer runs, whether to RAM, to idle or to disk. Wiping at
 * PREPARE, not later, keeps the key out of a hibernation image, which is
 * written after the notifiers ran. A failed or finished sleep ends in a
 * POST event: arming is allowed again then.
 */
static int kh_lifecycle_pm(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct kh_module *kh = container_of(nb, struct kh_module, pm_nb);

	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		kh_stash_suspend(&kh->stash);
		break;
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		kh_stash_resume(&kh->stash);
		break;
	}
	return NOTIFY_DONE;
}

int kh_lifecycle_init(struct kh_module *kh)
{
	int ret;

	kh->reboot_nb.notifier_call = kh_lifecycle_reboot;
	kh->pm_nb.notifier_call = kh_lifecycle_pm;
	kh->panic_nb.notifier_call = kh_lifecycle_panic;
	/* First among the notifiers, some of which may not return. */
	kh->panic_nb.priority = INT_MAX;

	ret = register_reboot_notifier(&kh->reboot_nb);
	if (ret)
		return ret;
	/* A no-op returning 0 without CONFIG_PM_SLEEP: nothing to guard. */
	ret = register_pm_notifier(&kh->pm_nb);
	if (ret)
		goto out_reboot;
	atomic_notifier_chain_register(&panic_notifier_list, &kh->panic_nb);
	return 0;

out_reboot:
	unregister_reboot_notifier(&kh->reboot_nb);
	return ret;
}

void kh_lifecycle_exit(struct kh_module *kh)
{
	atomic_notifier_chain_unregister(&panic_notifier_list, &kh->panic_nb);
	unregister_pm_notifier(&kh->pm_nb);
	unregister_reboot_notifier(&kh->reboot_nb);
}
