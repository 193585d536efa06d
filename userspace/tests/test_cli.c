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

static int khu_test_run(const struct khu_opts *o)
{
	(void)o;
	return 0;
}

/* The option sets are main.c's; only the handlers are stand-ins. */
static const struct khu_cli_cmd khu_test_cmds[] = {
	{ "stash", khu_test_run, KHU_CMD_STASH, "stash" },
	{ "load", khu_test_run, KHU_CMD_LOAD, "load" },
	{ "reboot", khu_test_run, KHU_CMD_REBOOT, "reboot" },
	{ "restore", khu_test_run, KHU_CMD_RESTORE, "restore" },
	{ "setup", khu_test_run, KHU_CMD_SETUP, "setup" },
	{ "status", khu_test_run, KHU_CMD_STATUS, "status" },
	{ "wipe", khu_test_run, KHU_CMD_WIPE, "wipe" },
	{ NULL, NULL, 0, NULL },
};

static unsigned int khu_passed, khu_failed;
static struct khu_opts khu_o;
static char khu_errbuf[KHU_CLI_ERR_LEN];

static void khu_report(int ok, const char *name)
{
	unsigned int n = khu_passed + khu_failed + 1;

	if (ok) {
		khu_passed++;
		printf("ok %u - %s\n", n, name);
	} else {
		khu_failed++;
		printf("not ok %u - %s\n", n, name);
		printf("#   error: '%s'\n", khu_errbuf);
	}
}

/* Parse "keyhandover" + the NULL-terminated @args into khu_o / khu_errbuf. */
static int khu_parse_argv(const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "keyhandover";
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return khu_cli_parse(argc, argv, khu_test_cmds, &khu_o, khu_errbuf,
			     sizeof(khu_errbuf));
}

#define KHU_PARSE(...) \
	khu_parse_argv((const char *const[]){ __VA_ARGS__, NULL })

/* A usage error whose message contains @needle. */
static int khu_usage_error(int ret, const char *needle)
{
	return ret == -EINVAL && strstr(khu_errbuf, needle);
}

static int khu_is_cmd(const char *name)
{
	return khu_o.cmd && !strcmp(khu_o.cmd->name, name) &&
	       khu_o.action == KHU_CLI_RUN;
}

static void khu_test_global(void)
{
	int ret;

	ret = khu_parse_argv((const char *const[]){ NULL });
	khu_report(khu_usage_error(ret, "missing command"), "no command");
	ret = KHU_PARSE("frobnicate");
	khu_report(khu_usage_error(ret, "unknown command 'frobnicate'"),
		   "unknown command");
	ret = KHU_PARSE("--help");
	khu_report(!ret && khu_o.action == KHU_CLI_HELP && !khu_o.cmd,
		   "--help");
	ret = KHU_PARSE("-h");
	khu_report(!ret && khu_o.action == KHU_CLI_HELP && !khu_o.cmd, "-h");
	ret = KHU_PARSE("--version");
	khu_report(!ret && khu_o.action == KHU_CLI_VERSION, "--version");
	ret = KHU_PARSE("--bogus", "status");
	khu_report(khu_usage_error(ret, "unknown option '--bogus'"),
		   "unknown global option");
	ret = KHU_PARSE("-x");
	khu_report(khu_usage_error(ret, "unknown option '-x'"),
		   "unknown short option");
	ret = KHU_PARSE("--help=yes");
	khu_report(khu_usage_error(ret, "'--help' takes no argument"),
		   "--help with an argument");
}

static void khu_test_stash_ok(void)
{
	int ret;

	ret = KHU_PARSE("stash", "/dev/vda2");
	khu_report(!ret && khu_is_cmd("stash") && khu_o.n_devices == 1 &&
		   !strcmp(khu_o.volumes[0].dev, "/dev/vda2") &&
		   !khu_o.n_names &&
		   !khu_o.key_file && !khu_o.verbose,
		   "stash DEVICE");
	ret = KHU_PARSE("stash", "--name", "root", "--name=swap",
			"--key-file", "/k", "--verbose", "/dev/a", "/dev/b");
	khu_report(!ret && khu_o.n_devices == 2 && khu_o.n_names == 2 &&
		   !strcmp(khu_o.volumes[0].name, "root") &&
		   !strcmp(khu_o.volumes[1].name, "swap") &&
		   !strcmp(khu_o.key_file, "/k") && khu_o.verbose,
		   "stash with every option");
	ret = KHU_PARSE("stash", "/dev/a", "--name", "root");
	khu_report(!ret && khu_o.n_devices == 1 && khu_o.n_names == 1,
		   "stash options after DEVICE");
	ret = KHU_PARSE("stash", "--key-file", "-", "--", "-odd");
	khu_report(!ret && !strcmp(khu_o.key_file, "-") &&
		   !strcmp(khu_o.volumes[0].dev, "-odd"),
		   "stash --key-file - and a DEVICE after --");
}

