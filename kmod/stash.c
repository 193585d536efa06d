// SPDX-License-Identifier: GPL-2.0
/*
 * The stash: the rules for what may happen to the region's contents.
 *
 *   EMPTY/CONSUMED/INVALID --arm--> ARMED --(kexec)--> PENDING in the next
 *   kernel --read--> CONSUMED (region wiped, whatever the verdict)
 *
 * A kernel never reads back what it armed itself: that would turn the
 * module into a way for root to pull a key out of the kernel. An armed
 * or pending stash is never replaced by an arm: wipe it first.
 *
 * A stash is PENDING only when this kernel was started for it: its nonce
 * is the one `keyhandover load` put on this kernel's command line
 * (keyhandover.nonce=, which modprobe hands to the module). Anything else
 * found at load time (no nonce on the command line: a kexec nobody set up
 * for the hand-over, a reset that ran no notifier; another nonce; bytes
 * that do not parse) is wiped there and then, and only its verdict is
 * kept, so that `keyhandover restore` can still say what it was.
 *
 * Nothing waits forever: ARMED expires after the arm's timeout (no kexec
 * came), PENDING after the default timeout from module load (the new
 * kernel never ran `keyhandover restore`). Deadlines are CLOCK_BOOTTIME,
 * which counts time asleep; a suspend or hibernation wipes the stash
 * anyway (lifecycle.c).
 *
 * Once the machine goes down (reboot notifier) the stash is frozen: no
 * arm or read gets in between the notifier and the restart or kexec.
 */
#include <linux/jiffies.h>
#include <linux/kexec.h>
#include <linux/lockdep.h>
#include <linux/random.h>
#include <linux/string.h>

#include "format.h"
#include "keyhandover.h"

static void kh_stash_expire(struct work_struct *work);

/* Called with the lock held. */
static void kh_stash_set_timer(struct kh_stash *stash, unsigned int seconds)
{
	lockdep_assert_held(&stash->lock);
	stash->expires = ktime_add(ktime_get_boottime(),
				   ktime_set(seconds, 0));
	mod_delayed_work(system_wq, &stash->expire, seconds * HZ);
}

/* Called with the lock held; the work may be running: it rechecks. */
static void kh_stash_stop_timer(struct kh_stash *stash)
{
	lockdep_assert_held(&stash->lock);
	cancel_delayed_work(&stash->expire);
	stash->expires = 0;
}

/* Called with the lock held. Nanoseconds left, 0 when none or past. */
static s64 kh_stash_time_left(struct kh_stash *stash)
{
	s64 left;

	lockdep_assert_held(&stash->lock);
	if (!stash->expires)
		return 0;
	left = ktime_to_ns(ktime_sub(stash->expires, ktime_get_boottime()));
	return left > 0 ? left : 0;
}

static bool kh_stash_holds_key(struct kh_stash *stash)
{
	return stash->state == KH_STATE_ARMED ||
	       stash->state == KH_STATE_PENDING;
}

/*
 * Called with the lock held. @why is recorded when a stash was there to
 * go; KH_WIPE_NONE wipes without recording (an arm clearing the way).
 */
static void kh_stash_clear(struct kh_stash *stash, enum kh_state state,
			   enum kh_wipe why)
{
	lockdep_assert_held(&stash->lock);
	kh_stash_stop_timer(stash);
	kh_region_wipe(&stash->region);
	if (why != KH_WIPE_NONE && kh_stash_holds_key(stash))
		stash->wiped = why;
	stash->state = state;
	stash->verdict = KH_VERDICT_EMPTY;
	stash->count = 0;
	memset(stash->nonce, 0, sizeof(stash->nonce));
}

static bool kh_nonce_is_zero(const u8 *nonce)
{
	return !memchr_inv(nonce, 0, KH_NONCE_LEN);
}

