// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of trust.c, setup --check's Secure Boot, lockdown, module
 * signature and signer checks: the EFI variables, securityfs and
 * module.sig_enforce read from fake /sys trees (no EFI; Secure Boot on
 * with lockdown=integrity; off; setup mode; lockdown missing), the
 * outputs of modinfo, /proc/keys and mokutil parsed as they print them,
 * a certificate made by openssl, keyring membership on the real kernel
 * keyring in a session keyring of the test's own, and the verdicts,
 * written as --json writes them and read back through python3.
 */
#include <errno.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "json.h"
#include "trust.h"
#include "tap.h"
#include "pyjson.h"

static char dir[] = "/tmp/kh-trust-test.XXXXXX";
static char sys_dir[128];

/* An EFI variable of the global GUID under @sys: attributes, @value. */
static void put_efi_var(const char *sys, const char *name, const char *bytes,
			size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path),
		 "/firmware/efi/efivars/%s-" KHU_TRUST_EFI_GUID, name);
	khu_tap_put(sys, path, "");
	snprintf(path, sizeof(path),
		 "%s/firmware/efi/efivars/%s-" KHU_TRUST_EFI_GUID, sys, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(bytes, 1, len, f);
		fclose(f);
	}
}

/* The directory @sub (one level) under @root. */
static void mkdir_in(const char *root, const char *sub)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, sub);
	mkdir(path, 0700);
}

/* A fresh fake /sys named @name under the test's directory. */
static const char *fake_sys(const char *name)
{
	snprintf(sys_dir, sizeof(sys_dir), "%s/%s", dir, name);
	mkdir(sys_dir, 0700);
	return sys_dir;
}

static const char sb_on[] = { 0x06, 0, 0, 0, 1 };
static const char sb_off[] = { 0x06, 0, 0, 0, 0 };
static const char lockdown_integrity[] = "none [integrity] confidentiality\n";

static void test_secure_boot(void)
{
	struct khu_trust t;
	const char *sys;

	sys = fake_sys("noefi");
	memset(&t, 0, sizeof(t));
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_NO_EFI, "no /sys/firmware/efi: not booted through UEFI");

	sys = fake_sys("sbon");
	put_efi_var(sys, "SecureBoot", sb_on, sizeof(sb_on));
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_ON, "SecureBoot = 1: on");

	sys = fake_sys("sboff");
	put_efi_var(sys, "SecureBoot", sb_off, sizeof(sb_off));
	put_efi_var(sys, "SetupMode", sb_off, sizeof(sb_off));
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_OFF, "SecureBoot = 0, SetupMode = 0: off");
	put_efi_var(sys, "SetupMode", sb_on, sizeof(sb_on));
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_SETUP, "SecureBoot = 0, SetupMode = 1: off, setup mode");

	sys = fake_sys("sbshort");
	put_efi_var(sys, "SecureBoot", sb_on, 4);
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_UNKNOWN && t.sb_err == -EINVAL,
	      "a variable of 4 bytes (attributes only): not known, -EINVAL");

	sys = fake_sys("sbnovars");
	khu_tap_put(sys, "/firmware/efi/runtime", "");
	mkdir_in(sys, "/firmware/efi/efivars");
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_UNKNOWN && t.sb_err == -ENOENT,
	      "UEFI, efivarfs not mounted (empty efivars): not known");

	sys = fake_sys("sbnovar");
	put_efi_var(sys, "BootOrder", sb_off, sizeof(sb_off));
	khu_trust_read_sb(sys, &t);
	check(t.sb == KHU_SB_OFF,
	      "efivarfs mounted, no SecureBoot variable: a firmware without it, off");
}

