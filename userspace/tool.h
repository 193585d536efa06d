/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tool's commands (cmd_*.c) and what they share. The library modules
 * (handover, luks, kexec, keyring, crypttab, bootloader, setup...) return
 * negative errno and never print; the command files alone turn errors
 * into one line on stderr and an exit code. No key byte is ever printed.
 */
#ifndef KHU_TOOL_H
#define KHU_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootloader.h"
#include "cli.h"
#include "crypttab.h"
#include "keysource.h"
#include "passphrase.h"
#include "volume.h"
#include "uapi/keyhandover.h"

enum {
	KHU_EXIT_OK = 0,
	KHU_EXIT_FAILURE = 1,
	KHU_EXIT_USAGE = 2,
	KHU_EXIT_NOTHING = 3,	/* restore: nothing was handed over */
};

/*
 * The version of --json's documents (docs/json.md): a change that a
 * consumer could misread (a field renamed, removed, or of another type or
 * meaning) takes a new one; added fields and values do not.
 */
#define KHU_JSON_SCHEMA		1

struct khu_json;

void __attribute__((format(printf, 1, 2))) khu_err(const char *fmt, ...);
void khu_report_json_begin(struct khu_json *j, const char *command);
int khu_report_json_end(struct khu_json *j, int exit_code);
const char *khu_backend_id(uint32_t backend);
const char *khu_module_missing(char *buf, size_t len);
void khu_device_error(const char *what, int err);
int khu_device_open(void);
int khu_device_status(struct kh_status *st);
void khu_pending_error(void);
void khu_debug_secmem(void);

/* A crypttab line stash does not hand over, and why (for --json). */
struct khu_stash_skip {
	const struct khu_crypttab_entry *e;
	char why[256];
};

struct khu_stash {
	const struct khu_opts *o;
	int fd;
	/* The volumes: from the command line, or from crypttab. */
	unsigned int n;
	struct khu_volume vol[KH_MAX_ENTRIES];
	struct khu_crypttab_entry *tab;		/* crypttab mode: its entries */
	struct kh_entry *entries;	/* passphrase mode, in locked memory */
	struct kh_keyref *refs;		/* keyring mode: names, never keys */
	int32_t taken[KH_MAX_ENTRIES];	/* link-volume-key='s keys, in our thread keyring */
	struct khu_passphrase key_file;	/* read once, used for every device */
	bool keyring_mode;		/* refs: the module takes every key */
	bool linked;			/* ... as crypttab's link-volume-key= names them */
	bool sealed;			/* lockdown=confidentiality: no logon key */
	bool again;			/* the module refused a linked key: choose again */
	int refused[KH_MAX_ENTRIES];	/* ... the errno it gave, by volume */
	bool say_mode;			/* reboot: one line on the mode and why */
	bool locked;			/* mlockall() done */
	/* What was chosen, and why, as reboot --dry-run --json tells it. */
	bool chosen;			/* @mode and @mode_why are set */
	enum khu_ks_mode mode;
	char mode_why[2 * KHU_CRYPTTAB_FIELD + 256];
	bool has_key_file[KH_MAX_ENTRIES];	/* passphrase mode: no prompt */
	struct khu_stash_skip *skipped;	/* crypttab mode: with @tab */
	unsigned int n_skipped;
};

void khu_stash_from_args(struct khu_stash *s);
int khu_stash_from_crypttab(struct khu_stash *s);
int khu_stash_choose(struct khu_stash *s, bool dry_run);
int khu_stash_main(const struct khu_opts *o, bool say_mode);
void khu_stash_free(struct khu_stash *s);

/* What `load` loads: given, or the boot loader's next entry. */
struct khu_load_plan {
	const char *kernel;
	const char *initrd;
	char *cmdline;
	bool derived;			/* the boot loader's: memmap= added */
	struct khu_boot_choice boot;
	/* What load found of the module: 1, 0, or -1 not looked at yet. */
	int loaded;
	int armed;
	uint32_t backend;		/* 0: not known */
};

/* The next kernel's release against the running one's (--if-newer). */
struct khu_release {
	char next[KHU_BOOT_STR];	/* from its name; "" when it tells none */
	char running[128];		/* uname -r */
	int newer;			/* 1, 0, or -errno: cannot tell */
};

int khu_load_plan(const struct khu_opts *o, struct khu_load_plan *p);
int khu_load_check_memmap(char **cmdline, bool derived);
int khu_load_check_kho(const struct khu_opts *o, struct khu_load_plan *p);
int khu_load_check_crash_kernel(void);
void khu_load_show(const struct khu_load_plan *p);
void khu_load_release(const char *kernel, struct khu_release *r);
void khu_load_json(struct khu_json *j, const struct khu_load_plan *p,
		   bool whole, const struct khu_release *r);
void khu_load_abort(void);
int khu_load_region(char *buf, size_t len);

int khu_setup_dropin_path(const char *root, char *path, size_t len);
int khu_setup_check_main(const struct khu_opts *o, const char *root);

int khu_cmd_stash(const struct khu_opts *o);
int khu_cmd_load(const struct khu_opts *o);
int khu_cmd_reboot(const struct khu_opts *o);
int khu_cmd_setup(const struct khu_opts *o);
int khu_cmd_restore(const struct khu_opts *o);
int khu_cmd_status(const struct khu_opts *o);
int khu_cmd_wipe(const struct khu_opts *o);

#endif /* KHU_TOOL_H */
