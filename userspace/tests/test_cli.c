// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the command-line parser: no device, no root. Each case
 * parses one command line against the same option sets main.c uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int kh_test_run(const struct kh_opts *o)
{
	(void)o;
	return 0;
}

/* The option sets are main.c's; only the handlers are stand-ins. */
static const struct kh_cli_cmd kh_test_cmds[] = {
	{ "stash", kh_test_run, KH_CMD_STASH, "stash" },
	{ "load", kh_test_run, KH_CMD_LOAD, "load" },
	{ "reboot", kh_test_run, KH_CMD_REBOOT, "reboot" },
	{ "restore", kh_test_run, KH_CMD_RESTORE, "restore" },
	{ "setup", kh_test_run, KH_CMD_SETUP, "setup" },
	{ "status", kh_test_run, KH_CMD_STATUS, "status" },
	{ "wipe", kh_test_run, KH_CMD_WIPE, "wipe" },
	{ NULL, NULL, 0, NULL },
};

static unsigned int kh_passed, kh_failed;
static struct kh_opts kh_o;
static char kh_errbuf[KH_CLI_ERR_LEN];

static void kh_report(int ok, const char *name)
{
	unsigned int n = kh_passed + kh_failed + 1;

	if (ok) {
		kh_passed++;
		printf("ok %u - %s\n", n, name);
	} else {
		kh_failed++;
		printf("not ok %u - %s\n", n, name);
		printf("#   error: '%s'\n", kh_errbuf);
	}
}

/* Parse "keyhandover" + the NULL-terminated @args into kh_o / kh_errbuf. */
static int kh_parse_argv(const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "keyhandover";
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return kh_cli_parse(argc, argv, kh_test_cmds, &kh_o, kh_errbuf,
			    sizeof(kh_errbuf));
}

#define KH_PARSE(...) kh_parse_argv((const char *const[]){ __VA_ARGS__, NULL })

/* A usage error whose message contains @needle. */
static int kh_usage_error(int ret, const char *needle)
{
	return ret == -EINVAL && strstr(kh_errbuf, needle);
}

static int kh_is_cmd(const char *name)
{
	return kh_o.cmd && !strcmp(kh_o.cmd->name, name) &&
	       kh_o.action == KH_CLI_RUN;
}

static void kh_test_global(void)
{
	int ret;

	ret = kh_parse_argv((const char *const[]){ NULL });
	kh_report(kh_usage_error(ret, "missing command"), "no command");
	ret = KH_PARSE("frobnicate");
	kh_report(kh_usage_error(ret, "unknown command 'frobnicate'"),
		  "unknown command");
	ret = KH_PARSE("--help");
	kh_report(!ret && kh_o.action == KH_CLI_HELP && !kh_o.cmd, "--help");
	ret = KH_PARSE("-h");
	kh_report(!ret && kh_o.action == KH_CLI_HELP && !kh_o.cmd, "-h");
	ret = KH_PARSE("--version");
	kh_report(!ret && kh_o.action == KH_CLI_VERSION, "--version");
	ret = KH_PARSE("--bogus", "status");
	kh_report(kh_usage_error(ret, "unknown option '--bogus'"),
		  "unknown global option");
	ret = KH_PARSE("-x");
	kh_report(kh_usage_error(ret, "unknown option '-x'"),
		  "unknown short option");
	ret = KH_PARSE("--help=yes");
	kh_report(kh_usage_error(ret, "'--help' takes no argument"),
		  "--help with an argument");
}

static void kh_test_stash_ok(void)
{
	int ret;

	ret = KH_PARSE("stash", "/dev/vda2");
	kh_report(!ret && kh_is_cmd("stash") && kh_o.n_devices == 1 &&
		  !strcmp(kh_o.volumes[0].dev, "/dev/vda2") && !kh_o.n_names &&
		  !kh_o.key_file && !kh_o.verbose,
		  "stash DEVICE");
	ret = KH_PARSE("stash", "--name", "root", "--name=swap",
		       "--key-file", "/k", "--verbose", "/dev/a", "/dev/b");
	kh_report(!ret && kh_o.n_devices == 2 && kh_o.n_names == 2 &&
		  !strcmp(kh_o.volumes[0].name, "root") &&
		  !strcmp(kh_o.volumes[1].name, "swap") &&
		  !strcmp(kh_o.key_file, "/k") && kh_o.verbose,
		  "stash with every option");
	ret = KH_PARSE("stash", "/dev/a", "--name", "root");
	kh_report(!ret && kh_o.n_devices == 1 && kh_o.n_names == 1,
		  "stash options after DEVICE");
	ret = KH_PARSE("stash", "--key-file", "-", "--", "-odd");
	kh_report(!ret && !strcmp(kh_o.key_file, "-") &&
		  !strcmp(kh_o.volumes[0].dev, "-odd"),
		  "stash --key-file - and a DEVICE after --");
}

