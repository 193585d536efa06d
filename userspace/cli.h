/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing, kept apart from execution so that it can be unit
 * tested: argv in, a filled struct kh_opts or an error message out.
 */
#ifndef KH_CLI_H
#define KH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "uapi/keyhandover.h"

/* What a subcommand accepts; the command table lists them per command. */
#define KH_OPT_NAME		(1u << 0)	/* --name NAME, repeatable */
#define KH_OPT_KEY_FILE		(1u << 1)	/* --key-file FILE */
#define KH_OPT_VERBOSE		(1u << 2)	/* --verbose */
#define KH_OPT_KERNEL		(1u << 3)	/* --kernel FILE */
#define KH_OPT_INITRD		(1u << 4)	/* --initrd FILE, with --kernel */
#define KH_OPT_APPEND		(1u << 5)	/* --append STR */
#define KH_OPT_REUSE_CMDLINE	(1u << 6)	/* --reuse-cmdline */
#define KH_ARG_DEVICES		(1u << 7)	/* DEVICE...; none: crypttab */
#define KH_OPT_TIMEOUT		(1u << 8)	/* --timeout SECONDS */
#define KH_OPT_KEYRING		(1u << 9)	/* --keyring SPEC, repeatable */
#define KH_OPT_TO_KEYRING	(1u << 10)	/* --to-keyring */
#define KH_OPT_KEY_TIMEOUT	(1u << 11)	/* --key-timeout SECONDS */
#define KH_OPT_OPEN		(1u << 12)	/* --open */
#define KH_ARG_KEYRING		(1u << 13)	/* [KEYRING], with --to-keyring */
#define KH_OPT_CRYPTTAB		(1u << 14)	/* --crypttab FILE */
#define KH_OPT_DRY_RUN		(1u << 15)	/* --dry-run */
#define KH_OPT_ROOT		(1u << 16)	/* --root DIR */
#define KH_OPT_CHECK		(1u << 17)	/* --check */

#define KH_CLI_STASH	(KH_OPT_NAME | KH_OPT_KEY_FILE | KH_OPT_KEYRING | \
			 KH_OPT_CRYPTTAB | KH_OPT_VERBOSE | KH_OPT_TIMEOUT | \
			 KH_ARG_DEVICES)
#define KH_CLI_LOAD	(KH_OPT_KERNEL | KH_OPT_INITRD | KH_OPT_APPEND | \
			 KH_OPT_REUSE_CMDLINE | KH_OPT_ROOT | KH_OPT_DRY_RUN)
#define KH_CLI_REBOOT	(KH_CLI_STASH | KH_CLI_LOAD)
#define KH_CLI_RESTORE	(KH_OPT_TO_KEYRING | KH_OPT_KEY_TIMEOUT | \
			 KH_OPT_OPEN | KH_OPT_VERBOSE | KH_ARG_KEYRING)
#define KH_CLI_SETUP	(KH_OPT_CHECK | KH_OPT_ROOT | KH_OPT_DRY_RUN)
#define KH_CLI_STATUS	0u
#define KH_CLI_WIPE	0u

/* Room for one error line from the parser. */
#define KH_CLI_ERR_LEN	256

enum kh_cli_action {
	KH_CLI_RUN,		/* run opts->cmd */
	KH_CLI_HELP,		/* usage of opts->cmd, or of the tool if NULL */
	KH_CLI_VERSION,
};

struct kh_opts;

/* One subcommand: the dispatcher entry and its line of the usage text. */
struct kh_cli_cmd {
	const char *name;
	int (*run)(const struct kh_opts *o);
	unsigned int accepts;		/* KH_OPT_* | KH_ARG_* */
	const char *help;		/* one line */
};

struct kh_opts {
	enum kh_cli_action action;
	const struct kh_cli_cmd *cmd;
	bool verbose;
	bool reuse_cmdline;
	bool dry_run;			/* load: say what, do nothing */
	bool check;			/* setup: has it taken effect? */
	bool to_keyring;		/* restore: into a keyring */
	bool open;			/* restore --to-keyring: open too */
	unsigned int timeout;		/* seconds, 0: the module's default */
	unsigned int key_timeout;	/* seconds, 0: KH_KEYRING_TIMEOUT */
	const char *keyring;		/* restore: parent keyring, NULL: @u */
	const char *key_file;
	const char *crypttab;		/* stash with no DEVICE: the file */
	const char *root;		/* load: where the boot loader's files are */
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *names[KH_MAX_ENTRIES];
	unsigned int n_names;
	const char *keyrings[KH_MAX_ENTRIES];	/* stash --keyring */
	unsigned int n_keyrings;
	const char *devices[KH_MAX_ENTRIES];
	unsigned int n_devices;
};

int kh_cli_parse(int argc, char **argv, const struct kh_cli_cmd *cmds,
		 struct kh_opts *o, char *err, size_t err_len);
void kh_cli_usage(FILE *f, const struct kh_cli_cmd *cmds);
void kh_cli_cmd_usage(FILE *f, const struct kh_cli_cmd *cmd);

#endif /* KH_CLI_H */
