/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where stash takes the volume keys from: every one from the kernel
 * keyring (keyring mode, no prompt), or every one from its passphrase or
 * key file (passphrase mode): the module arms one mode at a time. A pure
 * decision (see keysource.c); the caller looks at keyrings and terminal.
 */
#ifndef KHU_KEYSOURCE_H
#define KHU_KEYSOURCE_H

#include <stdbool.h>

/* Why one volume's key can or cannot be taken from the keyring. */
enum khu_ks_why {
	KHU_KS_IN_KEYRING,	/* named, and in the caller's keyrings now */
	KHU_KS_NOT_NAMED,	/* no link-volume-key= (a DEVICE: no --keyring) */
	KHU_KS_MISSING,		/* named, but not in the caller's keyrings */
	KHU_KS_SEALED,		/* a logon key under lockdown=confidentiality */
	KHU_KS_REFUSED,		/* there, but the module refused it at the arm */
};

enum khu_ks_mode {
	KHU_KS_KEYRING,		/* every key from the keyring */
	KHU_KS_PASSPHRASE,	/* every key from a passphrase or key file */
	KHU_KS_REFUSE,		/* a passphrase is needed, and may not be asked */
};

/* Whether a passphrase may be asked for. */
enum khu_ks_ask {
	KHU_KS_ASK,
	KHU_KS_ASK_FORBIDDEN,	/* --no-ask */
	KHU_KS_ASK_NOWHERE,	/* no terminal, and nothing on stdin */
};

/* What the decision knows of one volume. */
struct khu_ks_volume {
	bool named;		/* crypttab's link-volume-key= names its key */
	bool present;		/* ... and the key is in the caller's keyrings */
	bool logon;		/* ... as a logon key */
	bool refused;		/* ... which the module refused (nothing armed) */
	bool key_file;		/* it has a key file: no passphrase to ask */
};

struct khu_ks_choice {
	enum khu_ks_mode mode;
	unsigned int cause;	/* not keyring: the first volume keeping the */
	enum khu_ks_why why;	/* mode from it, and why */
	unsigned int prompt;	/* refuse: the first volume needing a prompt */
};

enum khu_ks_why khu_keysource_why(const struct khu_ks_volume *v, bool sealed);
void khu_keysource_choose(const struct khu_ks_volume *v, unsigned int n,
			  bool sealed, enum khu_ks_ask ask,
			  struct khu_ks_choice *c);

#endif /* KHU_KEYSOURCE_H */