static void test_lockdown(void)
{
	struct khu_trust t;
	const char *sys;

	sys = fake_sys("ldint");
	khu_tap_put(sys, "/kernel/security/lockdown", lockdown_integrity);
	khu_trust_read_lockdown(sys, &t);
	check(t.lockdown == KHU_LD_INTEGRITY, "lockdown: [integrity]");
	khu_tap_put(sys, "/kernel/security/lockdown",
		    "none integrity [confidentiality]\n");
	khu_trust_read_lockdown(sys, &t);
	check(t.lockdown == KHU_LD_CONFIDENTIALITY, "lockdown: [confidentiality]");
	khu_tap_put(sys, "/kernel/security/lockdown",
		    "[none] integrity confidentiality\n");
	khu_trust_read_lockdown(sys, &t);
	check(t.lockdown == KHU_LD_NONE, "lockdown: [none]");

	sys = fake_sys("ldnolsm");
	khu_tap_put(sys, "/kernel/security/lsm", "capability,yama,apparmor\n");
	khu_trust_read_lockdown(sys, &t);
	check(t.lockdown == KHU_LD_NO_LSM,
	      "lockdown file missing, securityfs mounted: no lockdown LSM");

	sys = fake_sys("ldnofs");
	mkdir_in(sys, "/kernel");
	khu_trust_read_lockdown(sys, &t);
	check(t.lockdown == KHU_LD_UNKNOWN,
	      "lockdown file missing, securityfs not mounted: not known");
}

/* The whole platform read, and whether signatures are enforced. */
static void test_platform(void)
{
	struct khu_trust_paths p = { .proc = "/nonexistent",
				     .mok_cert = "/nonexistent" };
	struct khu_trust t;
	char why[128];

	p.sys = fake_sys("sbint");
	put_efi_var(p.sys, "SecureBoot", sb_on, sizeof(sb_on));
	khu_tap_put(p.sys, "/kernel/security/lockdown", lockdown_integrity);
	khu_tap_put(p.sys, "/module/module/parameters/sig_enforce", "N\n");
	khu_trust_read_platform(&p, &t);
	check(t.sb == KHU_SB_ON && t.lockdown == KHU_LD_INTEGRITY &&
	      t.sig == KHU_SIG_OPTIONAL, "Secure Boot on, lockdown=integrity, sig_enforce N");
	check(khu_trust_enforced(&t, why, sizeof(why)) &&
	      !strcmp(why, "Secure Boot on, lockdown=integrity"),
	      "... signatures enforced: 'Secure Boot on, lockdown=integrity'");

	p.sys = fake_sys("plainbios");
	khu_tap_put(p.sys, "/kernel/security/lsm", "capability,lockdown\n");
	khu_tap_put(p.sys, "/kernel/security/lockdown", "[none] integrity confidentiality\n");
	khu_tap_put(p.sys, "/module/module/parameters/sig_enforce", "N\n");
	khu_trust_read_platform(&p, &t);
	check(t.sb == KHU_SB_NO_EFI && !khu_trust_enforced(&t, why, sizeof(why)) &&
	      !why[0], "no UEFI, lockdown none, sig_enforce N: not enforced");
	khu_tap_put(p.sys, "/module/module/parameters/sig_enforce", "Y\n");
	khu_trust_read_platform(&p, &t);
	check(khu_trust_enforced(&t, why, sizeof(why)) &&
	      !strcmp(why, "module.sig_enforce=1"),
	      "module.sig_enforce=Y alone: enforced");

	p.sys = fake_sys("sboffld");
	put_efi_var(p.sys, "SecureBoot", sb_off, sizeof(sb_off));
	khu_tap_put(p.sys, "/kernel/security/lockdown", lockdown_integrity);
	khu_tap_put(p.sys, "/module/module/parameters/sig_enforce", "N\n");
	khu_trust_read_platform(&p, &t);
	check(t.sb == KHU_SB_OFF && khu_trust_enforced(&t, why, sizeof(why)) &&
	      !strcmp(why, "lockdown=integrity"),
	      "Secure Boot off, lockdown=integrity (on the command line): enforced");

	p.sys = fake_sys("sbguess");
	put_efi_var(p.sys, "SecureBoot", sb_on, sizeof(sb_on));
	khu_trust_read_platform(&p, &t);
	check(t.lockdown == KHU_LD_UNKNOWN && t.sig == KHU_SIG_UNKNOWN &&
	      khu_trust_enforced(&t, why, sizeof(why)) &&
	      !strcmp(why, "Secure Boot on"),
	      "Secure Boot on, lockdown and sig_enforce not known: taken as enforced");

	p.sys = fake_sys("nosig");
	put_efi_var(p.sys, "SecureBoot", sb_on, sizeof(sb_on));
	khu_tap_put(p.sys, "/kernel/security/lockdown", lockdown_integrity);
	khu_tap_put(p.sys, "/module/loop/parameters/max_loop", "8\n");
	khu_trust_read_platform(&p, &t);
	check(t.sig == KHU_SIG_NOT_CHECKED && !khu_trust_enforced(&t, why, sizeof(why)),
	      "no module.sig_enforce in a real /sys/module: the kernel checks no signature");
}