static void kh_test_stash_timeout(void)
{
	int ret;

	ret = KH_PARSE("stash", "--timeout", "120", "/dev/a");
	kh_report(!ret && kh_o.timeout == 120, "stash --timeout 120");
	ret = KH_PARSE("stash", "/dev/a");
	kh_report(!ret && kh_o.timeout == 0, "no --timeout: module default");
	ret = KH_PARSE("stash", "--timeout=86400", "/dev/a");
	kh_report(!ret && kh_o.timeout == 86400, "--timeout at its maximum");
	ret = KH_PARSE("stash", "--timeout", "86401", "/dev/a");
	kh_report(kh_usage_error(ret, "--timeout must be 1..86400"),
		  "--timeout over a day");
	ret = KH_PARSE("stash", "--timeout", "0", "/dev/a");
	kh_report(kh_usage_error(ret, "got '0'"), "--timeout 0");
	ret = KH_PARSE("stash", "--timeout", "-5", "/dev/a");
	kh_report(kh_usage_error(ret, "got '-5'"), "--timeout negative");
	ret = KH_PARSE("stash", "--timeout", "9x", "/dev/a");
	kh_report(kh_usage_error(ret, "got '9x'"), "--timeout not a number");
	ret = KH_PARSE("stash", "--timeout", "99999999999999999999", "/dev/a");
	kh_report(kh_usage_error(ret, "must be 1..86400"),
		  "--timeout overflowing unsigned long");
	ret = KH_PARSE("stash", "--timeout", "5", "--timeout", "6", "/dev/a");
	kh_report(kh_usage_error(ret, "given twice"), "--timeout twice");
	ret = KH_PARSE("load", "--timeout", "5", "--kernel", "k", "--initrd",
		       "i");
	kh_report(ret == -EINVAL, "load does not take --timeout");
}

static void kh_test_stash_errors(void)
{
	int ret;

	ret = KH_PARSE("stash");
	kh_report(!ret && kh_is_cmd("stash") && !kh_o.n_devices &&
		  !kh_o.crypttab, "stash without DEVICE: crypttab");
	ret = KH_PARSE("stash", "--crypttab", "/t");
	kh_report(!ret && !strcmp(kh_o.crypttab, "/t"), "stash --crypttab FILE");
	ret = KH_PARSE("stash", "--crypttab", "/t", "/dev/a");
	kh_report(kh_usage_error(ret, "--crypttab and DEVICEs"),
		  "stash --crypttab with a DEVICE");
	ret = KH_PARSE("stash", "--name", "a");
	kh_report(kh_usage_error(ret, "--name needs DEVICEs"),
		  "stash --name without DEVICE");
	ret = KH_PARSE("stash", "--key-file", "/k");
	kh_report(kh_usage_error(ret, "--key-file needs DEVICEs"),
		  "stash --key-file without DEVICE");
	ret = KH_PARSE("stash", "--name", "a", "/dev/a", "/dev/b");
	kh_report(kh_usage_error(ret, "1 --name for 2 devices"),
		  "stash names count mismatch");
	ret = KH_PARSE("stash", "--name", "a", "--name", "a", "/dev/a",
		       "/dev/b");
	kh_report(kh_usage_error(ret, "given twice"), "stash duplicate name");
	ret = KH_PARSE("stash", "--name", "a/b", "/dev/a");
	kh_report(kh_usage_error(ret, "invalid --name 'a/b'"),
		  "stash name with a slash");
	ret = KH_PARSE("stash", "--name", ".hidden", "/dev/a");
	kh_report(kh_usage_error(ret, "invalid --name"),
		  "stash name with a leading dot");
	ret = KH_PARSE("stash", "--name",
		       "0123456789012345678901234567890123456789012345678901234567890123",
		       "/dev/a");
	kh_report(kh_usage_error(ret, "longer than 63"), "stash long name");
	ret = KH_PARSE("stash", "--name");
	kh_report(kh_usage_error(ret, "'--name' needs an argument"),
		  "stash --name without argument");
	ret = KH_PARSE("stash", "--key-file", "a", "--key-file", "b", "/d");
	kh_report(kh_usage_error(ret, "--key-file given twice"),
		  "stash --key-file twice");
	ret = KH_PARSE("stash", "--kernel", "k", "/dev/a");
	kh_report(kh_usage_error(ret, "stash: unknown option '--kernel'"),
		  "stash rejects load's options");
	ret = KH_PARSE("stash", "--verbose=1", "/dev/a");
	kh_report(kh_usage_error(ret, "'--verbose' takes no argument"),
		  "stash --verbose=1");
}

