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
 * Nothing waits forever: ARMED expires after the arm's timeout (no kexec
 * came), PENDING and INVALID after the default timeout from module load
 * (the new kernel never ran `keyhandover restore`).
 *
 * Once the machine goes down (reboot notifier) the stash is frozen: no
 * arm or read gets in between the notifier and the restart or kexec.
 */
#include <linux/jiffies.h>
#include <linux/kexec.h>
#include <linux/random.h>
#include <linux/string.h>

#include "format.h"
#include "keyhandover.h"

static void kh_stash_expire(struct work_struct *work);

/* Called with the lock held. */
static void kh_stash_set_timer(struct kh_stash *stash, unsigned int seconds)
{
	stash->expires = jiffies + seconds * HZ;
	mod_delayed_work(system_wq, &stash->expire, seconds * HZ);
}

/* Called with the lock held; the work may be running: it rechecks. */
static void kh_stash_stop_timer(struct kh_stash *stash)
{
	cancel_delayed_work(&stash->expire);
	stash->expires = 0;
}

/* Called with the lock held. */
static void kh_stash_clear(struct kh_stash *stash, enum kh_state state)
{
	kh_stash_stop_timer(stash);
	kh_region_wipe(&stash->region);
	stash->state = state;
	stash->verdict = KH_VERDICT_EMPTY;
	stash->count = 0;
	memset(stash->nonce, 0, sizeof(stash->nonce));
}

/* Decide what the region holds at load time, without consuming it. */
void kh_stash_init(struct kh_stash *stash, unsigned int default_timeout,
		   const u8 expect[KH_NONCE_LEN])
{
	struct kh_region *r = &stash->region;
	u32 count;
	int verdict;

	mutex_init(&stash->lock);
	INIT_DELAYED_WORK(&stash->expire, kh_stash_expire);
	stash->default_timeout = default_timeout;
	memcpy(stash->expect, expect, KH_NONCE_LEN);
	verdict = kh_format_parse(r->virt, r->size, NULL, 0, &count,
				  stash->nonce);
	stash->verdict = verdict;
	stash->count = count;
	if (verdict == KH_VERDICT_EMPTY) {
		stash->state = KH_STATE_EMPTY;
		return;
	}
	/* Whatever it is, it may hold key bytes: it must not linger. */
	kh_stash_set_timer(stash, default_timeout);
	if (verdict == KH_VERDICT_OK) {
		stash->state = KH_STATE_PENDING;
		pr_info("a hand-over with %u volume(s) is waiting to be read\n",
			count);
	} else {
		stash->state = KH_STATE_INVALID;
		pr_info("region holds no valid hand-over: %s\n",
			kh_format_verdict_str(verdict));
	}
}

static void kh_stash_expire(struct work_struct *work)
{
	struct kh_stash *stash = container_of(to_delayed_work(work),
					      struct kh_stash, expire);

	mutex_lock(&stash->lock);
	/* A wipe or read may have won the race for the lock: then no-op. */
	if (stash->expires && time_after_eq(jiffies, stash->expires)) {
		pr_info("stash not collected in time: region wiped\n");
		kh_stash_clear(stash, KH_STATE_EMPTY);
	}
	mutex_unlock(&stash->lock);
}

void kh_stash_exit(struct kh_stash *stash)
{
	cancel_delayed_work_sync(&stash->expire);
	mutex_lock(&stash->lock);
	kh_stash_clear(stash, KH_STATE_EMPTY);
	mutex_unlock(&stash->lock);
}

/* Called with the lock held: may the region take a new stash? */
static int kh_stash_may_arm(struct kh_stash *stash)
{
	if (stash->going_down)
		return -ESHUTDOWN;
	/* Never replace a stash: not ours (PENDING), nor our own (ARMED). */
	if (stash->state == KH_STATE_ARMED || stash->state == KH_STATE_PENDING)
		return -EBUSY;
	return 0;
}

/*
 * Write @entries under a fresh nonce. Checked in full before the first
 * byte is written, so a refused arm leaves the old state.
 */
