// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line parsing, kept apart from execution so that it can be unit
 * tested. Nothing here prints, exits or touches a device: it fills a
 * struct khu_opts or writes one error line for main to show. The options
 * themselves are in cli_options.h, one line each: the getopt tables and
 * the usage text are made from that table.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "keyring.h"

/* The top-level VERSION file, through the Makefile: one for all parts. */
#ifndef KHU_VERSION
#error "KHU_VERSION is the top-level VERSION file (userspace/Makefile)"
#endif

/* getopt_long values of options without a short form: past every char. */
#define KHU_CLI_OPT_BASE	256

struct khu_cli_opt {
	const char *name;		/* NULL: an operand */
	int short_name;			/* 0: none */
	const char *arg;		/* placeholder, NULL: no argument */
	unsigned int cmds;		/* KHU_CMD_* */
	const char *synopsis;		/* NULL: another option's covers it */
	const char *help;
};

static const struct khu_cli_opt khu_cli_opts[] = {
#define KHU_OPTION(id, name, short_name, arg, store, field, cmds, synopsis, \
		   help) \
	[KHU_OPT_##id] = { name, short_name, arg, cmds, synopsis, help },
#include "cli_options.h"
#undef KHU_OPTION
};

/* One parse: where it stores, and how its errors start ("stash: "). */
struct khu_cli_ctx {
	struct khu_opts *o;
	const char *prefix;
	char *err;
	size_t len;
};

