/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line parsing, kept apart from execution so that it can be unit
 * tested: argv in, a filled struct khu_opts or an error message out.
 */
#ifndef KHU_CLI_H
#define KHU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "uapi/keyhandover.h"
#include "volume.h"

/* The commands, as the option table (cli_options.h) names them. */
#define KHU_CMD_GLOBAL		(1u << 0)	/* before COMMAND */
#define KHU_CMD_STASH		(1u << 1)
#define KHU_CMD_LOAD		(1u << 2)
#define KHU_CMD_REBOOT		(1u << 3)	/* stash's and load's options */
#define KHU_CMD_RESTORE		(1u << 4)
#define KHU_CMD_SETUP		(1u << 5)
#define KHU_CMD_STATUS		(1u << 6)
#define KHU_CMD_WIPE		(1u << 7)
#define KHU_CMD_ALL		((1u << 8) - 1)

/* KHU_OPT_NAME, ...: an option's or operand's index in the table. */
enum khu_cli_opt_id {
#define KHU_OPTION(id, ...) KHU_OPT_##id,
#include "cli_options.h"
#undef KHU_OPTION
	KHU_OPT_COUNT
};

/* Room for one error line from the parser. */
#define KHU_CLI_ERR_LEN	256

enum khu_cli_action {
	KHU_CLI_RUN,		/* run opts->cmd */
	KHU_CLI_HELP,		/* usage of opts->cmd, or of the tool if NULL */
	KHU_CLI_VERSION,
};

struct khu_opts;

/* One subcommand: the dispatcher entry and its line of the usage text. */
struct khu_cli_cmd {
	const char *name;
	int (*run)(const struct khu_opts *o);
	unsigned int bit;		/* its KHU_CMD_* */
	const char *help;		/* one line */
};

struct khu_opts {
	enum khu_cli_action action;
	const struct khu_cli_cmd *cmd;
	bool verbose;
	bool reuse_cmdline;
	bool dry_run;			/* load: say what, do nothing */
	bool check;			/* setup: has it taken effect? */
	bool json;			/* one JSON object on stdout, no text */
	bool to_keyring;		/* restore: into a keyring */
	bool open;			/* restore --to-keyring: open too */
	bool no_ask;			/* stash: never ask for a passphrase */
	bool if_newer;			/* reboot: only into a newer kernel */
	unsigned int timeout;		/* seconds, 0: the module's default */
	unsigned int key_timeout;	/* seconds, 0: KHU_KEYRING_TIMEOUT */
	unsigned int jobs;		/* restore: at once; 0: one per CPU */
	const char *keyring;		/* restore: parent keyring, NULL: @u */
	const char *key_file;
	const char *crypttab;		/* stash with no DEVICE, restore */
	const char *root;		/* load: where the boot loader's files are */
	const char *kernel;
	const char *initrd;
	const char *append;
	/* DEVICE i with the i-th --name and --keyring: dev, name, keyring. */
	struct khu_volume volumes[KH_MAX_ENTRIES];
	unsigned int n_devices;
	unsigned int n_names;
	unsigned int n_keyrings;		/* stash --keyring */
};

int khu_cli_parse(int argc, char **argv, const struct khu_cli_cmd *cmds,
		  struct khu_opts *o, char *err, size_t err_len);
void khu_cli_usage(FILE *f, const struct khu_cli_cmd *cmds);
void khu_cli_cmd_usage(FILE *f, const struct khu_cli_cmd *cmd);
void khu_cli_show(FILE *f, const struct khu_opts *o,
		  const struct khu_cli_cmd *cmds);

#endif /* KHU_CLI_H */