static void khu_test_stash_timeout(void)
{
	int ret;

	ret = KHU_PARSE("stash", "--timeout", "120", "/dev/a");
	khu_report(!ret && khu_o.timeout == 120, "stash --timeout 120");
	ret = KHU_PARSE("stash", "/dev/a");
	khu_report(!ret && khu_o.timeout == 0, "no --timeout: module default");
	ret = KHU_PARSE("stash", "--timeout=86400", "/dev/a");
	khu_report(!ret && khu_o.timeout == 86400, "--timeout at its maximum");
	ret = KHU_PARSE("stash", "--timeout", "86401", "/dev/a");
	khu_report(khu_usage_error(ret, "--timeout must be 1..86400"),
		   "--timeout over a day");
	ret = KHU_PARSE("stash", "--timeout", "0", "/dev/a");
	khu_report(khu_usage_error(ret, "got '0'"), "--timeout 0");
	ret = KHU_PARSE("stash", "--timeout", "-5", "/dev/a");
	khu_report(khu_usage_error(ret, "got '-5'"), "--timeout negative");
	ret = KHU_PARSE("stash", "--timeout", "9x", "/dev/a");
	khu_report(khu_usage_error(ret, "got '9x'"), "--timeout not a number");
	ret = KHU_PARSE("stash", "--timeout", "99999999999999999999", "/dev/a");
	khu_report(khu_usage_error(ret, "must be 1..86400"),
		   "--timeout overflowing unsigned long");
	ret = KHU_PARSE("stash", "--timeout", "5", "--timeout", "6", "/dev/a");
	khu_report(khu_usage_error(ret, "given twice"), "--timeout twice");
	ret = KHU_PARSE("load", "--timeout", "5", "--kernel", "k", "--initrd",
			"i");
	khu_report(ret == -EINVAL, "load does not take --timeout");
}

static void khu_test_stash_errors(void)
{
	int ret;

	ret = KHU_PARSE("stash");
	khu_report(!ret && khu_is_cmd("stash") && !khu_o.n_devices &&
		   !khu_o.crypttab, "stash without DEVICE: crypttab");
	ret = KHU_PARSE("stash", "--crypttab", "/t");
	khu_report(!ret && !strcmp(khu_o.crypttab, "/t"), "stash --crypttab FILE");
	ret = KHU_PARSE("stash", "--crypttab", "/t", "/dev/a");
	khu_report(khu_usage_error(ret, "--crypttab and DEVICEs"),
		   "stash --crypttab with a DEVICE");
	ret = KHU_PARSE("stash", "--name", "a");
	khu_report(khu_usage_error(ret, "--name needs DEVICEs"),
		   "stash --name without DEVICE");
	ret = KHU_PARSE("stash", "--key-file", "/k");
	khu_report(khu_usage_error(ret, "--key-file needs DEVICEs"),
		   "stash --key-file without DEVICE");
	ret = KHU_PARSE("stash", "--name", "a", "/dev/a", "/dev/b");
	khu_report(khu_usage_error(ret, "1 --name for 2 devices"),
		   "stash names count mismatch");
	ret = KHU_PARSE("stash", "--name", "a", "--name", "a", "/dev/a",
			"/dev/b");
	khu_report(khu_usage_error(ret, "given twice"), "stash duplicate name");
	ret = KHU_PARSE("stash", "--name", "a/b", "/dev/a");
	khu_report(khu_usage_error(ret, "invalid --name 'a/b'"),
		   "stash name with a slash");
	ret = KHU_PARSE("stash", "--name", ".hidden", "/dev/a");
	khu_report(khu_usage_error(ret, "invalid --name"),
		   "stash name with a leading dot");
	ret = KHU_PARSE("stash", "--name",
			"0123456789012345678901234567890123456789012345678901234567890123",
			"/dev/a");
	khu_report(khu_usage_error(ret, "longer than 63"), "stash long name");
	ret = KHU_PARSE("stash", "--name");
	khu_report(khu_usage_error(ret, "'--name' needs an argument"),
		   "stash --name without argument");
	ret = KHU_PARSE("stash", "--key-file", "a", "--key-file", "b", "/d");
	khu_report(khu_usage_error(ret, "--key-file given twice"),
		   "stash --key-file twice");
	ret = KHU_PARSE("stash", "--kernel", "k", "/dev/a");
	khu_report(khu_usage_error(ret, "stash: unknown option '--kernel'"),
		   "stash rejects load's options");
	ret = KHU_PARSE("stash", "--verbose=1", "/dev/a");
	khu_report(khu_usage_error(ret, "'--verbose' takes no argument"),
		   "stash --verbose=1");
}

