// SPDX-License-Identifier: GPL-2.0
/*
 * The built tool's --json output (docs/json.md), read by python3's json
 * module (pyjson.h): status, setup --check, load --dry-run and reboot
 * --dry-run, as far as they run without the module, on fake roots whose
 * paths carry quotes, backslashes, a newline and UTF-8. Each output must
 * be exactly one line of JSON with the schema's fields; the exit codes
 * must be the text's. Nothing here says anything of a real kernel: the
 * module's side is the planted QEMU scenario's (tests/qemu/guest/tool.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "setup.h"
#include "tap.h"
#include "pyjson.h"

#define KHU_TOOL	"./keyhandover"

static char dir[] = "/tmp/kh-json-tool.XXXXXX";
static char out[64];
/* A root whose path has every character a JSON string must escape. */
static char root[256];

/*
 * Run the tool with @args (NULL-terminated), stdout into @out, stderr
 * and stdin /dev/null. Its exit code, or -1.
 */
static int run(const char *const *args)
{
	char *argv[32];
	int n = 0, st = 0, fd, null;
	pid_t pid;

	argv[n++] = KHU_TOOL;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	null = open("/dev/null", O_RDWR);
	if (fd < 0 || null < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(null, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd);
	close(null);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

/* Is @out empty (a usage error prints no JSON)? */
static int out_empty(void)
{
	struct stat sb;

	return !stat(out, &sb) && sb.st_size == 0;
}

/* Every document's frame: schema 1, the command, the verdict. */
#define FRAME(cmd, code) \
	"d['schema'] == 1 and d['command'] == '" cmd "' and " \
	"d['exit'] == " #code " and d['ok'] == (" #code " == 0) and " \
	"isinstance(d['messages'], list) and " \
	"all(isinstance(m, str) for m in d['messages']) and " \
	"(d['error'] is None) == (" #code " == 0 or not d['messages'])"

static void test_status(void)
{
	int rc = RUN("status", "--json");

	check(rc == 1, "status --json, no module: exit 1, as the text");
	check(khu_py_check(out, FRAME("status", 1) " and d['loaded'] is False and d['device'] is False and 'module not loaded' in d['error']",
			   NULL), "status --json, no module: one object, loaded false");
	check(khu_py_check(out, "d['error'].startswith('module not loaded (/dev/keyhandover missing): ') and any(w in d['error'] for w in (\"'keyhandover setup'\", \"'modprobe keyhandover'\", 'reboot once')) and d['messages'] == [d['error']]",
			   NULL), "status --json, no module: one line that says what to do next");
	check(khu_py_check(out, "all(k in d and d[k] is None for k in ('state', 'verdict', 'verdict_text', 'entries', 'capacity', 'format_version', 'region', 'backend', 'expires_in', 'last_wiped', 'last_wiped_text'))",
			   NULL), "status --json, no module: every field there, null");
	check(RUN("status", "--json", "now") == 2 && out_empty(),
	      "status --json with an operand: exit 2, nothing on stdout");
}

/* --json only where the command only looks. */
static void test_refused(void)
{
	check(RUN("setup", "--json") == 2 && out_empty(),
	      "setup --json without --check: exit 2, nothing on stdout");
	check(RUN("load", "--json", "--kernel", "/k", "--initrd", "/i") == 2 &&
	      out_empty(), "load --json without --dry-run: exit 2");
	check(RUN("reboot", "--json") == 2 && out_empty(),
	      "reboot --json without --dry-run: exit 2");
	check(RUN("stash", "--json", "/dev/null") == 2 && out_empty(),
	      "stash takes no --json");
}

/* A crypttab with a line of each kind setup --check reports. */
static const char crypttab[] =
	"# a comment\n"
	"cryptroot UUID=4b48b6fc-5a8b-4f5e-9d9b-9e6a1b2c3d4e none luks,discard\n"
	"swap /dev/sdb /dev/urandom swap\n"
	"home /dev/sda3 /etc/keys/home.key luks,link-volume-key=@u::%user:kh:home\n"
	"we\"ird\\ /dev/sdc none luks\n"
	"caf\xe9 /dev/sdd none luks\n";

static void test_setup_check(void)
{
	char text[1024], other[300];
	int rc;

	khu_setup_dropin(text, sizeof(text), 4096, 0x7000000);
	khu_tap_put(root, KHU_SETUP_DROPIN, text);
	khu_tap_put(root, "/etc/crypttab", crypttab);
	rc = RUN("setup", "--check", "--json", "--root", root);
	check(rc == 1, "setup --check --json, no module: exit 1, as the text");
	check(khu_py_check(out, FRAME("setup --check", 1) " and d['root'] == a[0]",
			   root),
	      "setup --check --json: one object; --root with quote, backslash, newline, UTF-8 read back exactly");
	check(khu_py_check(out, "d['region'] == '4K$0x7000000' and d['region_source'] == 'dropin' and d['backend'] is None",
			   NULL), "setup --check --json: the region, from the drop-in");
	check(khu_py_check(out, "[c['name'] for c in d['checks']] == ['cmdline_memmap', 'cmdline_region', 'iomem_reserved', 'module_holds_region', 'grub_dropin', 'secure_boot', 'lockdown', 'module_signed', 'signer_enrolled'] and all(set(c) >= {'name', 'ok', 'required', 'detail', 'fix'} and c['ok'] in (True, False, None) for c in d['checks'])",
			   NULL), "setup --check --json: the checks, each {name, ok, required, detail, fix}");
	check(khu_py_check(out, "all(not c['required'] and c['detail'] for c in d['checks'] if c['name'] in ('secure_boot', 'lockdown'))",
			   NULL), "setup --check --json: Secure Boot and lockdown, facts (this machine's), never required");
	check(khu_py_check(out, "[(c['ok'], c['required'], c['fix'] is None) for c in d['checks'] if c['name'] in ('module_holds_region', 'grub_dropin')] == [(False, True, False), (True, False, True)]",
			   NULL), "setup --check --json: no module holds it; the drop-in is there (a note, not required)");
	check(khu_py_check(out, "d['crypttab']['path'] == a[0] + '/etc/crypttab' and d['crypttab']['error'] is None and [v['line'] for v in d['volumes']] == [2, 3, 4, 5, 6]",
			   root), "setup --check --json: crypttab read, one object a line");
	check(khu_py_check(out, "[(v['name'], v['handed_over'], v['key_source'], v['asks_passphrase']) for v in d['volumes'][:3]] == [('cryptroot', True, 'passphrase', True), ('swap', False, None, None), ('home', True, 'key_file', False)]",
			   NULL), "setup --check --json: each line's key source, or not handed over");
	check(khu_py_check(out, "d['volumes'][1]['reason'] == 'swap with a throw-away key' and d['volumes'][2]['link_volume_key'] == '@u::%user:kh:home' and d['volumes'][2]['key_file'] == '/etc/keys/home.key' and len(d['volumes'][2]['notes']) == 2",
			   NULL), "setup --check --json: the reason, link-volume-key=, the key file, the notes");
	check(khu_py_check(out, "d['volumes'][3]['name'] == 'we\"ird\\\\' and not d['volumes'][3]['handed_over'] and d['volumes'][4]['name'] == 'caf\\ufffd'",
			   NULL), "setup --check --json: a name with a quote and backslash; a byte not UTF-8 as U+FFFD");

	snprintf(other, sizeof(other), "%s/bare", dir);
	mkdir(other, 0700);
	rc = RUN("setup", "--check", "--json", "--root", other);
	check(rc == 1 && khu_py_check(out, FRAME("setup --check", 1) " and d['region'] is None and 'no region to check' in d['error'] and [c['name'] for c in d['checks'] if c['ok'] is None and c['name'].startswith(('cmdline_', 'iomem_', 'module_holds'))] == ['cmdline_memmap', 'cmdline_region', 'iomem_reserved', 'module_holds_region'] and d['crypttab']['error'] and d['volumes'] == []",
				       NULL),
	      "setup --check --json, no drop-in: every reservation check unknown (null), exit 1");
	snprintf(other, sizeof(other), "%s/none", dir);
	rc = RUN("setup", "--check", "--json", "--root", other);
	check(rc == 1 && khu_py_check(out, FRAME("setup --check", 1) " and d['error'].startswith('--root') and d['checks'] == [] and d['crypttab'] is None",
				       NULL),
	      "setup --check --json, --root not there: still one object, exit 1");
}

/* Debian's GRUB layout under @root, its entry's argument with a space. */
static void fake_grub(void)
{
	khu_tap_put(root, "/boot/vmlinuz-6.1.0-18-amd64", "fake\n");
	khu_tap_put(root, "/boot/initrd.img-6.1.0-18-amd64", "fake\n");
	khu_tap_put(root, "/boot/grub/grub.cfg",
		    "set default=\"0\"\n"
		    "menuentry 'Debian GNU/Linux' $menuentry_id_option 'gnulinux-simple-u' {\n"
		    "\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/cryptroot ro quiet \"foo=a b\"\n"
		    "\tinitrd\t/boot/initrd.img-6.1.0-18-amd64\n"
		    "}\n");
}

static void test_load(void)
{
	char empty[300];
	int rc;

	fake_grub();
	rc = RUN("load", "--dry-run", "--json", "--root", root);
	check(rc == 0, "load --dry-run --json --root: exit 0");
	check(khu_py_check(out, FRAME("load --dry-run", 0) " and d['kernel'] == a[0] + '/boot/vmlinuz-6.1.0-18-amd64' and d['initrd'] == a[0] + '/boot/initrd.img-6.1.0-18-amd64'",
			   root), "load --dry-run --json: GRUB's kernel and initrd under the odd --root");
	check(khu_py_check(out, "d['cmdline'] == 'root=/dev/mapper/cryptroot ro quiet \"foo=a b\"' and d['chosen_from'].startswith('GRUB default') and d['boot_loader'] is True and d['kernel_release'] == '6.1.0-18-amd64' and d['newer'] in (True, False) and d['running_release']",
			   NULL), "load --dry-run --json: the command line, its quotes; where it came from; the releases");
	check(khu_py_check(out, "d['loaded'] is False and d['armed'] is None and d['backend'] is None and any('module not loaded' in m for m in d['messages'])",
			   NULL), "load --dry-run --json, no module: loaded false, and the note kept");
	rc = RUN("load", "--dry-run", "--json", "--kernel", "/k", "--initrd",
		 "/i", "--append", "root=/dev/x \"a b\" c\\d");
	check(rc == 0 && khu_py_check(out, "d['cmdline'] == a[0] and d['chosen_from'] == '--kernel and --initrd' and d['boot_loader'] is False and d['kernel_release'] is None and d['newer'] is None",
				       "root=/dev/x \"a b\" c\\d"),
	      "load --dry-run --json --append: the line read back exactly (quotes, backslash)");
	snprintf(empty, sizeof(empty), "%s/bare", dir);
	rc = RUN("load", "--dry-run", "--json", "--root", empty);
	check(rc == 1 && khu_py_check(out, FRAME("load --dry-run", 1) " and d['kernel'] is None and d['cmdline'] is None and 'no boot loader entry' in d['error']",
				       NULL),
	      "load --dry-run --json, no boot loader entry: exit 1, the reason, nulls");
}

static void test_reboot(void)
{
	static const char *const keys = "('loaded', 'backend', 'if_newer', 'would_reboot', 'crypttab', 'mode', 'mode_reason', 'volumes', 'not_handed_over', 'kernel', 'initrd', 'cmdline', 'chosen_from', 'boot_loader', 'kernel_release', 'running_release', 'newer', 'reboot_method')";
	char expr[1024];
	int rc;

	rc = RUN("reboot", "--dry-run", "--json", "--root", root);
	check(rc == 1, "reboot --dry-run --json, no module: exit 1, as the text");
	snprintf(expr, sizeof(expr), FRAME("reboot --dry-run", 1) " and all(k in d for k in %s)",
		 keys);
	check(khu_py_check(out, expr, NULL),
	      "reboot --dry-run --json, no module: one object, every field there");
	check(khu_py_check(out, "d['loaded'] is False and d['would_reboot'] is False and d['volumes'] == [] and d['kernel'] is None and 'not set up here' in d['error'] and d['reboot_method'] in ('systemctl_kexec', 'immediate_kexec')",
			   NULL), "reboot --dry-run --json, no module: refused, why, nothing it would do");
	rc = RUN("reboot", "--dry-run", "--json", "--if-newer", "--root", root);
	check(rc == 1 && khu_py_check(out, "d['if_newer'] is True and d['would_reboot'] is False",
				       NULL),
	      "reboot --dry-run --json --if-newer, no module: the same refusal");
}

int main(void)
{
	if (access(KHU_TOOL, X_OK) || !mkdtemp(dir)) {
		check(0, "the built tool (make check builds it) and a directory");
		return khu_tap_done();
	}
	if (!khu_py_available()) {
		check(0, "python3 is installed (scripts/deps.sh test)");
		return khu_tap_done();
	}
	snprintf(out, sizeof(out), "%s/out.json", dir);
	snprintf(root, sizeof(root), "%s/ro\"ot \\ new\nline caf\xc3\xa9", dir);
	mkdir(root, 0700);
	test_refused();
	/* A module here would answer: these are the checks without one. */
	if (!access("/dev/keyhandover", F_OK)) {
		printf("# SKIP /dev/keyhandover is here: the checks without a module\n");
	} else {
		test_status();
		test_setup_check();
		test_load();
		test_reboot();
	}
	khu_tap_rmtree(dir);
	return khu_tap_done();
}