/* `modinfo keyhandover` as kmod 30 prints it, signed and not. */
static const char modinfo_signed[] =
	"filename:       /lib/modules/6.1.0-57-amd64/updates/dkms/keyhandover.ko.xz\n"
	"version:        0.1.0\n"
	"license:        GPL\n"
	"name:           keyhandover\n"
	"vermagic:       6.1.0-57-amd64 SMP preempt mod_unload modversions \n"
	"sig_id:         PKCS#7\n"
	"signer:         DKMS module signing key\n"
	"sig_key:        66:B8:43:81:5E:41:F3:22:5A:CC:A1:26:E2:D3:97:42:B3:CB:7E:D3\n"
	"sig_hashalgo:   sha256\n"
	"signature:      15:3F:83:01:39:C9:97:29:FE:1A:75:61:B3:E3:0C:5B:15:9E:8A:2F:\n"
	"\t\tA5:10:C5:2F:B8:28:3B:93:E8:9C:EB:D3:57:01:E4:6F:71:D8:9C:E1\n"
	"parm:           region:SIZE$ADDR (charp)\n";

static const char modinfo_unsigned[] =
	"filename:       /lib/modules/6.1.0-57-amd64/updates/keyhandover.ko\n"
	"version:        0.1.0\n"
	"name:           keyhandover\n";

static void test_modinfo(void)
{
	struct khu_trust_module m;
	char id[64];

	check(!khu_trust_parse_modinfo(modinfo_signed, &m) &&
	      !strcmp(m.file, "/lib/modules/6.1.0-57-amd64/updates/dkms/keyhandover.ko.xz") &&
	      !strcmp(m.signer, "DKMS module signing key") &&
	      !strcmp(m.key_id, "66:B8:43:81:5E:41:F3:22:5A:CC:A1:26:E2:D3:97:42:B3:CB:7E:D3") &&
	      !strcmp(m.hash, "sha256"),
	      "modinfo, signed: file, signer, sig_key, sig_hashalgo");
	check(!khu_trust_parse_modinfo(modinfo_unsigned, &m) && m.file[0] &&
	      !m.signer[0] && !m.key_id[0],
	      "modinfo, not signed: the file, no signer");
	check(!khu_trust_parse_modinfo("name: x\nfilename: /k.ko", &m) &&
	      !strcmp(m.file, "/k.ko"), "a last line without its newline");
	check(khu_trust_parse_modinfo("", &m) == -ENOENT,
	      "modinfo printed nothing (no such module): -ENOENT");
	khu_trust_hex_norm(m.key_id, id, sizeof(id));
	khu_trust_hex_norm("66:B8:43:81:5E:41:F3:22:5A:CC:A1:26:E2:D3:97:42:B3:CB:7E:D3",
			   id, sizeof(id));
	check(!strcmp(id, "66b843815e41f3225acca126e2d39742b3cb7ed3"),
	      "an id in modinfo's spelling, normalised: lowercase hex, no colons");
	khu_trust_hex_norm("00:0A:ff", id, sizeof(id));
	check(!strcmp(id, "aff"), "... and without leading zeros (a DER serial's 00)");
	khu_trust_hex_norm("", id, sizeof(id));
	check(!strcmp(id, "0"), "... an empty id is 0");
}