static void khu_test_stash_limits(void)
{
	int ret;

	ret = KHU_PARSE("stash", "1", "2", "3", "4", "5", "6", "7", "8", "9",
			"10", "11", "12", "13", "14", "15", "16");
	khu_report(!ret && khu_o.n_devices == KH_MAX_ENTRIES,
		   "stash 16 devices");
	ret = KHU_PARSE("stash", "1", "2", "3", "4", "5", "6", "7", "8", "9",
			"10", "11", "12", "13", "14", "15", "16", "17");
	khu_report(khu_usage_error(ret, "too many devices: at most 16"),
		   "stash 17 devices");
}

static void khu_test_load(void)
{
	int ret;

	ret = KHU_PARSE("load", "--kernel", "/k", "--initrd", "/i");
	khu_report(!ret && khu_is_cmd("load") && !strcmp(khu_o.kernel, "/k") &&
		   !strcmp(khu_o.initrd, "/i") && !khu_o.append &&
		   !khu_o.reuse_cmdline,
		   "load --kernel --initrd");
	ret = KHU_PARSE("load", "--kernel=/k", "--initrd=/i", "--append",
			"root=/dev/x quiet");
	khu_report(!ret && !strcmp(khu_o.append, "root=/dev/x quiet"),
		   "load --append");
	ret = KHU_PARSE("load", "--kernel", "/k", "--initrd", "/i",
			"--reuse-cmdline");
	khu_report(!ret && khu_o.reuse_cmdline, "load --reuse-cmdline");
	ret = KHU_PARSE("load");
	khu_report(!ret && khu_is_cmd("load") && !khu_o.kernel && !khu_o.initrd,
		   "load with no --kernel: the boot loader's choice");
	ret = KHU_PARSE("load", "--dry-run", "--root", "/mnt");
	khu_report(!ret && khu_o.dry_run && !strcmp(khu_o.root, "/mnt"),
		   "load --dry-run --root DIR");
	ret = KHU_PARSE("load", "--root", "/mnt", "--kernel", "/k", "--initrd", "/i");
	khu_report(khu_usage_error(ret, "--root and --kernel"),
		   "load --root with --kernel");
	ret = KHU_PARSE("load", "--initrd", "/i");
	khu_report(khu_usage_error(ret, "missing --kernel"),
		   "load without --kernel");
	ret = KHU_PARSE("load", "--kernel", "/k");
	khu_report(khu_usage_error(ret, "missing --initrd"),
		   "load without --initrd");
	ret = KHU_PARSE("load", "--kernel", "/k", "--initrd", "/i",
			"--append", "x", "--reuse-cmdline");
	khu_report(khu_usage_error(ret, "mutually exclusive"),
		   "load --append with --reuse-cmdline");
	ret = KHU_PARSE("load", "--kernel", "/k", "--initrd", "/i", "extra");
	khu_report(khu_usage_error(ret, "unexpected argument 'extra'"),
		   "load with an operand");
	ret = KHU_PARSE("load", "--kernel", "/k", "--kernel", "/k2",
			"--initrd", "/i");
	khu_report(khu_usage_error(ret, "--kernel given twice"),
		   "load --kernel twice");
}