/* A valid stash found at load: is it the one this kernel was started for? */
static int kh_stash_ours(struct kh_stash *stash)
{
	if (kh_nonce_is_zero(stash->expect)) {
		pr_warn("a hand-over is in the region, but this kernel's command line names none (no keyhandover.nonce=): not for this kernel\n");
		return KH_VERDICT_STALE;
	}
	if (memcmp(stash->expect, stash->nonce, KH_NONCE_LEN)) {
		pr_warn("the hand-over in the region is from another kexec than the one that started this kernel\n");
		return KH_VERDICT_STALE;
	}
	return KH_VERDICT_OK;
}

/*
 * Called with the lock held. Decide what the region holds at load time.
 * A stash meant for this kernel waits for its reader (PENDING); whatever
 * else is there may hold key bytes that nobody will ever be allowed to
 * read: wiped at once.
 */
static void kh_stash_load(struct kh_stash *stash)
{
	struct kh_region *r = &stash->region;
	u32 count;
	int verdict;

	lockdep_assert_held(&stash->lock);
	verdict = kh_format_parse(r->virt, r->size, NULL, 0, &count,
				  stash->nonce);
	if (verdict == KH_VERDICT_EMPTY) {
		stash->state = KH_STATE_EMPTY;
		return;
	}
	if (verdict == KH_VERDICT_OK)
		verdict = kh_stash_ours(stash);
	if (verdict == KH_VERDICT_OK) {
		stash->state = KH_STATE_PENDING;
		stash->verdict = verdict;
		stash->count = count;
		kh_stash_set_timer(stash, stash->default_timeout);
		pr_info("a hand-over with %u volume(s) is waiting to be read\n",
			count);
		return;
	}
	kh_region_wipe(r);
	memset(stash->nonce, 0, sizeof(stash->nonce));
	stash->state = KH_STATE_INVALID;
	stash->verdict = verdict;
	stash->wiped = verdict == KH_VERDICT_STALE ? KH_WIPE_FOREIGN :
						     KH_WIPE_INVALID;
	pr_info("region refused (%s): wiped\n",
		kh_format_verdict_str(verdict));
}

/*
 * No device and no notifier reach the stash yet, but the expiry work can
 * once kh_stash_load() sets the timer: the lock is held as everywhere.
 */
void kh_stash_init(struct kh_stash *stash, unsigned int default_timeout,
		   const u8 expect[KH_NONCE_LEN])
{
	mutex_init(&stash->lock);
	INIT_DELAYED_WORK(&stash->expire, kh_stash_expire);
	stash->default_timeout = default_timeout;
	memcpy(stash->expect, expect, KH_NONCE_LEN);
	mutex_lock(&stash->lock);
	kh_stash_load(stash);
	mutex_unlock(&stash->lock);
}

/*
 * The module refuses to load (a malformed parameter): whatever the region
 * holds would otherwise stay in RAM with nobody left to wipe it.
 */
void kh_stash_refuse(struct kh_region *region)
{
	if (memchr_inv(region->virt, 0, region->size))
		pr_info("module not loaded: region wiped\n");
	kh_region_wipe(region);
}

static void kh_stash_expire(struct work_struct *work)
{
	struct kh_stash *stash = container_of(to_delayed_work(work),
					      struct kh_stash, expire);
	s64 left;

	mutex_lock(&stash->lock);
	/* A wipe or read may have won the race for the lock: then no-op. */
	if (!stash->expires)
		goto out_unlock;
	left = kh_stash_time_left(stash);
	if (left) {
		/* Woken early (a resume kicks the work): wait the rest. */
		mod_delayed_work(system_wq, &stash->expire,
				 nsecs_to_jiffies(left) + 1);
		goto out_unlock;
	}
	pr_info("stash not collected in time: region wiped\n");
	kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_TIMEOUT);
out_unlock:
	mutex_unlock(&stash->lock);
}

void kh_stash_exit(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_NONE);
	mutex_unlock(&stash->lock);
	/* After the clear: a work that ran meanwhile found nothing to do. */
	cancel_delayed_work_sync(&stash->expire);
}

