// SPDX-License-Identifier: GPL-2.0
/*
 * Keyring mode: take a volume key from the caller's keyrings, in the
 * kernel, so that it never passes through userspace.
 *
 * cryptsetup 2.7 can leave a volume key linked in a keyring as a "logon"
 * key (--link-vk-to-keyring), which userspace cannot read back but the
 * kernel can. The caller names the key; this file finds it exactly as the
 * caller could: request_key() searches the caller's own keyrings with its
 * credentials and checks search permission on every keyring and on the
 * key, and lookup_user_key() then checks view permission as keyctl
 * describe would. There is no upcall: a key that does not exist is not
 * made by /sbin/request-key.
 *
 * A logon key taken here leaves the kernel in the next one: root picks
 * that kernel's initramfs and reads the stash there. Under lockdown in
 * confidentiality mode that would be a way for root to read a logon key
 * it otherwise cannot, so a logon key is refused then. In integrity mode
 * (and without lockdown) root can read kernel memory anyway (/proc/kcore,
 * BPF), so the hand-over opens no new door; docs/keyring.md.
 */
#include <linux/err.h>
#include <linux/key.h>
#include <linux/security.h>
#include <linux/string.h>
#include <keys/user-type.h>

#include "format.h"
#include "keyhandover.h"

static struct key_type *kh_keyring_type(u32 type)
{
	switch (type) {
	case KH_KEY_LOGON:
		return &key_type_logon;
	case KH_KEY_USER:
		return &key_type_user;
	}
	return NULL;
}

static int kh_keyring_may(struct key *key, enum key_need_perm need)
{
	key_ref_t ref = lookup_user_key(key_serial(key), 0, need);

	if (IS_ERR(ref))
		return PTR_ERR(ref);
	key_ref_put(ref);
	return 0;
}

/*
 * What request_key() found, the caller must also be allowed to view; a
 * "user" key also to read, as keyctl read would require. A "logon" key has
 * no read at all: taking it is what keyring mode is for (docs/keyring.md).
 */
static int kh_keyring_may_take(struct key *key, u32 type)
{
	int ret = kh_keyring_may(key, KEY_NEED_VIEW);

	if (!ret && type == KH_KEY_USER)
		ret = kh_keyring_may(key, KEY_NEED_READ);
	return ret;
}

/* Copy the payload under the key's semaphore: an update cannot race. */
static int kh_keyring_copy(struct key *key, u32 want, struct kh_entry *e)
{
	const struct user_key_payload *payload;
	int ret;

	down_read(&key->sem);
	ret = key_validate(key);
	if (ret)
		goto out_unlock;
	payload = user_key_payload_locked(key);
	if (!payload) {
		ret = -EKEYREVOKED;
		goto out_unlock;
	}
	if (payload->datalen > KH_KEY_MAX) {
		ret = -EMSGSIZE;
		goto out_unlock;
	}
	/* The tool read the volume's key size from its LUKS header. */
	if (payload->datalen != want) {
		ret = -EKEYREJECTED;
		goto out_unlock;
	}
	e->key_size = payload->datalen;
	memcpy(e->key, payload->data, payload->datalen);
out_unlock:
	up_read(&key->sem);
	return ret;
}

/*
 * Kernel-held secrets are sealed off from root: lockdown=confidentiality.
 * LOCKDOWN_XFRM_SECRET is the reason the kernel gives for the same thing
 * with IPsec SA keys (the sentinel LOCKDOWN_CONFIDENTIALITY_MAX is no
 * valid reason: lockdown WARNs on it).
 */
bool kh_keyring_sealed(void)
{
	return security_locked_down(LOCKDOWN_XFRM_SECRET) != 0;
}

/*
 * Fill @e from @ref: UUID and name as given, the key from the keyring.
 * @e must be zeroed (the format wants zero padding). Negative errno:
 * -ENOKEY (no such key the caller can find), -EACCES, -EKEYREVOKED,
 * -EKEYEXPIRED, -EMSGSIZE (payload too long for the format),
 * -EKEYREJECTED (not the volume's key size), -EINVAL (malformed),
 * -EPERM (a logon key under confidentiality lockdown).
 */
int kh_keyring_fetch(const struct kh_keyref *ref, struct kh_entry *e)
{
	struct key_type *type = kh_keyring_type(ref->type);
	struct key *key;
	int ret;

	if (!type || !ref->key_size || ref->key_size > KH_KEY_MAX ||
	    !ref->description[0] ||
	    !memchr(ref->description, 0, sizeof(ref->description)))
		return -EINVAL;
	/* UUID and name first, so that a bad one is named by its index. */
	e->key_size = ref->key_size;
	memcpy(e->uuid, ref->uuid, sizeof(e->uuid));
	memcpy(e->name, ref->name, sizeof(e->name));
	if (kh_format_check_entry(e) != KH_VERDICT_OK)
		return -EINVAL;
	if (ref->type == KH_KEY_LOGON && kh_keyring_sealed())
		return -EPERM;
	/* No callout: find what exists, never ask userspace to make one. */
	key = request_key(type, ref->description, NULL);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kh_keyring_may_take(key, ref->type);
	if (!ret)
		ret = kh_keyring_copy(key, ref->key_size, e);
	key_put(key);
	return ret;
}
