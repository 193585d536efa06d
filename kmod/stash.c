// SPDX-License-Identifier: GPL-2.0
/*
 * The stash: the rules for what may happen to the region's contents.
 *
 *   EMPTY/CONSUMED/INVALID --arm--> ARMED --(kexec)--> PENDING in the next
 *   kernel --read--> CONSUMED (region wiped, whatever the verdict)
 *
 * A kernel never reads back what it armed itself: that would turn the
 * module into a way for root to pull a key out of the kernel.
 *
 * A stash nobody collects does not wait forever: ARMED expires after the
 * arm's timeout (no kexec came), PENDING after the default timeout from
 * module load (the new kernel never ran `keyhandover restore`).
 */
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
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

/* Decide what the region holds at load time, without consuming it. */
void kh_stash_init(struct kh_stash *stash, unsigned int default_timeout)
{
	struct kh_region *r = &stash->region;
	u32 count;
	int verdict;

	mutex_init(&stash->lock);
	INIT_DELAYED_WORK(&stash->expire, kh_stash_expire);
	stash->default_timeout = default_timeout;
	verdict = kh_format_parse(r->virt, r->size, NULL, 0, &count,
				  stash->nonce);
	stash->verdict = verdict;
	stash->count = count;
	if (verdict == KH_VERDICT_OK) {
		stash->state = KH_STATE_PENDING;
		kh_stash_set_timer(stash, default_timeout);
		pr_info("a hand-over with %u volume(s) is waiting to be read\n",
			count);
	} else if (verdict == KH_VERDICT_EMPTY) {
		stash->state = KH_STATE_EMPTY;
	} else {
		stash->state = KH_STATE_INVALID;
		pr_info("region holds no valid hand-over: %s\n",
			kh_format_verdict_str(verdict));
	}
}

/* Called with the lock held. */
static void kh_stash_clear(struct kh_stash *stash, enum kh_state state)
{
	/* Not _sync: the work itself takes the lock we hold. */
	cancel_delayed_work(&stash->expire);
	stash->expires = 0;
	kh_region_wipe(&stash->region);
	stash->state = state;
	stash->verdict = KH_VERDICT_EMPTY;
	stash->count = 0;
	memset(stash->nonce, 0, sizeof(stash->nonce));
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
	mutex_destroy(&stash->lock);
}

/*
 * Replace whatever the region held with @entries. Checked in full before
 * the first byte is written, so a refused arm leaves the old state.
 */
int kh_stash_arm(struct kh_stash *stash, const struct kh_entry *entries,
		 u32 count, unsigned int timeout)
{
	struct kh_region *r = &stash->region;
	u8 nonce[KH_NONCE_LEN];
	long len;
	u32 i;
	int ret = 0;

	if (count == 0 || count > kh_format_capacity(r->size) ||
	    timeout > KH_TIMEOUT_MAX)
		return -EINVAL;
	if (!timeout)
		timeout = stash->default_timeout;
	for (i = 0; i < count; i++)
		if (kh_format_check_entry(&entries[i]) != KH_VERDICT_OK)
			return -EINVAL;

	mutex_lock(&stash->lock);
	if (stash->state == KH_STATE_PENDING) {
		/* Do not destroy a hand-over that nobody has read yet. */
		ret = -EBUSY;
		goto out_unlock;
	}
	get_random_bytes(nonce, sizeof(nonce));
	kh_stash_clear(stash, KH_STATE_EMPTY);
	memcpy(stash->nonce, nonce, sizeof(nonce));
	len = kh_format_build(r->virt, r->size, entries, count, nonce);
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
	if (stash->expires && time_before(jiffies, stash->expires))
		st->expires_in = DIV_ROUND_UP(stash->expires - jiffies, HZ);
	memcpy(st->nonce, stash->nonce, sizeof(st->nonce));
	mutex_unlock(&stash->lock);
}

/*
 * A stash that parses but whose nonce is not the one this kernel was
 * started for: an earlier arming, an earlier boot, or a replay.
 */
static int kh_stash_check_nonce(struct kh_stash *stash, const u8 *nonce,
				struct kh_entry *entries, u32 *count)
{
	if (!memcmp(stash->nonce, nonce, KH_NONCE_LEN))
		return KH_VERDICT_OK;
	memzero_explicit(entries, KH_MAX_ENTRIES * sizeof(*entries));
	*count = 0;
	return KH_VERDICT_STALE;
}

int kh_stash_read(struct kh_stash *stash, const u8 nonce[KH_NONCE_LEN],
		  kh_deliver_fn deliver, void *ctx)
{
	struct kh_region *r = &stash->region;
	struct kh_entry *entries;
	u32 count = 0;
	int verdict, ret;

	entries = kcalloc(KH_MAX_ENTRIES, sizeof(*entries), GFP_KERNEL);
	if (!entries)
		return -ENOMEM;

	mutex_lock(&stash->lock);
	switch (stash->state) {
	case KH_STATE_ARMED:
		ret = -EBUSY;
		goto out_unlock;
	case KH_STATE_EMPTY:
	case KH_STATE_CONSUMED:
		verdict = KH_VERDICT_EMPTY;
		break;
	default:
		verdict = kh_format_parse(r->virt, r->size, entries,
					  KH_MAX_ENTRIES, &count, stash->nonce);
		if (verdict == KH_VERDICT_OK)
			verdict = kh_stash_check_nonce(stash, nonce, entries,
						       &count);
		break;
	}
	ret = deliver(ctx, entries, count, verdict);
	if (ret)
		goto out_unlock;
	if (stash->state != KH_STATE_EMPTY)
		kh_stash_clear(stash, KH_STATE_CONSUMED);
	if (verdict == KH_VERDICT_OK)
		pr_info("handed over %u volume(s); region wiped\n", count);
	else if (verdict != KH_VERDICT_EMPTY)
		pr_warn("refused the region: %s; region wiped\n",
			kh_format_verdict_str(verdict));
out_unlock:
	mutex_unlock(&stash->lock);
	kfree_sensitive(entries);
	return ret;
}

void kh_stash_wipe(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	kh_stash_clear(stash, KH_STATE_EMPTY);
	mutex_unlock(&stash->lock);
	pr_info("region wiped\n");
}

/* kexec keeps the region as it is; say so only when there is a stash. */
void kh_stash_note_kexec(struct kh_stash *stash)
{
	mutex_lock(&stash->lock);
	if (stash->state == KH_STATE_ARMED || stash->state == KH_STATE_PENDING)
		pr_info("kexec: keeping %u volume(s) for the next kernel\n",
			stash->count);
	mutex_unlock(&stash->lock);
}
