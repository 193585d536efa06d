// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line parsing, kept apart from execution so that it can be unit
 * tested. Nothing here prints, exits or touches a device: it fills a
 * struct kh_opts or writes one error line for main to show.
 */
#include <errno.h>
#include <stdlib.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "keyring.h"

/* getopt_long values of the options below: past every short option. */
#define KH_CLI_OPT_BASE	256

struct kh_cli_opt {
	const char *name;
	const char *arg;		/* placeholder, NULL: no argument */
	unsigned int bit;
	const char *synopsis;		/* NULL: another option's covers it */
	const char *help;
};

static const struct kh_cli_opt kh_cli_opts[] = {
	{ "name", "NAME", KH_OPT_NAME, "[--name NAME]...",
	  "map the i-th DEVICE as /dev/mapper/NAME (default: luks-UUID)" },
	{ "key-file", "FILE", KH_OPT_KEY_FILE, "[--key-file FILE]",
	  "read the passphrase for every DEVICE from FILE ('-': stdin)" },
	{ "keyring", "KEY", KH_OPT_KEYRING, "[--keyring KEY]...",
	  "take the i-th DEVICE's volume key from the kernel keyring, in the kernel: KEY is [%logon:|%user:]DESCRIPTION (bare: logon)" },
	{ "crypttab", "FILE", KH_OPT_CRYPTTAB, "[--crypttab FILE]",
	  "with no DEVICE: every LUKS entry of FILE (default /etc/crypttab), under its crypttab name" },
	{ "timeout", "SECONDS", KH_OPT_TIMEOUT, "[--timeout SECONDS]",
	  "wipe the stash if no kexec comes within SECONDS (default: module's)" },
	{ "to-keyring", NULL, KH_OPT_TO_KEYRING, "[--to-keyring [KEYRING]]",
	  "add each key as user key keyhandover:NAME to the keyring keyhandover in KEYRING (default @u) instead of opening" },
	{ "key-timeout", "SECONDS", KH_OPT_KEY_TIMEOUT, "[--key-timeout SECONDS]",
	  "with --to-keyring: the keys expire after SECONDS (default 300)" },
	{ "open", NULL, KH_OPT_OPEN, "[--open]",
	  "with --to-keyring: also open the volumes, and revoke the keys of those opened" },
	{ "kernel", "FILE", KH_OPT_KERNEL, "[--kernel FILE --initrd FILE]",
	  "the kernel image to boot next (default: what the boot loader would boot)" },
	{ "initrd", "FILE", KH_OPT_INITRD, NULL,
	  "its initramfs, which runs 'keyhandover restore'" },
	{ "root", "DIR", KH_OPT_ROOT, "[--root DIR]",
	  "the installed system's files (boot/grub, boot/loader, etc/default/grub.d) under DIR, not /" },
	{ "append", "STR", KH_OPT_APPEND, "[--append STR | --reuse-cmdline]",
	  "the command line of the next kernel (default: empty)" },
	{ "reuse-cmdline", NULL, KH_OPT_REUSE_CMDLINE, NULL,
	  "reuse this kernel's command line (/proc/cmdline)" },
	{ "check", NULL, KH_OPT_CHECK, "[--check]",
	  "report whether the running kernel has the reservation and the module holds it" },
	{ "dry-run", NULL, KH_OPT_DRY_RUN, "[--dry-run]",
	  "say what would be loaded, with which command line; load nothing" },
	{ "verbose", NULL, KH_OPT_VERBOSE, "[--verbose]",
	  "show libcryptsetup's messages" },
};

#define KH_CLI_NOPTS	(sizeof(kh_cli_opts) / sizeof(kh_cli_opts[0]))

static int __attribute__((format(printf, 3, 4)))
kh_cli_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Name the offending option as the user typed it, without "=value". A
 * short option may sit inside a cluster ("-xh"), so it is named from
 * optopt; long options are named from argv.
 */