static void kh_test_stash_limits(void)
{
	int ret;

	ret = KH_PARSE("stash", "1", "2", "3", "4", "5", "6", "7", "8", "9",
		       "10", "11", "12", "13", "14", "15", "16");
	kh_report(!ret && kh_o.n_devices == KH_MAX_ENTRIES,
		  "stash 16 devices");
	ret = KH_PARSE("stash", "1", "2", "3", "4", "5", "6", "7", "8", "9",
		       "10", "11", "12", "13", "14", "15", "16", "17");
	kh_report(kh_usage_error(ret, "too many devices: at most 16"),
		  "stash 17 devices");
}

static void kh_test_load(void)
{
	int ret;

	ret = KH_PARSE("load", "--kernel", "/k", "--initrd", "/i");
	kh_report(!ret && kh_is_cmd("load") && !strcmp(kh_o.kernel, "/k") &&
		  !strcmp(kh_o.initrd, "/i") && !kh_o.append &&
		  !kh_o.reuse_cmdline,
		  "load --kernel --initrd");
	ret = KH_PARSE("load", "--kernel=/k", "--initrd=/i", "--append",
		       "root=/dev/x quiet");
	kh_report(!ret && !strcmp(kh_o.append, "root=/dev/x quiet"),
		  "load --append");
	ret = KH_PARSE("load", "--kernel", "/k", "--initrd", "/i",
		       "--reuse-cmdline");
	kh_report(!ret && kh_o.reuse_cmdline, "load --reuse-cmdline");
	ret = KH_PARSE("load");
	kh_report(!ret && kh_is_cmd("load") && !kh_o.kernel && !kh_o.initrd,
		  "load with no --kernel: the boot loader's choice");
	ret = KH_PARSE("load", "--dry-run", "--root", "/mnt");
	kh_report(!ret && kh_o.dry_run && !strcmp(kh_o.root, "/mnt"),
		  "load --dry-run --root DIR");
	ret = KH_PARSE("load", "--root", "/mnt", "--kernel", "/k", "--initrd", "/i");
	kh_report(kh_usage_error(ret, "--root and --kernel"),
		  "load --root with --kernel");
	ret = KH_PARSE("load", "--initrd", "/i");
	kh_report(kh_usage_error(ret, "missing --kernel"),
		  "load without --kernel");
	ret = KH_PARSE("load", "--kernel", "/k");
	kh_report(kh_usage_error(ret, "missing --initrd"),
		  "load without --initrd");
	ret = KH_PARSE("load", "--kernel", "/k", "--initrd", "/i",
		       "--append", "x", "--reuse-cmdline");
	kh_report(kh_usage_error(ret, "mutually exclusive"),
		  "load --append with --reuse-cmdline");
	ret = KH_PARSE("load", "--kernel", "/k", "--initrd", "/i", "extra");
	kh_report(kh_usage_error(ret, "unexpected argument 'extra'"),
		  "load with an operand");
	ret = KH_PARSE("load", "--kernel", "/k", "--kernel", "/k2",
		       "--initrd", "/i");
	kh_report(kh_usage_error(ret, "--kernel given twice"),
		  "load --kernel twice");
}