/* Called with the lock held: may the region take a new stash? */
static int kh_stash_may_arm(struct kh_stash *stash)
{
	lockdep_assert_held(&stash->lock);
	if (stash->going_down)
		return -ESHUTDOWN;
	/* Processes are being frozen: an arm now would sleep with the key. */
	if (stash->sleeping)
		return -EAGAIN;
	/* Never replace a stash: not ours (PENDING), nor our own (ARMED). */
	if (kh_stash_holds_key(stash))
		return -EBUSY;
	/*
	 * The KHO region is System RAM: a crash kernel would find it in
	 * /proc/vmcore, since with one loaded panic() never reaches our
	 * panic notifier. A memmap= region is not System RAM, so no dump
	 * includes it.
	 */
	if (stash->region.backend == KH_BACKEND_KHO && kexec_crash_loaded())
		return -EPERM;
	return 0;
}

/*
 * Write @entries under a fresh nonce. Checked in full before the first
 * byte is written, so a refused arm leaves the old state.
 */
int kh_stash_arm(struct kh_stash *stash, const struct kh_entry *entries,
		 u32 count, unsigned int timeout, bool logon)
{
	struct kh_region *r = &stash->region;
	long len;
	u32 i;
	int ret;

	if (count == 0 || count > kh_format_capacity(r->size) ||
	    timeout > KH_TIMEOUT_MAX)
		return -EINVAL;
	if (!timeout)
		timeout = stash->default_timeout;
	for (i = 0; i < count; i++)
		if (kh_format_check_entry(&entries[i]) != KH_VERDICT_OK)
			return -EINVAL;

	mutex_lock(&stash->lock);
	ret = kh_stash_may_arm(stash);
	if (ret)
		goto out_unlock;
	kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_NONE);
	get_random_bytes(stash->nonce, sizeof(stash->nonce));
	len = kh_format_build(r->virt, r->size, entries, count, stash->nonce);
	if (len < 0) {
		kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_NONE);
		ret = -EINVAL;
		goto out_unlock;
	}
	kh_region_sync(r);
	stash->state = KH_STATE_ARMED;
	stash->verdict = KH_VERDICT_OK;
	stash->count = count;
	stash->wiped = KH_WIPE_NONE;
	stash->logon = logon;
	kh_stash_set_timer(stash, timeout);
	pr_info("armed with %u volume(s), wiped in %u s unless kexec comes first\n",
		count, timeout);
	if (kexec_crash_loaded())
		pr_warn("a crash kernel is loaded: a panic starts it before the panic wipe can run\n");
out_unlock:
	mutex_unlock(&stash->lock);
	return ret;
}

void kh_stash_status(struct kh_stash *stash, struct kh_status *st)
{
	memset(st, 0, sizeof(*st));
	mutex_lock(&stash->lock);
	st->state = stash->state;
	st->verdict = stash->verdict;
	st->count = stash->count;
	st->capacity = kh_format_capacity(stash->region.size);
	st->region_size = stash->region.size;
	st->format_version = KH_FORMAT_VERSION;
	st->backend = stash->region.backend;
	st->wiped = stash->wiped;
	st->expires_in = DIV_ROUND_UP_ULL(kh_stash_time_left(stash),
					  NSEC_PER_SEC);
	/* The arming kernel needs it for `load`; a reader must bring it. */
	if (stash->state == KH_STATE_ARMED)
		memcpy(st->nonce, stash->nonce, sizeof(st->nonce));
	mutex_unlock(&stash->lock);
}

/*
 * Called with the lock held. PENDING means the module's nonce parameter
 * matched at load; a reader that names a nonce must name the same one.
 * INVALID was wiped at load: only its verdict is left to report.
 */
static int kh_stash_take(struct kh_stash *stash, const u8 *nonce,
			 struct kh_entry *out, u32 *count)
{
	struct kh_region *r = &stash->region;
	u8 found[KH_NONCE_LEN];
	int verdict;

	lockdep_assert_held(&stash->lock);
	if (stash->state == KH_STATE_INVALID)
		return stash->verdict;
	if (stash->state != KH_STATE_PENDING)
		return KH_VERDICT_EMPTY;
	verdict = kh_format_parse(r->virt, r->size, out, KH_MAX_ENTRIES, count,
				  found);
	if (verdict == KH_VERDICT_OK &&
	    (memcmp(found, stash->nonce, KH_NONCE_LEN) ||
	     (!kh_nonce_is_zero(nonce) &&
	      memcmp(nonce, stash->nonce, KH_NONCE_LEN))))
		verdict = KH_VERDICT_STALE;
	if (verdict != KH_VERDICT_OK) {
		memzero_explicit(out, KH_MAX_ENTRIES * sizeof(*out));
		*count = 0;
	}
	return verdict;
}