static int kh_cli_bad_option(int c, char **argv, const char *shorts,
			     const char *prefix, char *err, size_t len)
{
	const char *arg = argv[optind - 1];
	int n = strcspn(arg, "=");

	if (c == ':')
		return kh_cli_err(err, len, "%soption '%.*s' needs an argument",
				  prefix, n, arg);
	if (optopt > 0 && optopt < KH_CLI_OPT_BASE && !strchr(shorts, optopt))
		return kh_cli_err(err, len, "%sunknown option '-%c'", prefix,
				  optopt);
	if (optopt)
		return kh_cli_err(err, len, "%soption '%.*s' takes no argument",
				  prefix, n, arg);
	return kh_cli_err(err, len, "%sunknown option '%.*s'", prefix, n, arg);
}

/* Options before the command: only --help and --version. */
static int kh_cli_parse_global(int argc, char **argv, struct kh_opts *o,
			       char *err, size_t len)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			o->action = KH_CLI_HELP;
			return 0;
		case 'V':
			o->action = KH_CLI_VERSION;
			return 0;
		default:
			return kh_cli_bad_option(c, argv, "hV", "", err, len);
		}
	}
	if (optind >= argc)
		return kh_cli_err(err, len, "missing command");
	return 0;
}

static const struct kh_cli_cmd *kh_cli_find(const struct kh_cli_cmd *cmds,
					    const char *name)
{
	for (; cmds->name; cmds++)
		if (!strcmp(cmds->name, name))
			return cmds;
	return NULL;
}

/* getopt_long's table for the options @accepts allows, plus --help. */
static void kh_cli_longopts(unsigned int accepts, struct option *lo)
{
	size_t i, n = 0;

	for (i = 0; i < KH_CLI_NOPTS; i++) {
		if (!(accepts & kh_cli_opts[i].bit))
			continue;
		lo[n].name = kh_cli_opts[i].name;
		lo[n].has_arg = kh_cli_opts[i].arg ? required_argument :
						     no_argument;
		lo[n].flag = NULL;
		lo[n].val = KH_CLI_OPT_BASE + i;
		n++;
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
}

static int kh_cli_set_once(const char **slot, const char *name,
			   const char *prefix, char *err, size_t len)
{
	if (*slot)
		return kh_cli_err(err, len, "%s--%s given twice", prefix, name);
	*slot = optarg;
	return 0;
}

/* 1..KH_TIMEOUT_MAX seconds, digits only. */
static int kh_cli_timeout(unsigned int *slot, const char *name,
			  const char *prefix, char *err, size_t len)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(optarg, &end, 10);
	if (*slot)
		return kh_cli_err(err, len, "%s--%s given twice", prefix, name);
	if (errno || end == optarg || *end || optarg[0] == '-' || v == 0 ||
	    v > KH_TIMEOUT_MAX)
		return kh_cli_err(err, len,
				  "%s--%s must be 1..%d seconds, got '%s'",
				  prefix, name, KH_TIMEOUT_MAX, optarg);
	*slot = v;
	return 0;
}

/* A key the module can look up, or a line saying why not. */
static int kh_cli_keyring_ref(struct kh_opts *o, const char *prefix,
			      char *err, size_t len)
{
	const char *desc;
	uint32_t type;
	int ret;

	if (o->n_keyrings == KH_MAX_ENTRIES)
		return kh_cli_err(err, len, "%stoo many --keyring: at most %d",
				  prefix, KH_MAX_ENTRIES);
	ret = kh_keyring_parse_ref(optarg, &type, &desc);
	if (ret == -EPROTOTYPE)
		return kh_cli_err(err, len,
				  "%s--keyring '%s': only %%logon: and %%user: keys hold volume keys",
				  prefix, optarg);
	if (ret == -ENAMETOOLONG)
		return kh_cli_err(err, len,
				  "%s--keyring: a description is at most %d characters",
				  prefix, KH_DESC_LEN - 1);
	if (ret)
		return kh_cli_err(err, len,
				  "%s--keyring '%s': a logon key's description is SERVICE:NAME",
				  prefix, optarg);
	o->keyrings[o->n_keyrings++] = optarg;
	return 0;
}

