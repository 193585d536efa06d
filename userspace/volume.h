/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One volume to hand over, wherever it was named: a DEVICE on the command
 * line with its --name and --keyring, or a crypttab line. Everything the
 * tool knows of it before its key is derived stays together here.
 */
#ifndef KHU_VOLUME_H
#define KHU_VOLUME_H

struct crypt_device;
struct khu_crypttab_entry;

struct khu_volume {
	const char *dev;		/* the path to open */
	const char *uuid;		/* crypttab's UUID=: scanned for if no link */
	const char *name;		/* the mapping name; NULL: luks-UUID */
	const char *key_file;		/* crypttab's own key file, or NULL */
	const char *keyring;		/* its key's KEY: --keyring's, or "%type:desc" */
	const struct khu_crypttab_entry *entry;	/* its crypttab line, or NULL */
	struct crypt_device *cd;	/* open: each device is opened once */
};

#endif /* KHU_VOLUME_H */