static void khu_test_others(void)
{
	int ret;

	ret = KHU_PARSE("restore");
	khu_report(!ret && khu_is_cmd("restore") && !khu_o.verbose, "restore");
	ret = KHU_PARSE("restore", "--verbose");
	khu_report(!ret && khu_o.verbose, "restore --verbose");
	ret = KHU_PARSE("restore", "/dev/a");
	khu_report(khu_usage_error(ret, "restore: unexpected argument"),
		   "restore with an operand");
	ret = KHU_PARSE("status");
	khu_report(!ret && khu_is_cmd("status"), "status");
	ret = KHU_PARSE("status", "--verbose");
	khu_report(khu_usage_error(ret, "status: unknown option '--verbose'"),
		   "status --verbose");
	ret = KHU_PARSE("wipe");
	khu_report(!ret && khu_is_cmd("wipe"), "wipe");
	ret = KHU_PARSE("wipe", "now");
	khu_report(khu_usage_error(ret, "unexpected argument 'now'"),
		   "wipe with an operand");
}

static void khu_test_cmd_help(void)
{
	const struct khu_cli_cmd *c;
	char name[64];
	int ret;

	for (c = khu_test_cmds; c->name; c++) {
		ret = KHU_PARSE(c->name, "--help");
		snprintf(name, sizeof(name), "%s --help", c->name);
		khu_report(!ret && khu_o.action == KHU_CLI_HELP &&
			   khu_o.cmd == c, name);
	}
	ret = KHU_PARSE("stash", "-h");
	khu_report(!ret && khu_o.action == KHU_CLI_HELP, "stash -h, no DEVICE");
	ret = KHU_PARSE("load", "--bogus", "--help");
	khu_report(khu_usage_error(ret, "unknown option '--bogus'"),
		   "an error before --help is still an error");
}

static void khu_test_reboot(void)
{
	int ret;

	ret = KHU_PARSE("reboot");
	khu_report(!ret && khu_is_cmd("reboot") && !khu_o.n_devices && !khu_o.kernel,
		   "reboot: crypttab and the boot loader");
	ret = KHU_PARSE("reboot", "--dry-run", "--name", "r", "--kernel", "/k",
			"--initrd", "/i", "--append", "ro", "/dev/a");
	khu_report(!ret && khu_o.dry_run && khu_o.n_devices == 1 &&
		   !strcmp(khu_o.kernel, "/k") && !strcmp(khu_o.append, "ro"),
		   "reboot takes stash's and load's options");
	ret = KHU_PARSE("reboot", "--to-keyring");
	khu_report(khu_usage_error(ret, "unknown option '--to-keyring'"),
		   "reboot does not take restore's options");
}

/* --json only where the command only looks: check, a dry run. */
static void khu_test_json(void)
{
	int ret;

	ret = KHU_PARSE("status", "--json");
	khu_report(!ret && khu_is_cmd("status") && khu_o.json, "status --json");
	ret = KHU_PARSE("setup", "--check", "--json", "--root", "/r");
	khu_report(!ret && khu_o.json && khu_o.check, "setup --check --json");
	ret = KHU_PARSE("setup", "--json");
	khu_report(khu_usage_error(ret, "setup: --json needs --check"),
		   "setup --json without --check");
	ret = KHU_PARSE("setup", "--json", "--dry-run");
	khu_report(khu_usage_error(ret, "--json needs --check"),
		   "setup --json --dry-run: still needs --check");
	ret = KHU_PARSE("load", "--dry-run", "--json");
	khu_report(!ret && khu_o.json && khu_o.dry_run, "load --dry-run --json");
	ret = KHU_PARSE("load", "--json", "--kernel", "/k", "--initrd", "/i");
	khu_report(khu_usage_error(ret, "load: --json needs --dry-run"),
		   "load --json without --dry-run");
	ret = KHU_PARSE("reboot", "--json", "--if-newer");
	khu_report(khu_usage_error(ret, "reboot: --json needs --dry-run"),
		   "reboot --json without --dry-run");
	ret = KHU_PARSE("reboot", "--dry-run", "--json", "--if-newer");
	khu_report(!ret && khu_o.json && khu_o.if_newer,
		   "reboot --dry-run --json --if-newer");
	ret = KHU_PARSE("restore", "--json");
	khu_report(khu_usage_error(ret, "restore: unknown option '--json'"),
		   "restore takes no --json");
	ret = KHU_PARSE("--json", "status");
	khu_report(khu_usage_error(ret, "unknown option '--json'"),
		   "--json is a command's option, not before COMMAND");
}