static void kh_test_others(void)
{
	int ret;

	ret = KH_PARSE("restore");
	kh_report(!ret && kh_is_cmd("restore") && !kh_o.verbose, "restore");
	ret = KH_PARSE("restore", "--verbose");
	kh_report(!ret && kh_o.verbose, "restore --verbose");
	ret = KH_PARSE("restore", "/dev/a");
	kh_report(kh_usage_error(ret, "restore: unexpected argument"),
		  "restore with an operand");
	ret = KH_PARSE("status");
	kh_report(!ret && kh_is_cmd("status"), "status");
	ret = KH_PARSE("status", "--verbose");
	kh_report(kh_usage_error(ret, "status: unknown option '--verbose'"),
		  "status --verbose");
	ret = KH_PARSE("wipe");
	kh_report(!ret && kh_is_cmd("wipe"), "wipe");
	ret = KH_PARSE("wipe", "now");
	kh_report(kh_usage_error(ret, "unexpected argument 'now'"),
		  "wipe with an operand");
}

static void kh_test_cmd_help(void)
{
	const struct kh_cli_cmd *c;
	char name[64];
	int ret;

	for (c = kh_test_cmds; c->name; c++) {
		ret = KH_PARSE(c->name, "--help");
		snprintf(name, sizeof(name), "%s --help", c->name);
		kh_report(!ret && kh_o.action == KH_CLI_HELP && kh_o.cmd == c,
			  name);
	}
	ret = KH_PARSE("stash", "-h");
	kh_report(!ret && kh_o.action == KH_CLI_HELP, "stash -h, no DEVICE");
	ret = KH_PARSE("load", "--bogus", "--help");
	kh_report(kh_usage_error(ret, "unknown option '--bogus'"),
		  "an error before --help is still an error");
}

static void kh_test_reboot(void)
{
	int ret;

	ret = KH_PARSE("reboot");
	kh_report(!ret && kh_is_cmd("reboot") && !kh_o.n_devices && !kh_o.kernel,
		  "reboot: crypttab and the boot loader");
	ret = KH_PARSE("reboot", "--dry-run", "--name", "r", "--kernel", "/k",
		       "--initrd", "/i", "--append", "ro", "/dev/a");
	kh_report(!ret && kh_o.dry_run && kh_o.n_devices == 1 &&
		  !strcmp(kh_o.kernel, "/k") && !strcmp(kh_o.append, "ro"),
		  "reboot takes stash's and load's options");
	ret = KH_PARSE("reboot", "--to-keyring");
	kh_report(kh_usage_error(ret, "unknown option '--to-keyring'"),
		  "reboot does not take restore's options");
}

static void kh_test_keyring(void)
{
	int ret;

	ret = KH_PARSE("stash", "--keyring", "%logon:cryptsetup:root",
		       "--keyring", "%user:kh:b", "--name", "root", "--name",
		       "b", "/dev/a", "/dev/b");
	kh_report(!ret && kh_o.n_keyrings == 2 && kh_o.n_devices == 2 &&
		  !strcmp(kh_o.volumes[1].keyring, "%user:kh:b"),
		  "stash --keyring per DEVICE");
	ret = KH_PARSE("stash", "--keyring", "cryptsetup:root", "/dev/a");
	kh_report(!ret && kh_o.n_keyrings == 1, "stash --keyring, bare logon");
	ret = KH_PARSE("stash", "--keyring", "k:a", "/dev/a", "/dev/b");
	kh_report(kh_usage_error(ret, "1 --keyring for 2 devices"),
		  "stash --keyring count must match the devices");
	ret = KH_PARSE("stash", "--keyring", "k:a", "--key-file", "/k",
		       "/dev/a");
	kh_report(kh_usage_error(ret, "mutually exclusive"),
		  "stash --keyring with --key-file");
	ret = KH_PARSE("stash", "--keyring", "%asymmetric:x", "/dev/a");
	kh_report(kh_usage_error(ret, "only %logon: and %user:"),
		  "stash --keyring of another key type");
	ret = KH_PARSE("stash", "--keyring", "noservice", "/dev/a");
	kh_report(kh_usage_error(ret, "SERVICE:NAME"),
		  "stash --keyring logon without a service prefix");
	ret = KH_PARSE("stash", "--keyring", "%user:", "/dev/a");
	kh_report(kh_usage_error(ret, "--keyring '%user:'"),
		  "stash --keyring with an empty description");
	ret = KH_PARSE("restore", "--to-keyring");
	kh_report(!ret && kh_o.to_keyring && !kh_o.keyring && !kh_o.open &&
		  !kh_o.key_timeout, "restore --to-keyring");
	ret = KH_PARSE("restore", "--to-keyring", "@s", "--open",
		       "--key-timeout", "60");
	kh_report(!ret && kh_o.to_keyring && !strcmp(kh_o.keyring, "@s") &&
		  kh_o.open && kh_o.key_timeout == 60,
		  "restore --to-keyring @s --open --key-timeout 60");
	ret = KH_PARSE("restore", "--to-keyring", "123456");
	kh_report(!ret && !strcmp(kh_o.keyring, "123456"),
		  "restore --to-keyring SERIAL");
	ret = KH_PARSE("restore", "--to-keyring", "@x");
	kh_report(kh_usage_error(ret, "KEYRING '@x'"),
		  "restore --to-keyring with a bad keyring");
	ret = KH_PARSE("restore", "--to-keyring", "@u", "@s");
	kh_report(kh_usage_error(ret, "unexpected argument '@s'"),
		  "restore --to-keyring with two keyrings");
	ret = KH_PARSE("restore", "@u");
	kh_report(kh_usage_error(ret, "unexpected argument '@u'"),
		  "restore KEYRING without --to-keyring");
	ret = KH_PARSE("restore", "--open");
	kh_report(kh_usage_error(ret, "--open needs --to-keyring"),
		  "restore --open without --to-keyring");
	ret = KH_PARSE("restore", "--key-timeout", "5");
	kh_report(kh_usage_error(ret, "--key-timeout needs --to-keyring"),
		  "restore --key-timeout without --to-keyring");
	ret = KH_PARSE("restore", "--to-keyring", "--key-timeout", "0");
	kh_report(kh_usage_error(ret, "--key-timeout must be 1..86400"),
		  "restore --key-timeout 0");
}