/* A certificate as dkms makes its mok.pub: DER, self-signed. */
static void test_cert(void)
{
	struct khu_trust_cert c;
	char cmd[1024], path[256], key[256];

	snprintf(path, sizeof(path), "%s/mok.pub", dir);
	snprintf(key, sizeof(key), "%s/mok.key", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj '/CN=kh test key/' -set_serial 0x00a1b2c3d4 -keyout %s -outform DER -out %s >/dev/null 2>&1",
		 key, path);
	if (system(cmd)) {
		printf("# skip: the certificate checks: no openssl here\n");
		return;
	}
	check(!khu_trust_cert_ids(path, &c) && !strcmp(c.serial, "a1b2c3d4") &&
	      strlen(c.skid) >= 39,
	      "DER certificate: its serial (normalised) and its subjectKeyIdentifier");
	check(khu_trust_cert_ids(key, &c) == -EINVAL,
	      "a file that is no certificate: -EINVAL");
	check(khu_trust_cert_ids("/nonexistent/mok.pub", &c) == -ENOENT,
	      "no such file: -ENOENT");
}

/* /proc/keys of a Debian 12 machine under Secure Boot, the DKMS key enrolled. */
static const char proc_keys[] =
	"0a11b0b0 I------     1 perm 1f030000     0     0 keyring   .builtin_trusted_keys: 1\n"
	"0a22b0b0 I------     1 perm 1f0f0000     0     0 keyring   .secondary_trusted_keys: 2\n"
	"0a33b0b0 I------     1 perm 1f0b0000     0     0 keyring   .machine: 1\n"
	"0a44b0b0 I------     1 perm 1f0b0000     0     0 keyring   .platform: 2\n"
	"1a2b3c4d I------     1 perm 1f010000     0     0 asymmetri Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1: X509.rsa cb419ea1 []\n"
	"1a2b3c4e I------     1 perm 1f010000     0     0 asymmetri Debian: Secure Boot Signer 2022 - linux: 0123abcd: X509.rsa 0123abcd []\n"
	"2b3c4d5e I------     1 perm 1f010000     0     0 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n"
	"3c4d5e6f I--Q---     2 perm 3f010000     0     0 user      keyhandover:data: 64\n";