static void khu_test_keyring(void)
{
	int ret;

	ret = KHU_PARSE("stash", "--keyring", "%logon:cryptsetup:root",
			"--keyring", "%user:kh:b", "--name", "root", "--name",
			"b", "/dev/a", "/dev/b");
	khu_report(!ret && khu_o.n_keyrings == 2 && khu_o.n_devices == 2 &&
		   !strcmp(khu_o.volumes[1].keyring, "%user:kh:b"),
		   "stash --keyring per DEVICE");
	ret = KHU_PARSE("stash", "--keyring", "cryptsetup:root", "/dev/a");
	khu_report(!ret && khu_o.n_keyrings == 1,
		   "stash --keyring, bare logon");
	ret = KHU_PARSE("stash", "--keyring", "k:a", "/dev/a", "/dev/b");
	khu_report(khu_usage_error(ret, "1 --keyring for 2 devices"),
		   "stash --keyring count must match the devices");
	ret = KHU_PARSE("stash", "--keyring", "k:a", "--key-file", "/k",
			"/dev/a");
	khu_report(khu_usage_error(ret, "mutually exclusive"),
		   "stash --keyring with --key-file");
	ret = KHU_PARSE("stash", "--keyring", "%asymmetric:x", "/dev/a");
	khu_report(khu_usage_error(ret, "only %logon: and %user:"),
		   "stash --keyring of another key type");
	ret = KHU_PARSE("stash", "--keyring", "noservice", "/dev/a");
	khu_report(khu_usage_error(ret, "SERVICE:NAME"),
		   "stash --keyring logon without a service prefix");
	ret = KHU_PARSE("stash", "--keyring", "%user:", "/dev/a");
	khu_report(khu_usage_error(ret, "--keyring '%user:'"),
		   "stash --keyring with an empty description");
	ret = KHU_PARSE("restore", "--to-keyring");
	khu_report(!ret && khu_o.to_keyring && !khu_o.keyring && !khu_o.open &&
		   !khu_o.key_timeout, "restore --to-keyring");
	ret = KHU_PARSE("restore", "--to-keyring", "@s", "--open",
			"--key-timeout", "60");
	khu_report(!ret && khu_o.to_keyring && !strcmp(khu_o.keyring, "@s") &&
		   khu_o.open && khu_o.key_timeout == 60,
		   "restore --to-keyring @s --open --key-timeout 60");
	ret = KHU_PARSE("restore");
	khu_report(!ret && !khu_o.jobs, "restore: --jobs unset (one per CPU)");
	ret = KHU_PARSE("restore", "--jobs", "1");
	khu_report(!ret && khu_o.jobs == 1, "restore --jobs 1");
	ret = KHU_PARSE("restore", "--jobs", "16");
	khu_report(!ret && khu_o.jobs == 16, "restore --jobs 16 (as many as volumes)");
	ret = KHU_PARSE("restore", "--jobs", "17");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16, got '17'"),
		   "restore --jobs 17: more than volumes");
	ret = KHU_PARSE("restore", "--jobs", "0");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16"), "restore --jobs 0");
	ret = KHU_PARSE("restore", "--jobs", "-1");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16"), "restore --jobs -1");
	ret = KHU_PARSE("restore", "--jobs", "+5");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16"), "restore --jobs +5: digits only");
	ret = KHU_PARSE("restore", "--jobs", " 5");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16"), "restore --jobs ' 5': digits only");
	ret = KHU_PARSE("stash", "--timeout", "+5", "/dev/a");
	khu_report(khu_usage_error(ret, "--timeout must be 1.."), "stash --timeout +5: digits only");
	ret = KHU_PARSE("restore", "--jobs", "2x");
	khu_report(khu_usage_error(ret, "--jobs must be 1..16"), "restore --jobs 2x");
	ret = KHU_PARSE("restore", "--jobs", "2", "--jobs", "3");
	khu_report(khu_usage_error(ret, "--jobs given twice"), "restore --jobs twice");
	ret = KHU_PARSE("restore", "--to-keyring", "123456");
	khu_report(!ret && !strcmp(khu_o.keyring, "123456"),
		   "restore --to-keyring SERIAL");
	ret = KHU_PARSE("restore", "--to-keyring", "@x");
	khu_report(khu_usage_error(ret, "KEYRING '@x'"),
		   "restore --to-keyring with a bad keyring");
	ret = KHU_PARSE("restore", "--to-keyring", "@u", "@s");
	khu_report(khu_usage_error(ret, "unexpected argument '@s'"),
		   "restore --to-keyring with two keyrings");
	ret = KHU_PARSE("restore", "@u");
	khu_report(khu_usage_error(ret, "unexpected argument '@u'"),
		   "restore KEYRING without --to-keyring");
	ret = KHU_PARSE("restore", "--open");
	khu_report(khu_usage_error(ret, "--open needs --to-keyring"),
		   "restore --open without --to-keyring");
	ret = KHU_PARSE("restore", "--key-timeout", "5");
	khu_report(khu_usage_error(ret, "--key-timeout needs --to-keyring"),
		   "restore --key-timeout without --to-keyring");
	ret = KHU_PARSE("restore", "--to-keyring", "--key-timeout", "0");
	khu_report(khu_usage_error(ret, "--key-timeout must be 1..86400"),
		   "restore --key-timeout 0");
}