/* The option table as main.c's parser has it: cli_options.h again. */
struct kh_test_opt {
	const char *name;
	int short_name;
	const char *arg;
	unsigned int cmds;
	const char *help;
};

static const struct kh_test_opt kh_test_opts[] = {
#define KH_OPTION(id, name, short_name, arg, store, field, cmds, synopsis, \
		  help) \
	[KH_OPT_##id] = { name, short_name, arg, cmds, help },
#include "cli_options.h"
#undef KH_OPTION
};

static int kh_nonzero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return 1;
	return 0;
}

/* Did the last parse store option @id where its table line says? */
static int kh_test_stored(int id)
{
	switch (id) {
#define KH_OPTION(id, name, short_name, arg, store, field, ...) \
	case KH_OPT_##id: \
		return kh_nonzero(&kh_o.field, sizeof(kh_o.field));
#include "cli_options.h"
#undef KH_OPTION
	}
	return 0;
}

/* A value each placeholder accepts. */
static const char *kh_test_value(const char *arg)
{
	static const struct {
		const char *arg, *value;
	} values[] = {
		{ "NAME", "root" }, { "FILE", "/f" }, { "KEY", "%user:kh:a" },
		{ "SECONDS", "5" }, { "DIR", "/r" }, { "STR", "quiet" },
		{ "KEYRING", "@s" }, { "DEVICE", "/dev/vda2" },
	};
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (!strcmp(values[i].arg, arg))
			return values[i].value;
	return NULL;
}

/* Was the last error one of getopt's, not a rule of the command's? */
static int kh_test_getopt_error(int ret)
{
	return ret && (strstr(kh_errbuf, "unknown option") ||
		       strstr(kh_errbuf, "needs an argument") ||
		       strstr(kh_errbuf, "takes no argument") ||
		       strstr(kh_errbuf, "unexpected argument") ||
		       strstr(kh_errbuf, "internal error"));
}

/* Option or operand @id given to command @c, in its long (or short) form. */
static int kh_test_parse_one(int id, const struct kh_cli_cmd *c, bool shrt)
{
	const struct kh_test_opt *t = &kh_test_opts[id];
	const char *args[5] = { c ? c->name : NULL };
	char flag[40];
	int n = c ? 1 : 0;

	if (!t->name) {
		/* An operand: KEYRING only follows --to-keyring. */
		if (id == KH_OPT_ARG_KEYRING)
			args[n++] = "--to-keyring";
		args[n++] = kh_test_value(t->arg);
		args[n] = NULL;
		return kh_parse_argv(args);
	}
	if (shrt)
		snprintf(flag, sizeof(flag), "-%c", t->short_name);
	else
		snprintf(flag, sizeof(flag), "--%s", t->name);
	args[n++] = flag;
	if (t->arg)
		args[n++] = kh_test_value(t->arg);
	args[n] = NULL;
	return kh_parse_argv(args);
}