static void test_keys(void)
{
	static const char *const dkms[] = {
		"66b843815e41f3225acca126e2d39742b3cb7ed3",
		"87344ec50d0f0214b97c100e9a49bb0ce4ef122b",
	};
	static const char *const serial_only[] = { "123abcd" };
	static const char *const none[] = { "deadbeef" };
	struct khu_trust_keys k;

	check(!khu_trust_parse_keys(proc_keys, dkms, 2, &k) && k.n == 1 &&
	      k.key[0] == 0x2b3c4d5e &&
	      !strcmp(k.desc, "DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b"),
	      "/proc/keys: the DKMS key found by its subjectKeyIdentifier, its description cut");
	check(k.ring[KHU_RING_BUILTIN] == 0x0a11b0b0 &&
	      k.ring[KHU_RING_SECONDARY] == 0x0a22b0b0 &&
	      k.ring[KHU_RING_MACHINE] == 0x0a33b0b0 &&
	      k.ring[KHU_RING_PLATFORM] == 0x0a44b0b0,
	      "/proc/keys: the serials of .builtin_trusted_keys, .secondary_trusted_keys, .machine, .platform");
	check(!khu_trust_parse_keys(proc_keys, serial_only, 1, &k) &&
	      k.key[0] == 0x1a2b3c4e,
	      "an 'O: CN' subject, an id with a leading zero: found");
	check(khu_trust_parse_keys(proc_keys, none, 1, &k) == -ENOENT &&
	      k.n == 0, "no key of that id: -ENOENT");
	check(!khu_trust_parse_keys(
		      "5a000001 I------     1 perm 3f010000  1000  1000 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n"
		      "5a000002 I------     1 perm 3f010000  1000  1000 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n"
		      "5a000003 I------     1 perm 3f010000  1000  1000 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n"
		      "5a000004 I------     1 perm 3f010000  1000  1000 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n"
		      "5a000005 I------     1 perm 3f010000  1000  1000 keyring   .machine: 1\n"
		      "6b000001 I------     1 perm 1f010000     0     0 asymmetri DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b: X509.rsa e4ef122b []\n",
		      dkms, 2, &k) && k.n == 1 && k.key[0] == 0x6b000001 &&
	      k.ring[KHU_RING_MACHINE] == 0,
	      "a user's lookalike keys and keyring (uid 1000) are not looked at: root's key is found");
	check(!khu_trust_parse_keys("2b3c4d5e I------     1 perm 1f010000     0     0 asymmetri K: 0123abcd",
				    serial_only, 1, &k) && k.key[0] == 0x2b3c4d5e,
	      "a last line without its newline, its id at the end");
	check(khu_trust_parse_keys("garbage\n\n", none, 1, &k) == -ENOENT,
	      "lines that are no key: skipped");
}

/* keyctl_read() of a keyring of our own, on the real kernel keyring. */
static void test_rings(void)
{
	struct khu_trust_keys k = { .n = 1 };
	key_serial_t ring, key, other;
	const char *name = NULL;
	int err = 0;

	if (keyctl_join_session_keyring(NULL) < 0) {
		printf("# skip: the keyring checks: keyctl not permitted here (%s)\n",
		       strerror(errno));
		return;
	}
	ring = add_key("keyring", "khtest-trusted", NULL, 0,
		       KEY_SPEC_SESSION_KEYRING);
	key = add_key("user", "khtest:signer", "x", 1, ring);
	other = add_key("user", "khtest:other", "y", 1,
			KEY_SPEC_SESSION_KEYRING);
	check(ring > 0 && key > 0 && other > 0, "a keyring with a key, and one outside");
	check(khu_trust_in_ring(ring, key) == 1 &&
	      khu_trust_in_ring(ring, other) == 0,
	      "khu_trust_in_ring: the key linked in it yes, the other no");
	check(khu_trust_in_ring(0x7ffffff0, key) < 0,
	      "a keyring that does not exist: -errno");
	k.key[0] = key;
	k.ring[KHU_RING_MACHINE] = ring;
	check(khu_trust_where(&k, &name, &err) == KHU_KEY_TRUSTED &&
	      !strcmp(name, ".machine"), "in .machine: trusted for modules");
	k.ring[KHU_RING_MACHINE] = 0;
	k.ring[KHU_RING_PLATFORM] = ring;
	check(khu_trust_where(&k, &name, &err) == KHU_KEY_PLATFORM &&
	      !strcmp(name, ".platform"), "in .platform only: not for modules");
	k.key[0] = other;
	check(khu_trust_where(&k, &name, &err) == KHU_KEY_ABSENT && !name &&
	      !err, "in none of them: absent");
	k.ring[KHU_RING_BUILTIN] = 0x7ffffff0;
	check(khu_trust_where(&k, &name, &err) == KHU_KEY_UNKNOWN && err < 0,
	      "a trusted keyring that cannot be read: not known, not absent");
}