/* Store one option; @bit says which. */
static int kh_cli_store(struct kh_opts *o, const struct kh_cli_opt *opt,
			const char *prefix, char *err, size_t len)
{
	switch (opt->bit) {
	case KH_OPT_NAME:
		if (o->n_names == KH_MAX_ENTRIES)
			return kh_cli_err(err, len,
					  "%stoo many --name: at most %d",
					  prefix, KH_MAX_ENTRIES);
		o->names[o->n_names++] = optarg;
		return 0;
	case KH_OPT_KEY_FILE:
		return kh_cli_set_once(&o->key_file, opt->name, prefix, err,
				       len);
	case KH_OPT_CRYPTTAB:
		return kh_cli_set_once(&o->crypttab, opt->name, prefix, err,
				       len);
	case KH_OPT_ROOT:
		return kh_cli_set_once(&o->root, opt->name, prefix, err, len);
	case KH_OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case KH_OPT_CHECK:
		o->check = true;
		return 0;
	case KH_OPT_KERNEL:
		return kh_cli_set_once(&o->kernel, opt->name, prefix, err, len);
	case KH_OPT_INITRD:
		return kh_cli_set_once(&o->initrd, opt->name, prefix, err, len);
	case KH_OPT_APPEND:
		return kh_cli_set_once(&o->append, opt->name, prefix, err, len);
	case KH_OPT_REUSE_CMDLINE:
		o->reuse_cmdline = true;
		return 0;
	case KH_OPT_TIMEOUT:
		return kh_cli_timeout(&o->timeout, opt->name, prefix, err, len);
	case KH_OPT_KEY_TIMEOUT:
		return kh_cli_timeout(&o->key_timeout, opt->name, prefix, err,
				      len);
	case KH_OPT_KEYRING:
		return kh_cli_keyring_ref(o, prefix, err, len);
	case KH_OPT_TO_KEYRING:
		o->to_keyring = true;
		return 0;
	case KH_OPT_OPEN:
		o->open = true;
		return 0;
	case KH_OPT_VERBOSE:
		o->verbose = true;
		return 0;
	}
	return kh_cli_err(err, len, "%sinternal error", prefix);
}

static int kh_cli_operands(int argc, char **argv, struct kh_opts *o,
			   const char *prefix, char *err, size_t len)
{
	int i;

	for (i = optind; i < argc; i++) {
		if ((o->cmd->accepts & KH_ARG_KEYRING) && !o->keyring &&
		    o->to_keyring) {
			o->keyring = argv[i];
			continue;
		}
		if (!(o->cmd->accepts & KH_ARG_DEVICES))
			return kh_cli_err(err, len,
					  "%sunexpected argument '%s'", prefix,
					  argv[i]);
		if (o->n_devices == KH_MAX_ENTRIES)
			return kh_cli_err(err, len,
					  "%stoo many devices: at most %d",
					  prefix, KH_MAX_ENTRIES);
		o->devices[o->n_devices++] = argv[i];
	}
	return 0;
}

/*
 * The rule the module and the format codec apply to a mapping name: it
 * ends up in /dev/mapper and in log lines, so keep it to a safe set.
 */
static bool kh_cli_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("_-.+", c);
}

static int kh_cli_check_name(const char *name, const char *prefix, char *err,
			     size_t len)
{
	const char *p;

	if (!*name || *name == '.')
		goto out_invalid;
	for (p = name; *p; p++)
		if (!kh_cli_name_char(*p))
			goto out_invalid;
	if (strlen(name) >= KH_NAME_LEN)
		return kh_cli_err(err, len,
				  "%s--name '%s' is longer than %d characters",
				  prefix, name, KH_NAME_LEN - 1);
	return 0;

out_invalid:
	return kh_cli_err(err, len,
			  "%sinvalid --name '%s': use letters, digits and _-.+, not a leading '.'",
			  prefix, name);
}

