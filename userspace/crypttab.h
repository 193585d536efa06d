/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /etc/crypttab, as far as `keyhandover stash` with no DEVICE needs it:
 * which volumes to hand over, under which names, with which key file.
 */
#ifndef KHU_CRYPTTAB_H
#define KHU_CRYPTTAB_H

#include <stddef.h>

#include "uapi/keyhandover.h"

#define KHU_CRYPTTAB_PATH	"/etc/crypttab"
#define KHU_CRYPTTAB_MAX	64	/* entries read; more is refused */
#define KHU_CRYPTTAB_FIELD	512

/* One line of crypttab, and what stash makes of it. */
struct khu_crypttab_entry {
	unsigned int line;			/* 1-based, for messages */
	char name[KHU_CRYPTTAB_FIELD];
	char source[KHU_CRYPTTAB_FIELD];	/* as written: UUID=..., /dev/... */
	char key_file[KHU_CRYPTTAB_FIELD];	/* "" for none, "-" or absent */
	char device[KHU_CRYPTTAB_FIELD];	/* the path to open */
	const char *uuid;			/* UUID= sources: in @source */
	const char *skip;			/* why stash cannot hand it over, or NULL */
};

int khu_crypttab_parse(const char *text, struct khu_crypttab_entry *out,
		       unsigned int cap, unsigned int *count);

#endif /* KHU_CRYPTTAB_H */