static void test_mokutil(void)
{
	check(khu_trust_parse_mokutil("/var/lib/dkms/mok.pub is already enrolled\n") ==
	      KHU_MOK_ENROLLED, "mokutil: already enrolled");
	check(khu_trust_parse_mokutil("/var/lib/dkms/mok.pub is not enrolled\n") ==
	      KHU_MOK_NOT_ENROLLED, "mokutil: not enrolled");
	check(khu_trust_parse_mokutil("/var/lib/dkms/mok.pub is already in the enrollment request\n") ==
	      KHU_MOK_PENDING, "mokutil: an import waits for MokManager");
	check(khu_trust_parse_mokutil("/var/lib/dkms/mok.pub is blocked in dbx\n") ==
	      KHU_MOK_BLOCKED, "mokutil: revoked");
	check(khu_trust_parse_mokutil("EFI variables are not supported on this system\n") ==
	      KHU_MOK_UNKNOWN, "mokutil: anything else is not known");
}

/* The four verdicts as --json writes them, into @path. */
static int write_checks(const struct khu_trust *t, const char *path)
{
	struct khu_check c[KHU_TRUST_CHECKS];
	struct khu_json j;
	const char *text;
	unsigned int i;
	size_t len;
	int ok;

	khu_trust_judge(t, c);
	khu_json_init(&j);
	khu_json_begin_array(&j, NULL);
	for (i = 0; i < KHU_TRUST_CHECKS; i++)
		khu_check_json(&j, &c[i]);
	khu_json_end_array(&j);
	ok = !khu_json_finish(&j, &text, &len) && khu_py_put(path, text, len);
	khu_json_free(&j);
	return ok;
}

/* Each verdict's {name, ok, required, detail, fix}, and the names in order. */
#define SHAPE \
	"[c['name'] for c in d] == ['secure_boot', 'lockdown', 'module_signed', 'signer_enrolled'] and " \
	"all(set(c) == {'name', 'ok', 'required', 'detail', 'fix'} and c['ok'] in (True, False, None) and isinstance(c['required'], bool) and c['detail'] and ((c['fix'] is None) or c['ok'] is not True) for c in d)"

#define V(name) "next(c for c in d if c['name'] == '" name "')"

/* A module as the facts of a test give it. */
static void signed_by_dkms(struct khu_trust *t)
{
	khu_trust_parse_modinfo(modinfo_signed, &t->mod);
	t->mok_signed = true;
	t->mok_cert = KHU_TRUST_MOK_CERT;
	snprintf(t->release, sizeof(t->release), "6.1.0-57-amd64");
	snprintf(t->key_desc, sizeof(t->key_desc),
		 "DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b");
}

static void test_judge_no_efi(const char *path)
{
	struct khu_trust_paths p = { .proc = "/nonexistent",
				     .mok_cert = KHU_TRUST_MOK_CERT };
	struct khu_trust t;

	p.sys = fake_sys("noefi");
	khu_trust_read_platform(&p, &t);
	khu_trust_parse_modinfo(modinfo_unsigned, &t.mod);
	check(write_checks(&t, path) && khu_py_check(path, SHAPE, NULL),
	      "--json: four checks, each {name, ok, required, detail, fix}");
	check(khu_py_check(path, V("secure_boot") "['ok'] is None and not " V("secure_boot") "['required'] and " V("secure_boot") "['detail'] == 'Secure Boot: not booted through UEFI: Secure Boot does not apply'",
			   NULL), "no EFI: secure_boot null, 'Secure Boot does not apply', not required");
	check(khu_py_check(path, V("lockdown") "['ok'] is None and 'securityfs' in " V("lockdown") "['fix']",
			   NULL), "lockdown file missing, no securityfs: lockdown null, the mount as the fix");
	check(khu_py_check(path, V("module_signed") "['ok'] is False and not " V("module_signed") "['required'] and 'not signed' in " V("module_signed") "['detail'] and 'no matter while' in " V("module_signed") "['detail'] and 'DKMS' in " V("module_signed") "['fix']",
			   NULL), "unsigned, signatures not enforced: a note, the DKMS build as the fix");
	check(khu_py_check(path, V("signer_enrolled") "['ok'] is None and not " V("signer_enrolled") "['required']",
			   NULL), "unsigned: no signer to look for");
}