static int __attribute__((format(printf, 2, 3)))
khu_cli_err(const struct khu_cli_ctx *ctx, const char *fmt, ...)
{
	size_t n;

	if (!ctx->len)
		return -EINVAL;
	n = snprintf(ctx->err, ctx->len, "%s", ctx->prefix);
	if (n < ctx->len) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(ctx->err + n, ctx->len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Does the command being parsed take option (or operand) @id? */
static bool khu_cli_takes(const struct khu_cli_ctx *ctx, int id)
{
	return khu_cli_opts[id].cmds & ctx->o->cmd->bit;
}

/*
 * Name the offending option as the user typed it, without "=value". A
 * short option may sit inside a cluster ("-xh"), so it is named from
 * optopt; long options are named from argv.
 */
static int khu_cli_bad_option(const struct khu_cli_ctx *ctx, int c,
			      char **argv, const char *letters)
{
	const char *arg = argv[optind - 1];
	int n = strcspn(arg, "=");

	if (c == ':')
		return khu_cli_err(ctx, "option '%.*s' needs an argument", n,
				   arg);
	if (optopt > 0 && optopt < KHU_CLI_OPT_BASE && !strchr(letters, optopt))
		return khu_cli_err(ctx, "unknown option '-%c'", optopt);
	if (optopt)
		return khu_cli_err(ctx, "option '%.*s' takes no argument", n,
				   arg);
	return khu_cli_err(ctx, "unknown option '%.*s'", n, arg);
}

static int khu_cli_store_flag(const struct khu_cli_ctx *ctx, int id,
			      bool *slot, const char *val)
{
	(void)ctx;
	(void)id;
	(void)val;
	*slot = true;
	return 0;
}

static int khu_cli_store_once(const struct khu_cli_ctx *ctx, int id,
			      const char **slot, const char *val)
{
	if (*slot)
		return khu_cli_err(ctx, "--%s given twice", khu_cli_opts[id].name);
	*slot = val;
	return 0;
}

/* An operand as it is: the parser hands over only the first KEYRING. */
static int khu_cli_store_operand(const struct khu_cli_ctx *ctx, int id,
				 const char **slot, const char *val)
{
	(void)ctx;
	(void)id;
	*slot = val;
	return 0;
}

/*
 * 1..@max, digits only (strtoul() alone takes " 5", "+5" and "-1");
 * @unit is said after the range ("" or " seconds").
 */
static int khu_cli_store_count(const struct khu_cli_ctx *ctx, int id,
			       unsigned int *slot, const char *val,
			       unsigned long max, const char *unit)
{
	const char *name = khu_cli_opts[id].name;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (*slot)
		return khu_cli_err(ctx, "--%s given twice", name);
	if (errno || !isdigit((unsigned char)val[0]) || *end || v == 0 || v > max)
		return khu_cli_err(ctx, "--%s must be 1..%lu%s, got '%s'",
				   name, max, unit, val);
	*slot = v;
	return 0;
}

static int khu_cli_store_seconds(const struct khu_cli_ctx *ctx, int id,
				 unsigned int *slot, const char *val)
{
	return khu_cli_store_count(ctx, id, slot, val, KH_TIMEOUT_MAX,
				   " seconds");
}

/* restore's workers: no more than a stash has volumes. */
static int khu_cli_store_jobs(const struct khu_cli_ctx *ctx, int id,
			      unsigned int *slot, const char *val)
{
	return khu_cli_store_count(ctx, id, slot, val, KH_MAX_ENTRIES, "");
}

/* The next of the volumes counted by *@n, or NULL: "too many @what". */
static struct khu_volume *khu_cli_volume(const struct khu_cli_ctx *ctx,
					 unsigned int *n, const char *what)
{
	if (*n == KH_MAX_ENTRIES) {
		khu_cli_err(ctx, "too many %s: at most %d", what,
			    KH_MAX_ENTRIES);
		return NULL;
	}
	return &ctx->o->volumes[(*n)++];
}

/*
 * DEVICE i, or the i-th --name, which is DEVICE i's: volume i's path or
 * name (the names are checked once all are in).
 */
static int khu_cli_store_volume(const struct khu_cli_ctx *ctx, int id,
				unsigned int *n, const char *val)
{
	bool is_dev = id == KHU_OPT_ARG_DEVICE;
	struct khu_volume *v;

	v = khu_cli_volume(ctx, n, is_dev ? "devices" : "--name");
	if (!v)
		return -EINVAL;
	*(is_dev ? &v->dev : &v->name) = val;
	return 0;
}

/* A key the module can look up, or a line saying why not. */
static int khu_cli_store_keyring(const struct khu_cli_ctx *ctx, int id,
				 unsigned int *n, const char *val)
{
	struct khu_volume *v = khu_cli_volume(ctx, n, "--keyring");
	const char *desc;
	uint32_t type;
	int ret;

	(void)id;
	if (!v)
		return -EINVAL;
	ret = khu_keyring_parse_ref(val, &type, &desc);
	if (ret == -EPROTOTYPE)
		return khu_cli_err(ctx,
				   "--keyring '%s': only %%logon: and %%user: keys hold volume keys",
				   val);
	if (ret == -ENAMETOOLONG)
		return khu_cli_err(ctx,
				   "--keyring: a description is at most %d characters",
				   KH_DESC_LEN - 1);
	if (ret)
		return khu_cli_err(ctx,
				   "--keyring '%s': a logon key's description is SERVICE:NAME",
				   val);
	v->keyring = val;
	return 0;
}

/* --help or --version: what to show instead of running a command. */
static int khu_cli_store_action(const struct khu_cli_ctx *ctx, int id,
				enum khu_cli_action *slot, const char *val)
{
	(void)ctx;
	(void)val;
	*slot = id == KHU_OPT_VERSION ? KHU_CLI_VERSION : KHU_CLI_HELP;
	return 0;
}

/*
 * Keep option or operand @id with its argument @val, as its line in
 * cli_options.h says: the compiler checks each field's type against the
 * khu_cli_store_*() named for it.
 */
static int khu_cli_store(const struct khu_cli_ctx *ctx, int id, const char *val)
{
	struct khu_opts *o = ctx->o;

	switch (id) {
#define KHU_OPTION(id, name, short_name, arg, store, field, ...) \
	case KHU_OPT_##id: \
		return khu_cli_store_##store(ctx, KHU_OPT_##id, &o->field, val);
#include "cli_options.h"
#undef KHU_OPTION
	}
	return khu_cli_err(ctx, "internal error");
}

/*
 * getopt_long's tables for the options of command @cmd (a KHU_CMD_* bit):
 * @shorts starts with @mode; @letters has the short options alone.
 */
static void khu_cli_getopt_tables(unsigned int cmd, const char *mode,
				  struct option *lo, char *shorts,
				  char *letters)
{
	const struct khu_cli_opt *opt;
	size_t i;

	while (*mode)
		*shorts++ = *mode++;
	for (i = 0; i < KHU_OPT_COUNT; i++) {
		opt = &khu_cli_opts[i];
		if (!opt->name || !(opt->cmds & cmd))
			continue;
		lo->name = opt->name;
		lo->has_arg = opt->arg ? required_argument : no_argument;
		lo->flag = NULL;
		lo->val = opt->short_name ? opt->short_name :
					    KHU_CLI_OPT_BASE + (int)i;
		lo++;
		if (!opt->short_name)
			continue;
		*letters++ = opt->short_name;
		*shorts++ = opt->short_name;
		if (opt->arg)
			*shorts++ = ':';
	}
	*lo = (struct option){ NULL, 0, NULL, 0 };
	*letters = '\0';
	*shorts = '\0';
}

/* The table index of what getopt_long returned, or -1: not an option. */
static int khu_cli_option_id(int c, unsigned int cmd)
{
	size_t i;

	if (c >= KHU_CLI_OPT_BASE)
		return c - KHU_CLI_OPT_BASE;
	for (i = 0; i < KHU_OPT_COUNT; i++)
		if (khu_cli_opts[i].short_name == c &&
		    (khu_cli_opts[i].cmds & cmd))
			return i;
	return -1;
}

/*
 * The options of command @cmd, up to the first operand (@mode "+:") or
 * all of them (":"). --help or --version ends the parse at once.
 */
static int khu_cli_getopt(const struct khu_cli_ctx *ctx, int argc, char **argv,
			  unsigned int cmd, const char *mode)
{
	struct option longopts[KHU_OPT_COUNT + 1];
	char shorts[2 * KHU_OPT_COUNT + 3], letters[KHU_OPT_COUNT + 1];
	int c;

	khu_cli_getopt_tables(cmd, mode, longopts, shorts, letters);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		int id = khu_cli_option_id(c, cmd), ret;

		if (id < 0)
			return khu_cli_bad_option(ctx, c, argv, letters);
		ret = khu_cli_store(ctx, id, optarg);
		if (ret || ctx->o->action != KHU_CLI_RUN)
			return ret;
	}
	return 0;
}

static const struct khu_cli_cmd *khu_cli_find(const struct khu_cli_cmd *cmds,
					      const char *name)
{
	for (; cmds->name; cmds++)
		if (!strcmp(cmds->name, name))
			return cmds;
	return NULL;
}

/* KEYRING after --to-keyring, else a DEVICE, if the command takes them. */
static int khu_cli_operands(const struct khu_cli_ctx *ctx, int argc,
			    char **argv)
{
	struct khu_opts *o = ctx->o;
	int i, id;

	for (i = optind; i < argc; i++) {
		int ret;

		if (khu_cli_takes(ctx, KHU_OPT_ARG_KEYRING) && !o->keyring &&
		    o->to_keyring)
			id = KHU_OPT_ARG_KEYRING;
		else if (khu_cli_takes(ctx, KHU_OPT_ARG_DEVICE))
			id = KHU_OPT_ARG_DEVICE;
		else
			return khu_cli_err(ctx, "unexpected argument '%s'",
					   argv[i]);
		ret = khu_cli_store(ctx, id, argv[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A mapping name as the format codec checks it, so that the tool refuses
 * exactly what the module would; its length is the uapi's KH_NAME_LEN.
 */
static int khu_cli_check_name(const struct khu_cli_ctx *ctx, const char *name)
{
	size_t len = strlen(name);

	if (kh_format_check_name(name, len + 1) != KH_VERDICT_OK)
		return khu_cli_err(ctx,
				   "invalid --name '%s': use letters, digits and _-.+, not a leading '.'",
				   name);
	if (len >= KH_NAME_LEN)
		return khu_cli_err(ctx, "--name '%s' is longer than %d characters",
				   name, KH_NAME_LEN - 1);
	return 0;
}

static int khu_cli_check_names(const struct khu_cli_ctx *ctx)
{
	const struct khu_opts *o = ctx->o;
	unsigned int i, j;

	if (o->n_names && o->n_names != o->n_devices)
		return khu_cli_err(ctx,
				   "%u --name for %u devices: give one per DEVICE or none",
				   o->n_names, o->n_devices);
	for (i = 0; i < o->n_names; i++) {
		int ret = khu_cli_check_name(ctx, o->volumes[i].name);

		if (ret)
			return ret;
		for (j = 0; j < i; j++)
			if (!strcmp(o->volumes[i].name, o->volumes[j].name))
				return khu_cli_err(ctx, "--name '%s' given twice",
						   o->volumes[i].name);
	}
	return 0;
}

/* Keyring mode's rules: one key per DEVICE; restore's options go together. */
static int khu_cli_check_keyring(const struct khu_cli_ctx *ctx)
{
	const struct khu_opts *o = ctx->o;
	int32_t id;

	if (o->n_keyrings && o->n_keyrings != o->n_devices)
		return khu_cli_err(ctx,
				   "%u --keyring for %u devices: give one per DEVICE",
				   o->n_keyrings, o->n_devices);
	if (o->n_keyrings && o->key_file)
		return khu_cli_err(ctx,
				   "--keyring and --key-file are mutually exclusive");
	if (!o->to_keyring && (o->open || o->key_timeout))
		return khu_cli_err(ctx, "--%s needs --to-keyring",
				   o->open ? "open" : "key-timeout");
	if (o->keyring && khu_keyring_parse_parent(o->keyring, &id))
		return khu_cli_err(ctx,
				   "KEYRING '%s': use @u, @us, @s, @p, @t or a key serial number",
				   o->keyring);
	return 0;
}

/*
 * --json reports on what only looks: setup --check, a dry run. A real
 * load or reboot acts, and a reboot never comes back to print anything.
 */
static int khu_cli_check_json(const struct khu_cli_ctx *ctx)
{
	const struct khu_opts *o = ctx->o;

	if (!o->json)
		return 0;
	if (khu_cli_takes(ctx, KHU_OPT_CHECK) && !o->check)
		return khu_cli_err(ctx, "--json needs --check");
	if (khu_cli_takes(ctx, KHU_OPT_KERNEL) && !o->dry_run)
		return khu_cli_err(ctx, "--json needs --dry-run");
	return 0;
}

/* The rules getopt cannot express: required, exclusive, counted. */
static int khu_cli_validate(const struct khu_cli_ctx *ctx)
{
	const struct khu_opts *o = ctx->o;
	int ret;

	/* No DEVICE: crypttab names the volumes, their names and key files. */
	if (khu_cli_takes(ctx, KHU_OPT_ARG_DEVICE) && !o->n_devices &&
	    (o->n_names || o->n_keyrings || o->key_file))
		return khu_cli_err(ctx,
				   "--%s needs DEVICEs (without them crypttab names the volumes)",
				   o->n_names ? "name" :
				   o->n_keyrings ? "keyring" : "key-file");
	if (o->crypttab && o->n_devices)
		return khu_cli_err(ctx,
				   "--crypttab and DEVICEs are mutually exclusive");
	/* Both, or neither (the boot loader's choice). */
	if (khu_cli_takes(ctx, KHU_OPT_KERNEL) && o->initrd && !o->kernel)
		return khu_cli_err(ctx, "missing --kernel FILE");
	if (khu_cli_takes(ctx, KHU_OPT_INITRD) && o->kernel && !o->initrd)
		return khu_cli_err(ctx, "missing --initrd FILE");
	if (o->root && o->kernel)
		return khu_cli_err(ctx,
				   "--root and --kernel are mutually exclusive");
	if (o->append && o->reuse_cmdline)
		return khu_cli_err(ctx,
				   "--append and --reuse-cmdline are mutually exclusive");
	ret = khu_cli_check_keyring(ctx);
	if (!ret)
		ret = khu_cli_check_json(ctx);
	if (ret)
		return ret;
	return khu_cli_check_names(ctx);
}

/* @argv[0] is the command name; its options may come after operands. */
static int khu_cli_parse_cmd(struct khu_cli_ctx *ctx, int argc, char **argv)
{
	char prefix[32];
	int ret;

	snprintf(prefix, sizeof(prefix), "%s: ", ctx->o->cmd->name);
	ctx->prefix = prefix;
	ret = khu_cli_getopt(ctx, argc, argv, ctx->o->cmd->bit, ":");
	if (!ret && ctx->o->action == KHU_CLI_RUN)
		ret = khu_cli_operands(ctx, argc, argv);
	if (!ret && ctx->o->action == KHU_CLI_RUN)
		ret = khu_cli_validate(ctx);
	ctx->prefix = "";
	return ret;
}

/*
 * Parse the whole command line against @cmds (ended by a NULL name). On
 * success returns 0 with @o filled; on a usage error returns -EINVAL with
 * one line in @err. GNU getopt may reorder @argv.
 */
int khu_cli_parse(int argc, char **argv, const struct khu_cli_cmd *cmds,
		  struct khu_opts *o, char *err, size_t err_len)
{
	struct khu_cli_ctx ctx;
	int ret;

	memset(o, 0, sizeof(*o));
	ctx = (struct khu_cli_ctx){ o, "", err, err_len };
	if (err_len)
		err[0] = '\0';
	/* Before the command: only --help and --version. */
	ret = khu_cli_getopt(&ctx, argc, argv, KHU_CMD_GLOBAL, "+:");
	if (ret || o->action != KHU_CLI_RUN)
		return ret;
	if (optind >= argc)
		return khu_cli_err(&ctx, "missing command");
	o->cmd = khu_cli_find(cmds, argv[optind]);
	if (!o->cmd)
		return khu_cli_err(&ctx, "unknown command '%s'", argv[optind]);
	return khu_cli_parse_cmd(&ctx, argc - optind, argv + optind);
}

static void khu_cli_synopsis(FILE *f, unsigned int cmd)
{
	size_t i;

	for (i = 0; i < KHU_OPT_COUNT; i++)
		if ((khu_cli_opts[i].cmds & cmd) && khu_cli_opts[i].synopsis)
			fprintf(f, " %s", khu_cli_opts[i].synopsis);
}

/* The tool's usage: one entry per command, straight from the table. */
void khu_cli_usage(FILE *f, const struct khu_cli_cmd *cmds)
{
	fputs("usage: keyhandover [--help | --version] COMMAND [ARGS]\n\n"
	      "Hand LUKS volume keys to the next kernel across kexec.\n\n"
	      "commands:\n", f);
	for (; cmds->name; cmds++) {
		fprintf(f, "  %s", cmds->name);
		khu_cli_synopsis(f, cmds->bit);
		fprintf(f, "\n      %s\n", cmds->help);
	}
	fputs("\nRun 'keyhandover COMMAND --help' for the options of one.\n",
	      f);
}

/* "  -h, --help   show this help", "  --name NAME   ...", "  DEVICE   ..." */
static void khu_cli_option_help(FILE *f, const struct khu_cli_opt *opt)
{
	char left[40];
	int n = 0;

	if (opt->name && opt->short_name)
		n = snprintf(left, sizeof(left), "-%c, --%s", opt->short_name,
			     opt->name);
	else if (opt->name)
		n = snprintf(left, sizeof(left), "--%s", opt->name);
	if (opt->arg)
		snprintf(left + n, sizeof(left) - n, "%s%s", n ? " " : "",
			 opt->arg);
	fprintf(f, "  %-22s %s\n", left, opt->help);
}

void khu_cli_cmd_usage(FILE *f, const struct khu_cli_cmd *cmd)
{
	size_t i;

	fprintf(f, "usage: keyhandover %s", cmd->name);
	khu_cli_synopsis(f, cmd->bit);
	fprintf(f, "\n\n%s\n\noptions:\n", cmd->help);
	for (i = 0; i < KHU_OPT_COUNT; i++)
		if (khu_cli_opts[i].cmds & cmd->bit)
			khu_cli_option_help(f, &khu_cli_opts[i]);
}

/* What --help or --version asked for, on @f. */
void khu_cli_show(FILE *f, const struct khu_opts *o,
		  const struct khu_cli_cmd *cmds)
{
	if (o->action == KHU_CLI_VERSION)
		fprintf(f, "keyhandover %s (handover format %d)\n", KHU_VERSION,
			KH_FORMAT_VERSION);
	else if (o->cmd)
		khu_cli_cmd_usage(f, o->cmd);
	else
		khu_cli_usage(f, cmds);
}