/* The option table as main.c's parser has it: cli_options.h again. */
struct khu_test_opt {
	const char *name;
	int short_name;
	const char *arg;
	unsigned int cmds;
	const char *help;
};

static const struct khu_test_opt khu_test_opts[] = {
#define KHU_OPTION(id, name, short_name, arg, store, field, cmds, synopsis, \
		   help) \
	[KHU_OPT_##id] = { name, short_name, arg, cmds, help },
#include "cli_options.h"
#undef KHU_OPTION
};

static int khu_nonzero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return 1;
	return 0;
}

/* Did the last parse store option @id where its table line says? */
static int khu_test_stored(int id)
{
	switch (id) {
#define KHU_OPTION(id, name, short_name, arg, store, field, ...) \
	case KHU_OPT_##id: \
		return khu_nonzero(&khu_o.field, sizeof(khu_o.field));
#include "cli_options.h"
#undef KHU_OPTION
	}
	return 0;
}

/* A value each placeholder accepts. */
static const char *khu_test_value(const char *arg)
{
	static const struct {
		const char *arg, *value;
	} values[] = {
		{ "NAME", "root" }, { "FILE", "/f" }, { "KEY", "%user:kh:a" },
		{ "SECONDS", "5" }, { "DIR", "/r" }, { "STR", "quiet" },
		{ "KEYRING", "@s" }, { "DEVICE", "/dev/vda2" }, { "N", "2" },
	};
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (!strcmp(values[i].arg, arg))
			return values[i].value;
	return NULL;
}

/* Was the last error one of getopt's, not a rule of the command's? */
static int khu_test_getopt_error(int ret)
{
	return ret && (strstr(khu_errbuf, "unknown option") ||
		       strstr(khu_errbuf, "needs an argument") ||
		       strstr(khu_errbuf, "takes no argument") ||
		       strstr(khu_errbuf, "unexpected argument") ||
		       strstr(khu_errbuf, "internal error"));
}

/* Option or operand @id given to command @c, in its long (or short) form. */
static int khu_test_parse_one(int id, const struct khu_cli_cmd *c, bool shrt)
{
	const struct khu_test_opt *t = &khu_test_opts[id];
	const char *args[5] = { c ? c->name : NULL };
	char flag[40];
	int n = c ? 1 : 0;

	if (!t->name) {
		/* An operand: KEYRING only follows --to-keyring. */
		if (id == KHU_OPT_ARG_KEYRING)
			args[n++] = "--to-keyring";
		args[n++] = khu_test_value(t->arg);
		args[n] = NULL;
		return khu_parse_argv(args);
	}
	if (shrt)
		snprintf(flag, sizeof(flag), "-%c", t->short_name);
	else
		snprintf(flag, sizeof(flag), "--%s", t->name);
	args[n++] = flag;
	if (t->arg)
		args[n++] = khu_test_value(t->arg);
	args[n] = NULL;
	return khu_parse_argv(args);
}