static int kh_cli_check_names(const struct kh_opts *o, const char *prefix,
			      char *err, size_t len)
{
	unsigned int i, j;

	if (o->n_names && o->n_names != o->n_devices)
		return kh_cli_err(err, len,
				  "%s%u --name for %u devices: give one per DEVICE or none",
				  prefix, o->n_names, o->n_devices);
	for (i = 0; i < o->n_names; i++) {
		int ret = kh_cli_check_name(o->names[i], prefix, err, len);

		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(o->names[i], o->names[j]))
				return kh_cli_err(err, len,
						  "%s--name '%s' given twice",
						  prefix, o->names[i]);
	}
	return 0;
}

/* Keyring mode's rules: one key per DEVICE; restore's options go together. */
static int kh_cli_check_keyring(const struct kh_opts *o, const char *prefix,
				char *err, size_t len)
{
	int32_t id;

	if (o->n_keyrings && o->n_keyrings != o->n_devices)
		return kh_cli_err(err, len,
				  "%s%u --keyring for %u devices: give one per DEVICE",
				  prefix, o->n_keyrings, o->n_devices);
	if (o->n_keyrings && o->key_file)
		return kh_cli_err(err, len,
				  "%s--keyring and --key-file are mutually exclusive",
				  prefix);
	if (!o->to_keyring && (o->open || o->key_timeout))
		return kh_cli_err(err, len, "%s--%s needs --to-keyring", prefix,
				  o->open ? "open" : "key-timeout");
	if (o->keyring && kh_keyring_parse_parent(o->keyring, &id))
		return kh_cli_err(err, len,
				  "%sKEYRING '%s': use @u, @us, @s, @p, @t or a key serial number",
				  prefix, o->keyring);
	return 0;
}

/* The rules getopt cannot express: required, exclusive, counted. */
static int kh_cli_validate(const struct kh_opts *o, const char *prefix,
			   char *err, size_t len)
{
	unsigned int accepts = o->cmd->accepts;
	int ret;

	/* No DEVICE: crypttab names the volumes, their names and key files. */
	if ((accepts & KH_ARG_DEVICES) && !o->n_devices &&
	    (o->n_names || o->n_keyrings || o->key_file))
		return kh_cli_err(err, len,
				  "%s--%s needs DEVICEs (without them crypttab names the volumes)",
				  prefix, o->n_names ? "name" :
				  o->n_keyrings ? "keyring" : "key-file");
	if (o->crypttab && o->n_devices)
		return kh_cli_err(err, len,
				  "%s--crypttab and DEVICEs are mutually exclusive",
				  prefix);
	/* Both, or neither (the boot loader's choice). */
	if ((accepts & KH_OPT_KERNEL) && o->initrd && !o->kernel)
		return kh_cli_err(err, len, "%smissing --kernel FILE", prefix);
	if ((accepts & KH_OPT_INITRD) && o->kernel && !o->initrd)
		return kh_cli_err(err, len, "%smissing --initrd FILE", prefix);
	if (o->root && o->kernel)
		return kh_cli_err(err, len,
				  "%s--root and --kernel are mutually exclusive",
				  prefix);
	if (o->append && o->reuse_cmdline)
		return kh_cli_err(err, len,
				  "%s--append and --reuse-cmdline are mutually exclusive",
				  prefix);
	ret = kh_cli_check_keyring(o, prefix, err, len);
	if (ret)
		return ret;
	return kh_cli_check_names(o, prefix, err, len);
}

/* @argv[0] is the command name; its options may come after operands. */
static int kh_cli_parse_cmd(int argc, char **argv, struct kh_opts *o,
			    char *err, size_t len)
{
	struct option longopts[KH_CLI_NOPTS + 2];
	char prefix[32];
	int c, ret;

	snprintf(prefix, sizeof(prefix), "%s: ", o->cmd->name);
	kh_cli_longopts(o->cmd->accepts, longopts);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			o->action = KH_CLI_HELP;
			return 0;
		}
		if (c < KH_CLI_OPT_BASE)
			return kh_cli_bad_option(c, argv, "h", prefix, err,
						 len);
		ret = kh_cli_store(o, &kh_cli_opts[c - KH_CLI_OPT_BASE],
				   prefix, err, len);
		if (ret)
			return ret;
	}
	ret = kh_cli_operands(argc, argv, o, prefix, err, len);
	if (ret)
		return ret;
	return kh_cli_validate(o, prefix, err, len);
}

