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
#include "volume.h"

/* The commands, as the option table (cli_options.h) names them. */
#define KH_CMD_GLOBAL		(1u << 0)	/* before COMMAND */
#define KH_CMD_STASH		(1u << 1)
#define KH_CMD_LOAD		(1u << 2)
#define KH_CMD_REBOOT		(1u << 3)	/* stash's and load's options */
#define KH_CMD_RESTORE		(1u << 4)
#define KH_CMD_SETUP		(1u << 5)
#define KH_CMD_STATUS		(1u << 6)
#define KH_CMD_WIPE		(1u << 7)
#define KH_CMD_ALL		((1u << 8) - 1)

/* KH_OPT_NAME, ...: an option's or operand's index in the table. */
enum kh_cli_opt_id {
#define KH_OPTION(id, ...) KH_OPT_##id,
#include "cli_options.h"
#undef KH_OPTION
	KH_OPT_COUNT
};

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
	unsigned int bit;		/* its KH_CMD_* */
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
	/* DEVICE i with the i-th --name and --keyring: dev, name, keyring. */
	struct kh_volume volumes[KH_MAX_ENTRIES];
	unsigned int n_devices;
	unsigned int n_names;
	unsigned int n_keyrings;		/* stash --keyring */
};

int kh_cli_parse(int argc, char **argv, const struct kh_cli_cmd *cmds,
		 struct kh_opts *o, char *err, size_t err_len);
void kh_cli_usage(FILE *f, const struct kh_cli_cmd *cmds);
void kh_cli_cmd_usage(FILE *f, const struct kh_cli_cmd *cmd);
void kh_cli_show(FILE *f, const struct kh_opts *o,
		 const struct kh_cli_cmd *cmds);

#endif /* KH_CLI_H */