/*
 * Every line of the table parses for each command it names, and is
 * stored; an option is refused by every command it does not name.
 */
static void khu_test_table_parses(void)
{
	const struct khu_cli_cmd *c;
	char name[96];
	int id, ret;

	for (id = 0; id < KHU_OPT_COUNT; id++) {
		const struct khu_test_opt *t = &khu_test_opts[id];
		const char *what = t->name ? t->name : t->arg;

		if (t->cmds & KHU_CMD_GLOBAL) {
			ret = khu_test_parse_one(id, NULL, false);
			snprintf(name, sizeof(name), "table: --%s parses", what);
			khu_report(!ret && !khu_o.cmd && khu_test_stored(id), name);
		}
		for (c = khu_test_cmds; c->name; c++) {
			ret = khu_test_parse_one(id, c, false);
			if (t->cmds & c->bit) {
				snprintf(name, sizeof(name),
					 "table: %s %s%s parses", c->name,
					 t->name ? "--" : "", what);
				khu_report(!khu_test_getopt_error(ret) &&
					   khu_test_stored(id), name);
			} else if (t->name) {
				snprintf(name, sizeof(name),
					 "table: %s refuses --%s", c->name,
					 what);
				khu_report(khu_usage_error(ret,
							   "unknown option"),
					   name);
			}
			if (!t->short_name || !(t->cmds & c->bit))
				continue;
			ret = khu_test_parse_one(id, c, true);
			snprintf(name, sizeof(name), "table: %s -%c parses",
				 c->name, t->short_name);
			khu_report(!khu_test_getopt_error(ret) &&
				   khu_test_stored(id), name);
		}
	}
}

/* @text (made by @print) has a line "  LEFT..." for option @id? */
static int khu_test_lists(const char *text, int id)
{
	const struct khu_test_opt *t = &khu_test_opts[id];
	char left[48];

	if (!t->name)
		snprintf(left, sizeof(left), "\n  %s ", t->arg);
	else if (t->short_name)
		snprintf(left, sizeof(left), "\n  -%c, --%s ", t->short_name,
			 t->name);
	else
		snprintf(left, sizeof(left), "\n  --%s ", t->name);
	return !!strstr(text, left);
}

/* Each command's --help lists every option it takes, and no other. */
static void khu_test_table_help(void)
{
	const struct khu_cli_cmd *c;
	char name[96], *text;
	size_t len;
	FILE *f;
	int id;

	for (c = khu_test_cmds; c->name; c++) {
		f = open_memstream(&text, &len);
		if (!f)
			return;
		khu_cli_cmd_usage(f, c);
		fclose(f);
		for (id = 0; id < KHU_OPT_COUNT; id++) {
			const struct khu_test_opt *t = &khu_test_opts[id];
			int want = !!(t->cmds & c->bit);

			if (!(t->cmds & ~KHU_CMD_GLOBAL))
				continue;
			snprintf(name, sizeof(name), "help: %s %s %s", c->name,
				 want ? "lists" : "leaves out",
				 t->name ? t->name : t->arg);
			khu_report(khu_test_lists(text, id) == want &&
				   (!want || strstr(text, t->help)), name);
		}
		free(text);
	}
	f = open_memstream(&text, &len);
	if (!f)
		return;
	khu_cli_usage(f, khu_test_cmds);
	fclose(f);
	for (c = khu_test_cmds; c->name; c++) {
		snprintf(name, sizeof(name), "help: the tool's lists %s",
			 c->name);
		khu_report(!!strstr(text, c->name), name);
	}
	khu_report(strstr(text, "--help") && strstr(text, "--version"),
		   "help: the tool's names --help and --version");
	free(text);
}

int main(void)
{
	khu_test_global();
	khu_test_stash_ok();
	khu_test_stash_timeout();
	khu_test_stash_errors();
	khu_test_stash_limits();
	khu_test_load();
	khu_test_others();
	khu_test_keyring();
	khu_test_reboot();
	khu_test_json();
	khu_test_cmd_help();
	khu_test_table_parses();
	khu_test_table_help();
	printf("%u passed, %u failed\n", khu_passed, khu_failed);
	return khu_failed ? 1 : 0;
}