static void test_judge_sb_on(const char *path)
{
	struct khu_trust_paths p = { .proc = "/nonexistent",
				     .mok_cert = KHU_TRUST_MOK_CERT };
	struct khu_check c[KHU_TRUST_CHECKS];
	struct khu_trust t;
	char line[2048];

	p.sys = fake_sys("sbint");
	khu_trust_read_platform(&p, &t);
	khu_trust_parse_modinfo(modinfo_unsigned, &t.mod);
	check(write_checks(&t, path) && khu_py_check(path, SHAPE, NULL) &&
	      khu_py_check(path, V("secure_boot") "['ok'] is True and " V("secure_boot") "['detail'] == 'Secure Boot: on' and " V("lockdown") "['ok'] is True and 'integrity' in " V("lockdown") "['detail'] and 'keyring mode takes logon keys' in " V("lockdown") "['detail']",
			   NULL), "Secure Boot on, lockdown=integrity: both facts, ok");
	check(khu_py_check(path, V("module_signed") "['ok'] is False and " V("module_signed") "['required'] and 'only signed modules (Secure Boot on, lockdown=integrity)' in " V("module_signed") "['detail']",
			   NULL), "... an unsigned module: a required failure, and why");
	khu_trust_judge(&t, c);
	khu_check_text(&c[KHU_TRUST_MODULE_SIGNED], line, sizeof(line));
	check(!strncmp(line, "missing: keyhandover.ko (", 25) &&
	      strstr(line, "; next: build it with DKMS") != NULL,
	      "... its text: one 'missing:' line with what to do next");
	t.loaded = true;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("module_signed") "['ok'] is False and not " V("module_signed") "['required'] and 'this kernel took it' in " V("module_signed") "['detail']",
			   NULL), "... the same unsigned file with the module loaded: not required (this kernel took it)");
	t.loaded = false;

	signed_by_dkms(&t);
	t.where = KHU_KEY_ABSENT;
	t.mok = KHU_MOK_NOT_ENROLLED;
	check(write_checks(&t, path) && khu_py_check(path, SHAPE, NULL) &&
	      khu_py_check(path, V("module_signed") "['ok'] is True and \"signed by 'DKMS module signing key', key 66:B8\" in " V("module_signed") "['detail'] and " V("signer_enrolled") "['ok'] is False and " V("signer_enrolled") "['required'] and " V("signer_enrolled") "['fix'] == 'mokutil --import /var/lib/dkms/mok.pub, reboot, and confirm the key in MokManager'",
			   NULL), "signed by the DKMS key, not enrolled: signer_enrolled a required failure, mokutil --import as the fix");
	t.mok = KHU_MOK_UNKNOWN;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['fix'].startswith('apt install mokutil; mokutil --import ')",
			   NULL), "... no mokutil: installing it first");
	t.mok = KHU_MOK_PENDING;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is False and 'MokManager' in " V("signer_enrolled") "['fix'] and " V("signer_enrolled") "['fix'].startswith('reboot')",
			   NULL), "... an import pending: reboot and confirm it");
	t.mok = KHU_MOK_ENROLLED;
	check(write_checks(&t, path) &&
	      khu_py_check(path, "'enrolled (mokutil)' in " V("signer_enrolled") "['detail'] and " V("signer_enrolled") "['fix'].startswith('reboot')",
			   NULL), "... enrolled since this boot: reboot");
	t.where = KHU_KEY_PLATFORM;
	t.key_ring = ".platform";
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is None and not " V("signer_enrolled") "['required'] and '.platform only' in " V("signer_enrolled") "['detail'] and \"Debian's kernel takes\" in " V("signer_enrolled") "['detail']",
			   NULL), "... in .platform only: not known, not required (Debian's kernel takes modules it signed)");
	t.where = KHU_KEY_TRUSTED;
	t.key_ring = ".machine";
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is True and " V("signer_enrolled") "['fix'] is None and " V("signer_enrolled") "['detail'] == \"the kernel trusts its signer: 'DKMS module signing key: 87344ec50d0f0214b97c100e9a49bb0ce4ef122b' is in .machine\"",
			   NULL), "... in .machine: ok, where");
	t.where = KHU_KEY_ABSENT;
	t.mok_signed = false;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is None and not " V("signer_enrolled") "['required'] and 'cannot tell' in " V("signer_enrolled") "['detail']",
			   NULL), "another signer, no key of its id: not known, not required");
	t.mok_signed = true;
	t.not_root = true;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is None and " V("signer_enrolled") "['required'] and 'as root' in " V("signer_enrolled") "['fix']",
			   NULL), "not root: not known, and required under Secure Boot");
	t.not_root = false;
	t.keys_err = -EACCES;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("signer_enrolled") "['ok'] is None and 'cannot read the kernel' in " V("signer_enrolled") "['detail']",
			   NULL), "a keyring that cannot be read: not known");
}