/*
 * Every line of the table parses for each command it names, and is
 * stored; an option is refused by every command it does not name.
 */
static void kh_test_table_parses(void)
{
	const struct kh_cli_cmd *c;
	char name[96];
	int id, ret;

	for (id = 0; id < KH_OPT_COUNT; id++) {
		const struct kh_test_opt *t = &kh_test_opts[id];
		const char *what = t->name ? t->name : t->arg;

		if (t->cmds & KH_CMD_GLOBAL) {
			ret = kh_test_parse_one(id, NULL, false);
			snprintf(name, sizeof(name), "table: --%s parses", what);
			kh_report(!ret && !kh_o.cmd && kh_test_stored(id), name);
		}
		for (c = kh_test_cmds; c->name; c++) {
			ret = kh_test_parse_one(id, c, false);
			if (t->cmds & c->bit) {
				snprintf(name, sizeof(name),
					 "table: %s %s%s parses", c->name,
					 t->name ? "--" : "", what);
				kh_report(!kh_test_getopt_error(ret) &&
					  kh_test_stored(id), name);
			} else if (t->name) {
				snprintf(name, sizeof(name),
					 "table: %s refuses --%s", c->name,
					 what);
				kh_report(kh_usage_error(ret, "unknown option"),
					  name);
			}
			if (!t->short_name || !(t->cmds & c->bit))
				continue;
			ret = kh_test_parse_one(id, c, true);
			snprintf(name, sizeof(name), "table: %s -%c parses",
				 c->name, t->short_name);
			kh_report(!kh_test_getopt_error(ret) &&
				  kh_test_stored(id), name);
		}
	}
}

/* @text (made by @print) has a line "  LEFT..." for option @id? */
static int kh_test_lists(const char *text, int id)
{
	const struct kh_test_opt *t = &kh_test_opts[id];
	char left[48];

	if (!t->name)
		snprintf(left, sizeof(left), "\n  %s ", t->arg);
	else if (t->short_name)
		snprintf(left, sizeof(left), "\n  -%c, --%s ", t->short_name,
			 t->name);
	else
		snprintf(left, sizeof(left), "\n  --%s ", t->name);
	return strstr(text, left) != NULL;
}

/* Each command's --help lists every option it takes, and no other. */
static void kh_test_table_help(void)
{
	const struct kh_cli_cmd *c;
	char name[96], *text;
	size_t len;
	FILE *f;
	int id;

	for (c = kh_test_cmds; c->name; c++) {
		f = open_memstream(&text, &len);
		if (!f)
			return;
		kh_cli_cmd_usage(f, c);
		fclose(f);
		for (id = 0; id < KH_OPT_COUNT; id++) {
			const struct kh_test_opt *t = &kh_test_opts[id];
			int want = !!(t->cmds & c->bit);

			if (!(t->cmds & ~KH_CMD_GLOBAL))
				continue;
			snprintf(name, sizeof(name), "help: %s %s %s", c->name,
				 want ? "lists" : "leaves out",
				 t->name ? t->name : t->arg);
			kh_report(kh_test_lists(text, id) == want &&
				  (!want || strstr(text, t->help)), name);
		}
		free(text);
	}
	f = open_memstream(&text, &len);
	if (!f)
		return;
	kh_cli_usage(f, kh_test_cmds);
	fclose(f);
	for (c = kh_test_cmds; c->name; c++) {
		snprintf(name, sizeof(name), "help: the tool's lists %s",
			 c->name);
		kh_report(strstr(text, c->name) != NULL, name);
	}
	kh_report(strstr(text, "--help") && strstr(text, "--version"),
		  "help: the tool's names --help and --version");
	free(text);
}

int main(void)
{
	kh_test_global();
	kh_test_stash_ok();
	kh_test_stash_timeout();
	kh_test_stash_errors();
	kh_test_stash_limits();
	kh_test_load();
	kh_test_others();
	kh_test_keyring();
	kh_test_reboot();
	kh_test_cmd_help();
	kh_test_table_parses();
	kh_test_table_help();
	printf("%u passed, %u failed\n", kh_passed, kh_failed);
	return kh_failed ? 1 : 0;
}
