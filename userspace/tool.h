/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tool's commands (cmd_*.c) and what they share. The library modules
 * (handover, luks, kexec, keyring, crypttab, bootloader, setup...) return
 * negative errno and never print; the command files alone turn errors
 * into one line on stderr and an exit code. No key byte is ever printed.
 */
#ifndef KH_TOOL_H
#define KH_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootloader.h"
#include "cli.h"
#include "crypttab.h"
#include "passphrase.h"
#include "volume.h"
#include "uapi/keyhandover.h"

enum {
	KH_EXIT_OK = 0,
	KH_EXIT_FAILURE = 1,
	KH_EXIT_USAGE = 2,
	KH_EXIT_NOTHING = 3,	/* restore: nothing was handed over */
};

void __attribute__((format(printf, 1, 2))) kh_err(const char *fmt, ...);
void kh_device_error(const char *what, int err);
int kh_device_open(void);
int kh_device_status(struct kh_status *st);
void kh_pending_error(void);
void kh_debug_secmem(void);

struct kh_stash {
	const struct kh_opts *o;
	int fd;
	/* The volumes: from the command line, or from crypttab. */
	unsigned int n;
	struct kh_volume vol[KH_MAX_ENTRIES];
	struct kh_crypttab_entry *tab;		/* crypttab mode: its entries */
	struct kh_entry *entries;	/* passphrase mode, in locked memory */
	struct kh_keyref *refs;		/* keyring mode: names, never keys */
	struct kh_passphrase key_file;	/* read once, used for every device */
};

void kh_stash_from_args(struct kh_stash *s);
int kh_stash_from_crypttab(struct kh_stash *s);
void kh_stash_free(struct kh_stash *s);

/* What `load` loads: given, or the boot loader's next entry. */
struct kh_load_plan {
	const char *kernel;
	const char *initrd;
	char *cmdline;
	bool derived;			/* the boot loader's: memmap= added */
	struct kh_boot_choice boot;
};

int kh_load_plan(const struct kh_opts *o, struct kh_load_plan *p);
int kh_load_check_memmap(char **cmdline, bool derived);
int kh_load_check_kho(const struct kh_opts *o, struct kh_load_plan *p);
int kh_load_check_crash_kernel(void);
void kh_load_show(const struct kh_load_plan *p);
void kh_load_abort(void);
int kh_load_region(char *buf, size_t len);

int kh_cmd_stash(const struct kh_opts *o);
int kh_cmd_load(const struct kh_opts *o);
int kh_cmd_reboot(const struct kh_opts *o);
int kh_cmd_setup(const struct kh_opts *o);
int kh_cmd_restore(const struct kh_opts *o);
int kh_cmd_status(const struct kh_opts *o);
int kh_cmd_wipe(const struct kh_opts *o);

#endif /* KH_TOOL_H */