int kh_stash_arm(struct kh_stash *stash, const struct kh_entry *entries,
		 u32 count, unsigned int timeout)
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
	kh_stash_clear(stash, KH_STATE_EMPTY);
	get_random_bytes(stash->nonce, sizeof(stash->nonce));
	len = kh_format_build(r->virt, r->size, entries, count, stash->nonce);
	if (len < 0) {
		kh_stash_clear(stash, KH_STATE_EMPTY);
		ret = -EINVAL;
		goto out_unlock;
	}
	kh_region_sync(r);
	stash->state = KH_STATE_ARMED;
	stash->verdict = KH_VERDICT_OK;
	stash->count = count;
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
	if (stash->expires && time_before(jiffies, stash->expires))
		st->expires_in = DIV_ROUND_UP(stash->expires - jiffies, HZ);
	/* The arming kernel needs it for `load`; a reader must bring it. */
	if (stash->state == KH_STATE_ARMED)
		memcpy(st->nonce, stash->nonce, sizeof(st->nonce));
	mutex_unlock(&stash->lock);
}

static bool kh_nonce_is_zero(const u8 *nonce)
{
	return !memchr_inv(nonce, 0, KH_NONCE_LEN);
}

/*
 * The nonce this kernel was started for: the module parameter when it
 * was given (modprobe passes keyhandover.nonce= from the command line),
 * else the reader's. A stash under any other nonce, or with no nonce
 * named at all, is stale: an earlier arming, an earlier boot, a replay.
 */
static int kh_stash_check_nonce(struct kh_stash *stash, const u8 *given)
{
	const u8 *want = given;

	if (!kh_nonce_is_zero(stash->expect)) {
		if (!kh_nonce_is_zero(given) &&
		    memcmp(given, stash->expect, KH_NONCE_LEN))
			return KH_VERDICT_STALE;
		want = stash->expect;
	}
	if (kh_nonce_is_zero(want) ||
	    memcmp(want, stash->nonce, KH_NONCE_LEN))
		return KH_VERDICT_STALE;
	return KH_VERDICT_OK;
}

/* Called with the lock held. */
static int kh_stash_take(struct kh_stash *stash, const u8 *nonce,
			 struct kh_entry *out, u32 *count)
{
	struct kh_region *r = &stash->region;
	int verdict;

	if (stash->state == KH_STATE_EMPTY || stash->state == KH_STATE_CONSUMED)
		return KH_VERDICT_EMPTY;
	verdict = kh_format_parse(r->virt, r->size, out, KH_MAX_ENTRIES, count,
				  stash->nonce);
	if (verdict == KH_VERDICT_OK)
		verdict = kh_stash_check_nonce(stash, nonce);
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
	if (stash->state == KH_STATE_EMPTY)
		goto out_unlock;
	kh_stash_clear(stash, KH_STATE_CONSUMED);
	if (*verdict == KH_VERDICT_OK)
		pr_info("handed over %u volume(s); region wiped\n", *count);
	else if (*verdict != KH_VERDICT_EMPTY)
		pr_warn("refused the region: %s; region wiped\n",
			kh_format_verdict_str(*verdict));
out_unlock:
	mutex_unlock(&stash->lock);
	return ret;
}

/* Called with the lock held. */
static void kh_stash_wipe_locked(struct kh_stash *stash)
{
	kh_stash_clear(stash, KH_STATE_EMPTY);
	pr_info("region wiped\n");
}

void kh_stash_wipe(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	kh_stash_wipe_locked(stash);
	mutex_unlock(&stash->lock);
}

/*
 * The machine is going down. On kexec the region is handed on as it is:
 * stop the timer so that it cannot wipe it on the way. On any other path
 * wipe it. Either way, no arm or read after this.
 */
void kh_stash_shutdown(struct kh_stash *stash, bool kexec)
{
	mutex_lock(&stash->lock);
	stash->going_down = true;
	if (!kexec) {
		kh_stash_wipe_locked(stash);
	} else if (stash->state == KH_STATE_ARMED ||
		   stash->state == KH_STATE_PENDING) {
		kh_stash_stop_timer(stash);
		pr_info("kexec: keeping %u volume(s) for the next kernel\n",
			stash->count);
	}
	mutex_unlock(&stash->lock);
}