/*
 * Take the stash out once: into @out (KH_MAX_ENTRIES entries), and the
 * region is wiped before the lock is dropped. What happens to @out after
 * is the caller's business: the stash is gone either way.
 */
int kh_stash_read(struct kh_stash *stash, const u8 nonce[KH_NONCE_LEN],
		  struct kh_entry *out, u32 *count, u32 *verdict)
{
	int ret = 0;

	*count = 0;
	mutex_lock(&stash->lock);
	if (stash->going_down) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (stash->state == KH_STATE_ARMED) {
		ret = -EBUSY;
		goto out_unlock;
	}
	*verdict = kh_stash_take(stash, nonce, out, count);
	if (stash->state == KH_STATE_EMPTY ||
	    stash->state == KH_STATE_CONSUMED)
		goto out_unlock;
	kh_stash_clear(stash, KH_STATE_CONSUMED, KH_WIPE_READ);
	if (*verdict == KH_VERDICT_OK)
		pr_info("handed over %u volume(s); region wiped\n", *count);
	else
		pr_warn("refused the region: %s; region wiped\n",
			kh_format_verdict_str(*verdict));
out_unlock:
	mutex_unlock(&stash->lock);
	return ret;
}

void kh_stash_wipe(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_REQUEST);
	pr_info("region wiped\n");
	mutex_unlock(&stash->lock);
}

/*
 * Does a kexec carry the stash on? Only an ARMED one: a PENDING stash was
 * for this kernel, not for the next one (its nonce may even still be on
 * the next one's command line). And not a logon key armed before lockdown
 * went up to confidentiality (it can be raised at run time): that arm
 * would be refused now, so the kexec must not carry it either.
 */
static bool kh_stash_carried(struct kh_stash *stash, bool kexec)
{
	if (!kexec || stash->state != KH_STATE_ARMED)
		return false;
	if (stash->logon && kh_keyring_sealed()) {
		pr_info("kexec: a logon key armed before lockdown=confidentiality is not passed on\n");
		return false;
	}
	return true;
}

/*
 * The machine is going down. A kexec carries an ARMED stash on as it is:
 * stop the timer so that it cannot wipe it on the way. Everything else
 * goes, on any reboot path. No arm or read after this.
 */
void kh_stash_shutdown(struct kh_stash *stash, bool kexec)
{
	mutex_lock(&stash->lock);
	stash->going_down = true;
	if (kh_stash_carried(stash, kexec)) {
		kh_stash_stop_timer(stash);
		pr_info("kexec: keeping %u volume(s) for the next kernel\n",
			stash->count);
	} else {
		if (kexec && stash->state == KH_STATE_PENDING)
			pr_info("kexec: the hand-over this kernel did not collect is not passed on\n");
		kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_SHUTDOWN);
		pr_info("region wiped\n");
	}
	mutex_unlock(&stash->lock);
}

/*
 * Suspend or hibernation is about to start. Either stash goes: an ARMED
 * one would sleep in RAM for as long as the machine does (and a
 * hibernation image on disk holds all of System RAM, the KHO region
 * included); a PENDING one the same. No arm until resume.
 */
void kh_stash_suspend(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	stash->sleeping = true;
	if (kh_stash_holds_key(stash)) {
		kh_stash_clear(stash, KH_STATE_EMPTY, KH_WIPE_SUSPEND);
		pr_info("suspend: region wiped\n");
	}
	mutex_unlock(&stash->lock);
}

void kh_stash_resume(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	stash->sleeping = false;
	/* The work counts jiffies, which stood still: recheck the clock. */
	if (stash->expires)
		mod_delayed_work(system_wq, &stash->expire, 0);
	mutex_unlock(&stash->lock);
}
