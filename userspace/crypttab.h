/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /etc/crypttab, as far as keyhandover needs it: which volumes stash hands
 * over with no DEVICE, under which names, with which key file; the
 * dm-crypt options restore opens each volume with; and where systemd's
 * link-volume-key= wants each volume key linked.
 */
#ifndef KHU_CRYPTTAB_H
#define KHU_CRYPTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/keyhandover.h"

#define KHU_CRYPTTAB_PATH	"/etc/crypttab"
/*
 * Its lines cut to "name source none" and their activation options and
 * link-volume-key=, as our initramfs hooks copy them there
 * (integration/crypttab-initramfs.awk).
 */
#define KHU_CRYPTTAB_COPY	"/etc/keyhandover/crypttab"
#define KHU_CRYPTTAB_MAX	64	/* entries read; more is refused */
#define KHU_CRYPTTAB_FIELD	512

/*
 * The options that change how the volume is opened (dm-crypt flags), as
 * crypttab(5) spells them and as Debian's cryptroot and systemd-cryptsetup
 * apply them: restore opens a handed-over volume with them too.
 */
#define KHU_CRYPTTAB_DISCARD			(1U << 0)
#define KHU_CRYPTTAB_READONLY			(1U << 1)	/* or read-only */
#define KHU_CRYPTTAB_SAME_CPU_CRYPT		(1U << 2)
#define KHU_CRYPTTAB_SUBMIT_FROM_CRYPT_CPUS	(1U << 3)
#define KHU_CRYPTTAB_NO_READ_WORKQUEUE		(1U << 4)
#define KHU_CRYPTTAB_NO_WRITE_WORKQUEUE		(1U << 5)
/* Room for every option's name, as khu_crypttab_flag_names() writes them. */
#define KHU_CRYPTTAB_NAMES_LEN	128

/*
 * link-volume-key=KEYRING::[%TYPE:]DESCRIPTION, as systemd-cryptsetup
 * (>= 256) reads it: the keyring, the key's type and its description.
 * One keyhandover does not use (@unusable) leaves its volume to the
 * passphrase or key file, as if the option were not there.
 */
struct khu_crypttab_link {
	char value[KHU_CRYPTTAB_FIELD];		/* unescaped; "" for none */
	int32_t ring;				/* KEY_SPEC_*; 0: by name */
	char ring_name[KH_DESC_LEN];		/* the keyring's description */
	uint32_t type;				/* KH_KEY_LOGON or KH_KEY_USER */
	char description[KH_DESC_LEN];
	char ref[KH_DESC_LEN + 8];		/* "%type:description" */
	const char *unusable;			/* why no key is taken by it, or NULL */
};

/* One line of crypttab, and what stash makes of it. */
struct khu_crypttab_entry {
	unsigned int line;			/* 1-based, for messages */
	char name[KHU_CRYPTTAB_FIELD];
	char source[KHU_CRYPTTAB_FIELD];	/* as written: UUID=..., /dev/... */
	char key_file[KHU_CRYPTTAB_FIELD];	/* "" for none, "-" or absent */
	char device[KHU_CRYPTTAB_FIELD];	/* the path to open */
	const char *uuid;			/* UUID= sources: in @source */
	unsigned int flags;			/* KHU_CRYPTTAB_*, to open it */
	struct khu_crypttab_link link;		/* link-volume-key= */
	const char *skip;			/* why stash cannot hand it over, or NULL */
	/* No volume named (no source, a bad name or source, too long). */
	bool unreadable;
};

int khu_crypttab_parse(const char *text, struct khu_crypttab_entry *out,
		       unsigned int cap, unsigned int *count);
bool khu_crypttab_links(const struct khu_crypttab_entry *e);
void khu_crypttab_flag_names(unsigned int flags, char *buf, size_t len);
/* The LUKS UUID of the device at @path into @uuid (@len bytes), or -errno. */
typedef int (*khu_crypttab_uuid_fn)(const char *path, char *uuid, size_t len);

int khu_crypttab_find(const struct khu_crypttab_entry *tab, unsigned int count,
		      const char *name, const char *uuid,
		      khu_crypttab_uuid_fn uuid_of,
		      const struct khu_crypttab_entry **out);

#endif /* KHU_CRYPTTAB_H */