static void test_judge_sb_off(const char *path)
{
	struct khu_trust_paths p = { .proc = "/nonexistent",
				     .mok_cert = KHU_TRUST_MOK_CERT };
	struct khu_trust t;

	p.sys = fake_sys("sboffnold");
	put_efi_var(p.sys, "SecureBoot", sb_off, sizeof(sb_off));
	khu_tap_put(p.sys, "/kernel/security/lockdown", "[none] integrity confidentiality\n");
	khu_tap_put(p.sys, "/module/module/parameters/sig_enforce", "N\n");
	khu_trust_read_platform(&p, &t);
	signed_by_dkms(&t);
	t.where = KHU_KEY_ABSENT;
	t.mok = KHU_MOK_NOT_ENROLLED;
	check(write_checks(&t, path) && khu_py_check(path, SHAPE, NULL) &&
	      khu_py_check(path, V("secure_boot") "['ok'] is True and " V("secure_boot") "['detail'] == 'Secure Boot: off' and " V("lockdown") "['detail'].startswith('lockdown: none')",
			   NULL), "Secure Boot off, lockdown none: facts, ok");
	check(khu_py_check(path, "not any(c['required'] for c in d) and " V("signer_enrolled") "['ok'] is False and 'no matter while' in " V("signer_enrolled") "['detail'] and 'mokutil --import' in " V("signer_enrolled") "['fix']",
			   NULL), "... signer not enrolled: a note only, with the fix for later");
	khu_tap_put(p.sys, "/kernel/security/lockdown", "none integrity [confidentiality]\n");
	khu_trust_read_platform(&p, &t);
	t.sb = KHU_SB_OFF;
	check(write_checks(&t, path) &&
	      khu_py_check(path, V("lockdown") "['ok'] is False and not " V("lockdown") "['required'] and 'refuses logon keys' in " V("lockdown") "['detail'] and 'lockdown=integrity' in " V("lockdown") "['fix'] and " V("module_signed") "['required']",
			   NULL), "lockdown=confidentiality: a note on logon keys; signatures enforced");
}

static void test_judge(void)
{
	char path[256];

	if (!khu_py_available()) {
		printf("# skip: the --json checks: no python3\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/checks.json", dir);
	test_judge_no_efi(path);
	test_judge_sb_on(path);
	test_judge_sb_off(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		check(0, "a temporary directory");
		return khu_tap_done();
	}
	test_secure_boot();
	test_lockdown();
	test_platform();
	test_modinfo();
	test_cert();
	test_keys();
	test_rings();
	test_mokutil();
	test_judge();
	khu_tap_rmtree(dir);
	return khu_tap_done();
}
