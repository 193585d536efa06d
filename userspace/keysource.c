// SPDX-License-Identifier: GPL-2.0
/*
 * Where stash takes the volume keys from, decided before any device is
 * read for a key or any passphrase is asked for.
 *
 * Keyring mode when every volume's key is named (crypttab's
 * link-volume-key=) and is in the caller's keyrings now: the module takes
 * them in the kernel, nothing is asked and no key enters userspace.
 * Otherwise passphrase mode for all of them, as one arm takes one mode:
 * each volume's key file, else a prompt. A volume that would need a
 * prompt where none may be made (--no-ask, or nothing to ask on) refuses
 * the whole stash before anything is asked or armed: a reboot run by a
 * script must fail, naming the volume, never wait for a passphrase.
 *
 * Pure: the caller has looked at the keyrings, lockdown and the terminal.
 */
#include "keysource.h"

/*
 * Volume @v's key from the keyring, or why not. Under
 * lockdown=confidentiality (@sealed) the module refuses logon keys:
 * one there counts as not there; so does one the module refused at an
 * arm (revoked since, or not the volume's size), which armed nothing.
 */
enum khu_ks_why khu_keysource_why(const struct khu_ks_volume *v, bool sealed)
{
	if (!v->named)
		return KHU_KS_NOT_NAMED;
	if (v->refused)
		return KHU_KS_REFUSED;
	if (!v->present)
		return KHU_KS_MISSING;
	if (v->logon && sealed)
		return KHU_KS_SEALED;
	return KHU_KS_IN_KEYRING;
}

/* The first of @n volumes that passphrase mode would prompt for, or @n. */
static unsigned int khu_keysource_prompt(const struct khu_ks_volume *v,
					 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && v[i].key_file; i++)
		;
	return i;
}

/*
 * Choose for the @n volumes @v (n > 0). @c->cause and @c->why name the
 * first volume whose key is not taken from the keyring; @c->prompt, when
 * refused, the first that would need a passphrase.
 */
void khu_keysource_choose(const struct khu_ks_volume *v, unsigned int n,
			  bool sealed, enum khu_ks_ask ask,
			  struct khu_ks_choice *c)
{
	unsigned int i;

	c->mode = KHU_KS_KEYRING;
	c->cause = 0;
	c->why = n ? KHU_KS_IN_KEYRING : KHU_KS_NOT_NAMED;
	c->prompt = n;
	for (i = 0; i < n && c->why == KHU_KS_IN_KEYRING; i++) {
		c->cause = i;
		c->why = khu_keysource_why(&v[i], sealed);
	}
	if (c->why == KHU_KS_IN_KEYRING)
		return;
	c->mode = KHU_KS_PASSPHRASE;
	if (ask == KHU_KS_ASK)
		return;
	c->prompt = khu_keysource_prompt(v, n);
	if (c->prompt < n)
		c->mode = KHU_KS_REFUSE;
}