/*
 * Parse the whole command line against @cmds (ended by a NULL name). On
 * success returns 0 with @o filled; on a usage error returns -EINVAL with
 * one line in @err. GNU getopt may reorder @argv.
 */
int kh_cli_parse(int argc, char **argv, const struct kh_cli_cmd *cmds,
		 struct kh_opts *o, char *err, size_t err_len)
{
	int ret;

	memset(o, 0, sizeof(*o));
	if (err_len)
		err[0] = '\0';
	ret = kh_cli_parse_global(argc, argv, o, err, err_len);
	if (ret || o->action != KH_CLI_RUN)
		return ret;
	o->cmd = kh_cli_find(cmds, argv[optind]);
	if (!o->cmd)
		return kh_cli_err(err, err_len, "unknown command '%s'",
				  argv[optind]);
	return kh_cli_parse_cmd(argc - optind, argv + optind, o, err, err_len);
}

static void kh_cli_synopsis(FILE *f, unsigned int accepts)
{
	size_t i;

	for (i = 0; i < KH_CLI_NOPTS; i++)
		if ((accepts & kh_cli_opts[i].bit) && kh_cli_opts[i].synopsis)
			fprintf(f, " %s", kh_cli_opts[i].synopsis);
	if (accepts & KH_ARG_DEVICES)
		fputs(" [DEVICE...]", f);
}

/* The tool's usage: one entry per command, straight from the table. */
void kh_cli_usage(FILE *f, const struct kh_cli_cmd *cmds)
{
	fputs("usage: keyhandover [--help | --version] COMMAND [ARGS]\n\n"
	      "Hand LUKS volume keys to the next kernel across kexec.\n\n"
	      "commands:\n", f);
	for (; cmds->name; cmds++) {
		fprintf(f, "  %s", cmds->name);
		kh_cli_synopsis(f, cmds->accepts);
		fprintf(f, "\n      %s\n", cmds->help);
	}
	fputs("\nRun 'keyhandover COMMAND --help' for the options of one.\n",
	      f);
}

static void kh_cli_option_help(FILE *f, const char *opt, const char *arg,
			       const char *help)
{
	char left[40];

	snprintf(left, sizeof(left), "%s%s%s", opt, arg ? " " : "",
		 arg ? arg : "");
	fprintf(f, "  %-22s %s\n", left, help);
}

void kh_cli_cmd_usage(FILE *f, const struct kh_cli_cmd *cmd)
{
	char opt[32];
	size_t i;

	fprintf(f, "usage: keyhandover %s", cmd->name);
	kh_cli_synopsis(f, cmd->accepts);
	fprintf(f, "\n\n%s\n\noptions:\n", cmd->help);
	for (i = 0; i < KH_CLI_NOPTS; i++) {
		if (!(cmd->accepts & kh_cli_opts[i].bit))
			continue;
		snprintf(opt, sizeof(opt), "--%s", kh_cli_opts[i].name);
		kh_cli_option_help(f, opt, kh_cli_opts[i].arg,
				   kh_cli_opts[i].help);
	}
	kh_cli_option_help(f, "-h, --help", NULL, "show this help");
	if (cmd->accepts & KH_ARG_KEYRING)
		kh_cli_option_help(f, "KEYRING", NULL,
				   "with --to-keyring: @u (default), @us, @s, @p, @t or a key serial number");
	if (cmd->accepts & KH_ARG_DEVICES)
		kh_cli_option_help(f, "DEVICE", NULL,
				   "a LUKS1 or LUKS2 device or image (at most 16); none: crypttab");
}
