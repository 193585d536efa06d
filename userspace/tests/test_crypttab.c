// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the crypttab parser on real-world-shaped files: Debian's
 * installer output, hand-written lines, and everything stash must list as
 * not handed over.
 */
#include <errno.h>
#include <keyutils.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypttab.h"
#include "tap.h"

static struct khu_crypttab_entry e[KHU_CRYPTTAB_MAX];
static unsigned int n;

static int parse(const char *text)
{
	n = 0;
	return khu_crypttab_parse(text, e, KHU_CRYPTTAB_MAX, &n);
}

static int skipped_for(unsigned int i, const char *needle)
{
	return i < n && e[i].skip && strstr(e[i].skip, needle);
}

static void test_debian_installer(void)
{
	/* What Debian's installer writes for an encrypted LVM setup. */
	check(!parse("sda3_crypt UUID=6a5c3fd8-4b9b-4b5e-9a51-1b1d0f4b2f3e none luks,discard\n") &&
	      n == 1 && !e[0].skip && !strcmp(e[0].name, "sda3_crypt") &&
	      !strcmp(e[0].device, "/dev/disk/by-uuid/6a5c3fd8-4b9b-4b5e-9a51-1b1d0f4b2f3e") &&
	      e[0].uuid && !strcmp(e[0].uuid, "6a5c3fd8-4b9b-4b5e-9a51-1b1d0f4b2f3e") &&
	      !e[0].key_file[0] && e[0].line == 1,
	      "installer line: UUID= source, none, luks,discard");
}

static void test_forms(void)
{
	static const char tab[] =
		"# <target name> <source device> <key file> <options>\n"
		"\n"
		"   # indented comment\n"
		"root\t/dev/vda2\t-\tluks\n"
		"home PARTUUID=0b1c-02 /etc/keys/home.key luks,discard\n"
		"data LABEL=data\n"
		"bare /dev/sdb1\r\n"
		"backup PARTLABEL=backup none luks,initramfs\n";

	check(!parse(tab) && n == 5, "comments and blank lines are not entries");
	check(!e[0].skip && !strcmp(e[0].device, "/dev/vda2") && !e[0].key_file[0] &&
	      !e[0].uuid && e[0].line == 4, "tabs, a path, '-' as the key file");
	check(!e[1].skip && !strcmp(e[1].device, "/dev/disk/by-partuuid/0b1c-02") &&
	      !strcmp(e[1].key_file, "/etc/keys/home.key"),
	      "PARTUUID= and a key file");
	check(!e[2].skip && !strcmp(e[2].device, "/dev/disk/by-label/data") &&
	      !e[2].key_file[0], "LABEL= with no key file field");
	check(!e[3].skip && !strcmp(e[3].device, "/dev/sdb1"),
	      "a CRLF line ending");
	check(!e[4].skip && !strcmp(e[4].device, "/dev/disk/by-partlabel/backup"),
	      "PARTLABEL=");
}

static void test_refused(void)
{
	static const char tab[] =
		"swap /dev/sda5 /dev/urandom swap,cipher=aes-xts-plain64,size=512\n"
		"tmp /dev/sda6 /dev/urandom tmp\n"
		"p /dev/sda7 none plain,cipher=aes-cbc-essiv:sha256\n"
		"vc /dev/sda8 none tcrypt,veracrypt\n"
		"bl /dev/sda9 none bitlk\n"
		"ks /dev/sda10 none luks,keyscript=/lib/cryptsetup/scripts/passdev\n"
		"hd /dev/sda11 none luks,header=/boot/hd.hdr\n"
		"ko /dev/sda12 /k luks,keyfile-offset=512\n"
		"kz /dev/sda13 /k luks,keyfile-size=64\n"
		"na /dev/sda14 none luks,noauto\n"
		"usb /dev/sda15 /key.bin:UUID=1234 luks\n"
		"bad/name /dev/sda16 none luks\n"
		"nosrc\n"
		"rel sda17 none luks\n"
		"emp UUID= none luks\n";

	check(!parse(tab) && n == 15, "fifteen entries");
	check(skipped_for(0, "swap"), "swap: listed with a reason");
	check(skipped_for(1, "tmp"), "tmp");
	check(skipped_for(2, "plain dm-crypt"), "plain");
	check(skipped_for(3, "TrueCrypt"), "tcrypt");
	check(skipped_for(4, "BitLocker"), "bitlk");
	check(skipped_for(5, "keyscript="), "keyscript=");
	check(skipped_for(6, "detached LUKS header (header=): not supported"),
	      "header=: a detached LUKS header, not supported");
	check(skipped_for(7, "keyfile-offset="), "keyfile-offset=");
	check(skipped_for(8, "keyfile-size="), "keyfile-size=");
	check(skipped_for(9, "noauto"), "noauto");
	check(skipped_for(10, "another device"), "key file on another device");
	check(skipped_for(11, "mapping name"), "a name with '/'");
	check(skipped_for(12, "no source"), "no source field");
	check(skipped_for(13, "neither a path"), "a relative source");
	check(skipped_for(14, "empty tag"), "UUID= with nothing after it");
}

static void test_options_exact(void)
{
	/* "discard" must not match "noauto"-style prefixes, nor "plain" "plainx". */
	check(!parse("a /dev/x none luks,discard,plainish,noautomount\n") && n == 1 &&
	      !e[0].skip, "options match whole words, not prefixes");
}

static void test_limits(void)
{
	char big[KHU_CRYPTTAB_FIELD + 64], tab[(KHU_CRYPTTAB_MAX + 1) * 16];
	unsigned int i;
	size_t off = 0;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "x /dev/", 7);
	check(!parse(big) && n == 1 && skipped_for(0, "too long"),
	      "a field past the limit is listed, not cut");
	for (i = 0; i <= KHU_CRYPTTAB_MAX; i++)
		off += snprintf(tab + off, sizeof(tab) - off, "v%u /dev/x\n", i);
	check(parse(tab) == -E2BIG, "more entries than the limit: -E2BIG");
	check(!parse("") && n == 0, "an empty file: no entries");
}

/* The dm-crypt options restore opens a volume with, word by word. */
static void test_flags(void)
{
	static const struct {
		const char *opt;
		unsigned int flag;
	} one[] = {
		{ "discard", KHU_CRYPTTAB_DISCARD },
		{ "readonly", KHU_CRYPTTAB_READONLY },
		{ "read-only", KHU_CRYPTTAB_READONLY },
		{ "same-cpu-crypt", KHU_CRYPTTAB_SAME_CPU_CRYPT },
		{ "submit-from-crypt-cpus", KHU_CRYPTTAB_SUBMIT_FROM_CRYPT_CPUS },
		{ "no-read-workqueue", KHU_CRYPTTAB_NO_READ_WORKQUEUE },
		{ "no-write-workqueue", KHU_CRYPTTAB_NO_WRITE_WORKQUEUE },
	};
	char line[160], what[160];
	unsigned int i;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		snprintf(line, sizeof(line), "v /dev/a none luks,%s\n",
			 one[i].opt);
		snprintf(what, sizeof(what), "%s: that flag alone", one[i].opt);
		check(!parse(line) && n == 1 && !e[0].skip &&
		      e[0].flags == one[i].flag, what);
	}
	check(!parse("v /dev/a none luks\nw /dev/b\nx /dev/c none\n") &&
	      n == 3 && !e[0].flags && !e[1].flags && !e[2].flags,
	      "no option, no options field, no key file: no flag");
	check(!parse("v /dev/a none discard,luks,no-read-workqueue,no-write-workqueue\n") &&
	      e[0].flags == (KHU_CRYPTTAB_DISCARD |
			     KHU_CRYPTTAB_NO_READ_WORKQUEUE |
			     KHU_CRYPTTAB_NO_WRITE_WORKQUEUE),
	      "several options, in any order, among others");
	check(!parse("v /dev/a none readonly,read-only,discard,discard\n") &&
	      e[0].flags == (KHU_CRYPTTAB_READONLY | KHU_CRYPTTAB_DISCARD),
	      "both spellings of readonly, an option twice: one flag each");
	check(!parse("v /dev/a none discard=1,discards,no-discard,Discard,x-discard\n") &&
	      !e[0].flags, "whole words only: discard=1, discards, Discard are not discard");
	check(!parse("v /dev/a none luks,x\\,discard,same-cpu-crypt\\,y\n") &&
	      !e[0].flags, "an escaped comma joins the words: x\\,discard is one option");
	check(!parse("v /dev/a none luks,discard\\\\,readonly\n") &&
	      e[0].flags == KHU_CRYPTTAB_READONLY,
	      "\\\\ is a backslash, not an escaped comma: discard\\ is not discard");
	check(!parse("v /dev/a none link-volume-key=@u::%user:a\\,discard\n") &&
	      !e[0].flags && !strcmp(e[0].link.value, "@u::%user:a,discard"),
	      "\\,discard inside link-volume-key='s value is the value, not a flag");
	check(!parse("v /dev/a none link-volume-key=@u::%logon:k:v,discard\n") &&
	      e[0].flags == KHU_CRYPTTAB_DISCARD &&
	      !strcmp(e[0].link.value, "@u::%logon:k:v"),
	      "an unescaped comma ends link-volume-key=: discard after it counts");
	check(!parse("v /dev/a none luks,discard,x\\y\n") &&
	      e[0].flags == KHU_CRYPTTAB_DISCARD,
	      "an escape systemd refuses: the options still count, as Debian's cryptroot splits at every ','");
}

/* The options said on restore's "opened as" line. */
static void test_flag_names(void)
{
	char buf[KHU_CRYPTTAB_NAMES_LEN], small[12];

	khu_crypttab_flag_names(0, buf, sizeof(buf));
	check(!buf[0], "no flag: an empty string");
	khu_crypttab_flag_names(KHU_CRYPTTAB_DISCARD, buf, sizeof(buf));
	check(!strcmp(buf, "discard"), "discard");
	khu_crypttab_flag_names(KHU_CRYPTTAB_READONLY | KHU_CRYPTTAB_DISCARD,
				buf, sizeof(buf));
	check(!strcmp(buf, "discard,readonly"),
	      "two: as crypttab writes them, readonly said once");
	khu_crypttab_flag_names(~0U, buf, sizeof(buf));
	check(!strcmp(buf, "discard,readonly,same-cpu-crypt,submit-from-crypt-cpus,no-read-workqueue,no-write-workqueue"),
	      "all of them fit KHU_CRYPTTAB_NAMES_LEN");
	khu_crypttab_flag_names(~0U, small, sizeof(small));
	check(!strcmp(small, "discard,rea"), "a short buffer: cut, terminated");
}

/* Line @i links into @ring (or the keyring named @ring_name) as @ref. */
static int links(unsigned int i, int32_t ring, const char *ring_name,
		 const char *ref)
{
	const struct khu_crypttab_link *l = &e[i].link;
	const char *type = ref[1] == 'l' ? "logon" : "user";

	return i < n && khu_crypttab_links(&e[i]) && l->ring == ring &&
	       !strcmp(l->ring_name, ring_name) && !strcmp(l->ref, ref) &&
	       l->type == (ref[1] == 'l' ? KH_KEY_LOGON : KH_KEY_USER) &&
	       !strcmp(l->description, ref + strlen(type) + 2);
}

/* Line @i is handed over, but its link-volume-key= is not used: @needle. */
static int unused_for(unsigned int i, const char *needle)
{
	return i < n && !e[i].skip && !khu_crypttab_links(&e[i]) &&
	       e[i].link.unusable && strstr(e[i].link.unusable, needle) &&
	       strstr(e[i].link.unusable, "link-volume-key=");
}

static void test_link(void)
{
	static const char tab[] =
		"root UUID=1 none luks,link-volume-key=@u::%logon:keyhandover:root,discard\n"
		"s /dev/a none link-volume-key=@s::cryptsetup:vk\n"
		"us /dev/b none link-volume-key=@us::%user:plain\n"
		"p /dev/c none luks,link-volume-key=@p::%logon:a:b\n"
		"t /dev/d none link-volume-key=@t::%logon:a:b\n"
		"byname /dev/e none link-volume-key=%:myring::%logon:k:5\n"
		"bykr /dev/f none link-volume-key=%keyring:kr::%logon:k:6\n"
		"bare /dev/g none link-volume-key=vks::%logon:k:7\n"
		"twice /dev/h none link-volume-key=@s::x,link-volume-key=@u::%logon:k:8\n"
		"none /dev/i none luks,discard\n";

	check(!parse(tab) && n == 10, "ten link-volume-key= lines");
	check(links(0, KEY_SPEC_USER_KEYRING, "", "%logon:keyhandover:root") &&
	      !strcmp(e[0].link.value, "@u::%logon:keyhandover:root"),
	      "@u::%logon:SERVICE:NAME: a logon key in @u, the value kept as written");
	check(unused_for(1, "@s, @p or @t") && e[1].link.type == KH_KEY_USER &&
	      !strcmp(e[1].link.ref, "%user:cryptsetup:vk"),
	      "@s: parsed (no %TYPE: a user key, systemd's default), but not used: the key would not outlast restore");
	check(links(2, KEY_SPEC_USER_SESSION_KEYRING, "", "%user:plain"),
	      "@us and %user:, no SERVICE: needed");
	check(unused_for(3, "@s, @p or @t") && unused_for(4, "@s, @p or @t"),
	      "@p, @t: not used either");
	check(links(5, 0, "myring", "%logon:k:5"), "%:NAME: a keyring by name");
	check(links(6, 0, "kr", "%logon:k:6"),
	      "%keyring:NAME: a keyring by name");
	check(links(7, 0, "vks", "%logon:k:7"),
	      "a bare NAME: a keyring by name, as systemd adds %:");
	check(links(8, KEY_SPEC_USER_KEYRING, "", "%logon:k:8"),
	      "given twice: the last one wins, as in systemd");
	check(!e[9].skip && !e[9].link.value[0] && !e[9].link.ref[0],
	      "no link-volume-key=: nothing to link");
}

static void test_link_refused(void)
{
	static const char *const bad[][2] = {
		{ "@u:%logon:a:b", "no '::'" },
		{ "@g::%logon:a:b", "unknown keyring" },
		{ "%user:x::%logon:a:b", "another type" },
		{ "::%logon:a:b", "names no keyring" },
		{ "%:::%logon:a:b", "another type" },
		{ "@u::%big_key:a", "other than user or logon" },
		{ "@u::%:a", "other than user or logon" },
		{ "@u::%logon:plain", "not SERVICE:NAME" },
		{ "@u::%logon::x", "not SERVICE:NAME" },
		{ "@u::%logon:", "no key description" },
		{ "@u::", "no key description" },
		{ "@u::%logon", "without ':'" },
		{ "@u::%user:a\\nb", "backslash escape" },
		{ "@u::%user:ab\\", "backslash escape" },
	};
	char line[256], big[KH_DESC_LEN + 64];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line),
			 "v /dev/a none luks,link-volume-key=%s\n", bad[i][0]);
		snprintf(big, sizeof(big), "link-volume-key=%s: %s", bad[i][0],
			 bad[i][1]);
		check(!parse(line) && n == 1 && unused_for(0, bad[i][1]) &&
		      !strcmp(e[0].device, "/dev/a"), big);
	}
	static const char head[] = "v /dev/a none link-volume-key=@u::%logon:a:";

	memset(big, 'a', sizeof(big));
	memcpy(big, head, strlen(head));
	memcpy(big + sizeof(big) - 2, "\n", 2);
	check(!parse(big) && n == 1 && unused_for(0, "longer than 255"),
	      "a key description of 256 characters or more is not used");
	check(!parse("v /dev/a none link-volume-key=12345::%logon:a:b\n") &&
	      links(0, 0, "12345", "%logon:a:b"),
	      "a numeric keyring is one named by that number, as systemd reads it");
	check(!parse("v /dev/a none plain,link-volume-key=@u::%logon:a:b\n") &&
	      skipped_for(0, "plain dm-crypt"),
	      "a line refused for another reason says that reason");
}

/* Options split as systemd-cryptsetup splits them: "\," and "\\". */
static void test_escapes(void)
{
	static const char *const ok[][4] = {
		/* the options; the keyring's name ("": @u); the key; why */
		{ "luks,link-volume-key=@u::%user:a\\,b,discard", "", "%user:a,b",
		  "\\, is a comma inside the value (%user:a\\,b is a,b)" },
		{ "link-volume-key=@u::%user:a\\\\b", "", "%user:a\\b",
		  "\\\\ is one backslash" },
		{ "luks,plain\\,x,link-volume-key=%:r\\,s::%logon:k:v", "r,s",
		  "%logon:k:v", "an escaped comma joins the option: plain\\,x is not plain" },
		{ ",,link-volume-key=@u::%logon:k:e,", "", "%logon:k:e",
		  "empty options (systemd does not coalesce commas) are nothing" },
		{ "link-volume-key=@u::%user:\"q\"", "", "%user:\"q\"",
		  "quotes are plain characters" },
	};
	char line[160];
	unsigned int i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(line, sizeof(line), "v /dev/a none %s\n", ok[i][0]);
		check(!parse(line) && n == 1 &&
		      links(0, ok[i][1][0] ? 0 : KEY_SPEC_USER_KEYRING, ok[i][1],
			    ok[i][2]), ok[i][3]);
	}
	check(!parse("v /dev/a none link-volume-key=@u::%user:a\\,b\n") &&
	      !strcmp(e[0].link.value, "@u::%user:a,b"),
	      "the value kept unescaped");
}

/* One key for two volumes: the module could not tell them apart. */
static void test_same_key(void)
{
	static const char tab[] =
		"a /dev/a none luks,link-volume-key=@u::%logon:k:v\n"
		"off /dev/x none swap,link-volume-key=@u::%logon:k:w\n"
		"b /dev/b none luks,link-volume-key=%:ring::%logon:k:v\n"
		"c /dev/c none luks,link-volume-key=@u::%user:k:v\n"
		"d /dev/d none luks,link-volume-key=@u::%logon:k:w\n"
		"e /dev/e none luks,link-volume-key=@u::%logon:k:v\n";

	check(!parse(tab) && n == 6, "six lines, three naming logon key k:v");
	check(links(0, KEY_SPEC_USER_KEYRING, "", "%logon:k:v"),
	      "the first line naming a key keeps it");
	check(unused_for(2, "same key as an earlier line") &&
	      unused_for(5, "same key as an earlier line"),
	      "a later line naming it (in any keyring) is left to its passphrase");
	check(links(3, KEY_SPEC_USER_KEYRING, "", "%user:k:v"),
	      "a user key of that description is another key");
	check(links(4, KEY_SPEC_USER_KEYRING, "", "%logon:k:w"),
	      "a line not handed over (swap) takes no key from a later one");
}

/* The LUKS UUIDs of the test's devices, as restore would read them. */
static int fake_uuid(const char *path, char *uuid, size_t len)
{
	static const char *const devs[][2] = {
		{ "/dev/sda2", "aaaa-1" },
		{ "/dev/disk/by-partuuid/p-b", "bbbb-2" },
		{ "/dev/disk/by-label/lc", "cccc-3" },
	};
	size_t i;

	if (!strcmp(path, "/dev/gone"))
		return -ENOENT;
	if (!strcmp(path, "/dev/xdev"))
		return -EXDEV;
	/* The cut's other disks: each its own volume. */
	if (!strncmp(path, "/dev/sd", 7) && strcmp(path, "/dev/sda2"))
		return snprintf(uuid, len, "u-%s", path + 5) < (int)len ?
		       0 : -ENAMETOOLONG;
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (!strcmp(path, devs[i][0]))
			return snprintf(uuid, len, "%s", devs[i][1]) < (int)len ?
			       0 : -ENAMETOOLONG;
	return -EINVAL;
}

/* khu_crypttab_find's answer for volume @name with @uuid: its return, *@line. */
static int find(const char *name, const char *uuid, unsigned int *line)
{
	const struct khu_crypttab_entry *out = NULL;
	int ret = khu_crypttab_find(e, n, name, uuid, fake_uuid, &out);

	*line = out ? out->line : 0;
	return ret;
}

static void test_find(void)
{
	static const char tab[] =
		"data UUID=AAAA-0 none luks,link-volume-key=@u::%logon:k:d0\n"
		"data UUID=dddd-4 none luks,link-volume-key=@u::%logon:k:d4\n"
		"root /dev/sda2 none luks,link-volume-key=@u::%logon:k:root\n"
		"home PARTUUID=p-b none luks,link-volume-key=@u::%logon:k:home\n"
		"lab LABEL=lc none link-volume-key=@u::%logon:k:lab\n"
		"gone /dev/gone none link-volume-key=@u::%logon:k:gone\n"
		"gone UUID=eeee-5 none link-volume-key=@u::%logon:k:g5\n"
		"plain UUID=ffff-6 none luks\n"
		"sw UUID=9999-7 none swap,link-volume-key=@u::%logon:k:sw\n"
		"opts /dev/sda2 none luks,discard\n"
		"two UUID=1111-a none luks,readonly\n"
		"two UUID=2222-b none luks,link-volume-key=@u::%logon:k:two\n"
		"ks UUID=3333-c none luks,discard,keyscript=/s,link-volume-key=@u::%logon:k:ks\n"
		"rel sda9 none luks,discard\n"
		"xd /dev/xdev none luks\n";
	unsigned int line = 0;

	check(!parse(tab) && n == 15, "fifteen lines to find in");
	check(!find("data", "dddd-4", &line) && line == 2,
	      "two lines of one name: the one whose UUID= is the volume's");
	check(!find("data", "aaaa-0", &line) && line == 1,
	      "UUID= is compared without regard to case");
	check(find("data", "1234-x", &line) == -EXDEV && line == 1,
	      "no line of that name is the volume: -EXDEV, the first named");
	check(!find("root", "AAAA-1", &line) && line == 3,
	      "a path: the LUKS UUID of its device");
	check(find("root", "bbbb-2", &line) == -EXDEV && line == 3,
	      "a path to another volume (--name given to another disk): -EXDEV");
	check(!find("home", "bbbb-2", &line) && line == 4 &&
	      !find("lab", "cccc-3", &line) && line == 5,
	      "PARTUUID=, LABEL=: by the UUID of the device their link leads to");
	check(find("gone", "7777-8", &line) == -ENODEV && line == 6,
	      "a device that is not there: -ENODEV, not -ENOENT (no line of that name), that line named");
	check(find("xd", "7777-8", &line) == -ENODEV && line == 15,
	      "a device giving -EXDEV: -ENODEV, not -EXDEV (another volume's line)");
	check(!find("gone", "eeee-5", &line) && line == 7,
	      "... unless another line of that name is the volume");
	check(!find("plain", "ffff-6", &line) && line == 8 &&
	      !e[7].link.value[0] && !khu_crypttab_links(&e[7]) && !e[7].flags,
	      "a line without link-volume-key= is found too: nothing to link");
	check(!find("opts", "aaaa-1", &line) && line == 10 &&
	      e[9].flags == KHU_CRYPTTAB_DISCARD && !e[9].link.value[0],
	      "a path, options and no link-volume-key=: found, its discard kept");
	check(find("opts", "bbbb-2", &line) == -EXDEV && line == 10,
	      "... and refused for another volume: its options not applied");
	check(!find("two", "1111-a", &line) && line == 11 &&
	      e[10].flags == KHU_CRYPTTAB_READONLY && !e[10].link.value[0],
	      "two lines of one name: the volume's own, without link-volume-key=, not the other's that has one");
	check(!find("two", "2222-b", &line) && line == 12 &&
	      khu_crypttab_links(&e[11]) && !e[11].flags,
	      "... and the other volume gets the other line");
	check(!find("sw", "9999-7", &line) && line == 9 && e[8].skip &&
	      !khu_crypttab_links(&e[8]),
	      "a line stash does not hand over (swap) is found, as in the initramfs copy: no key linked");
	check(!find("ks", "3333-c", &line) && line == 13 && e[12].skip &&
	      e[12].flags == KHU_CRYPTTAB_DISCARD && !khu_crypttab_links(&e[12]),
	      "keyscript=: found for its options (discard), no key linked");
	check(find("rel", "ffff-6", &line) == -ENOENT && !line &&
	      find("other", "ffff-6", &line) == -ENOENT,
	      "a line naming no volume (a relative source), no such name: -ENOENT");
}

/*
 * Two lines of one name and one volume: the first, as stash hands over
 * the first line of a name and systemd keeps the first of a name; a
 * later line's link-volume-key= is not taken for it.
 */
static void test_find_first(void)
{
	unsigned int line = 0;

	check(!parse("d UUID=3 none luks\n"
		     "d UUID=3 none luks,link-volume-key=@u::%logon:k:d\n") &&
	      n == 2 && !find("d", "3", &line) && line == 1 &&
	      !e[0].link.value[0],
	      "the same name and UUID twice: the first line, without link-volume-key=, wins");
	check(!parse("r /dev/sda2 none discard\n"
		     "r UUID=aaaa-1 none link-volume-key=@u::%logon:k:r\n") &&
	      n == 2 && !find("r", "aaaa-1", &line) && line == 1 &&
	      e[0].flags == KHU_CRYPTTAB_DISCARD,
	      "... also when the first names it by path");
}

/* The copy's lines, parsed, beside the full file's in e[]. */
static struct khu_crypttab_entry cut[KHU_CRYPTTAB_MAX];
static unsigned int ncut;

/* Where khu_crypttab_find puts volume @name, @uuid in @tab: ret, index. */
static int find_in(const struct khu_crypttab_entry *tab, unsigned int count,
		   const char *name, const char *uuid, int *idx)
{
	const struct khu_crypttab_entry *out = NULL;
	int ret = khu_crypttab_find(tab, count, name, uuid, fake_uuid, &out);

	*idx = out ? (int)(out - tab) : -1;
	return ret;
}

/* Does the copy's line @c give restore what the full line @f gives? */
static int same_line(const struct khu_crypttab_entry *f,
		     const struct khu_crypttab_entry *c)
{
	bool linked = khu_crypttab_links(f);

	return !strcmp(f->name, c->name) && f->unreadable == c->unreadable &&
	       (f->unreadable || !strcmp(f->source, c->source)) &&
	       f->flags == c->flags && linked == khu_crypttab_links(c) &&
	       (!linked || (f->link.ring == c->link.ring &&
			    !strcmp(f->link.ring_name, c->link.ring_name) &&
			    !strcmp(f->link.ref, c->link.ref) &&
			    !strcmp(f->link.value, c->link.value)));
}

/* Run the cut on the file at @path: its output into @out (@len bytes). */
/* The awk the cut runs under: each one found, in turn (test_cut). */
static const char *cut_awk = "awk";

static int run_cut_on(const char *path, char *out, size_t len)
{
	char cmd[PATH_MAX + 64];
	size_t got = 0;
	int ret = -1;
	FILE *f;

	/* As the hooks run it: bytes, whatever the locale. */
	snprintf(cmd, sizeof(cmd), "LC_ALL=C %s -f '%s' %s", cut_awk,
		 KHU_TEST_CUT_AWK, path);
	f = popen(cmd, "r");
	if (f) {
		got = fread(out, 1, len - 1, f);
		ret = pclose(f) ? -1 : 0;
	}
	out[got] = '\0';
	return ret;
}

/* Run the cut on @tab: its output into @out (@len bytes), or -1. */
static int run_cut(const char *tab, char *out, size_t len)
{
	char path[] = "/tmp/kh-cut-test.XXXXXX";
	int fd, ret = -1;

	out[0] = '\0';
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, tab, strlen(tab)) == (ssize_t)strlen(tab))
		ret = run_cut_on(path, out, len);
	close(fd);
	unlink(path);
	return ret;
}

/* Volume @uuid of line @i's name: the same answer from both files. */
static void same_find(unsigned int i, const char *uuid)
{
	char what[160];
	int fi, ci, fret = find_in(e, n, e[i].name, uuid, &fi);
	int cret = find_in(cut, ncut, e[i].name, uuid, &ci);

	snprintf(what, sizeof(what),
		 "%s (line %u), volume %s: the same answer (%d, %d), the same line (entry %d, %d)",
		 e[i].name, e[i].line, uuid, fret, cret, fi, ci);
	check(fret == cret && fi == ci, what);
}

/*
 * The initramfs hooks' cut (integration/crypttab-initramfs.awk, run by
 * awk as both hooks run it), read back by the parser as restore reads
 * the copy, against the full file: each line the same (flags, whether and
 * where it links), and each volume found at the same line.
 */
static void test_cut_with(void)
{
	static const char *const lines[] = {
		"# comment, discard\n",
		"root UUID=1 /etc/keys/root.key luks,discard,keyscript=x,link-volume-key=@u::%logon:k:r\n",
		"data /dev/sda2 - luks,no-read-workqueue,x-foo,read-only,no-write-workqueue\r\n",
		"plain /dev/sdc none luks,initramfs\n",
		"esc /dev/sdd none luks,link-volume-key=@u::%user:a\\,discard\n",
		"bad /dev/sde none discard,x\\n,link-volume-key=@u::%logon:k:bad\n",
		"bad2 UUID=b2 none link-volume-key=@u::%logon:k:b2,readonly\\q\n",
		"trail UUID=tr none readonly,discard\\\n",
		"word /dev/sdf none discard=1,discard\\,x,same-cpu-crypt\n",
		"cpus /dev/sdg none submit-from-crypt-cpus,readonly\n",
		"three /dev/sdh none\n",
		"two /dev/sdi\n",
		"d UUID=3 none luks\n",
		"d UUID=3 none discard\n",
		"lnk UUID=l1 /etc/keys/lnk.key luks,link-volume-key=@u::%logon:k:l1,discard\n",
		"again UUID=l2 none link-volume-key=%:r::%logon:k:l1\n",
		"ks UUID=ks none luks,keyscript=/bin/ks-prog,discard,link-volume-key=@u::%logon:k:ks\n",
		"na UUID=na none noauto,same-cpu-crypt,link-volume-key=@u::%logon:k:na\n",
		"sw UUID=sw /dev/urandom swap,discard,link-volume-key=@u::%logon:k:sw\n",
		"kd UUID=kd /dev/disk/by-id/usb-key readonly,link-volume-key=@u::%logon:k:kd\n",
		"kp UUID=kp /key:UUID=1 discard,link-volume-key=@u::%logon:k:kp\n",
		"hd UUID=hd none header=/h,keyfile-size=8,discard\n",
		"at @s::x UUID=at\n",
		"gone /dev/gone none discard,link-volume-key=@u::%logon:k:gone\n",
		"rel sda9 none discard\n",
		"bad/name UUID=bn none discard\n",
		"one\n",
		"  \r  cr UUID=cr none discard\n",
		"\rcr2 UUID=c2\r none discard\n",
		"ws\tUUID=ws \t none\t discard,link-volume-key=@u::%logon:k:ws junk\n",
	};
	char tab[8192], out[8192], what[160];
	size_t off = 0, i;
	int fi, ci;

	if (access(KHU_TEST_CUT_AWK, R_OK)) {
		check(0, "the cut, " KHU_TEST_CUT_AWK ", is there");
		return;
	}
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		off += snprintf(tab + off, sizeof(tab) - off, "%s", lines[i]);
	/* A key file of 600 bytes: a field too long, no volume named. */
	off += snprintf(tab + off, sizeof(tab) - off, "long UUID=lg /");
	memset(tab + off, 'k', 600);
	off += 600;
	snprintf(tab + off, sizeof(tab) - off, " discard\n");
	check(!run_cut(tab, out, sizeof(out)), "awk -f crypttab-initramfs.awk ran");
	check(!strstr(out, "keys/") && !strstr(out, "ks-prog") && !strstr(out, "luks") &&
	      !strstr(out, "x-foo") && !strstr(out, "keyscript") &&
	      !strstr(out, "swap") && !strstr(out, "urandom") &&
	      !strstr(out, "usb-key") && !strstr(out, "header") &&
	      !strstr(out, "kkkk") && !strstr(out, "comment"),
	      "the copy: no key file, no other option, no comment");
	check(!strncmp(out, "root UUID=1 none discard\n"
			    "data /dev/sda2 none no-read-workqueue,read-only,no-write-workqueue\n"
			    "plain /dev/sdc none\n"
			    "esc /dev/sdd none link-volume-key=@u::%user:a\\,discard\n",
		       strlen("root UUID=1 none discard\n"
			      "data /dev/sda2 none no-read-workqueue,read-only,no-write-workqueue\n"
			      "plain /dev/sdc none\n"
			      "esc /dev/sdd none link-volume-key=@u::%user:a\\,discard\n")),
	      "the copy: name source none, then the activation options and link-volume-key=, in order");
	check(!parse(tab) && !khu_crypttab_parse(out, cut, KHU_CRYPTTAB_MAX, &ncut) &&
	      n == ncut && n == sizeof(lines) / sizeof(lines[0]),
	      "the copy: one line for each line of the full file");
	for (i = 0; i < n && i < ncut; i++) {
		snprintf(what, sizeof(what),
			 "%s (line %u): the copy's line as the full one", e[i].name,
			 e[i].line);
		check(same_line(&e[i], &cut[i]), what);
	}
	for (i = 0; i < n; i++) {
		char uuid[KH_UUID_LEN] = "none";

		if (e[i].uuid)
			snprintf(uuid, sizeof(uuid), "%s", e[i].uuid);
		else
			fake_uuid(e[i].device, uuid, sizeof(uuid));
		same_find(i, uuid);
		same_find(i, "0000-other");
	}
	/* The cases the copy once got wrong, said outright. */
	check(!find_in(cut, ncut, "root", "1", &ci) && ci == 0 &&
	      cut[0].flags == KHU_CRYPTTAB_DISCARD && !khu_crypttab_links(&cut[0]) &&
	      !find_in(e, n, "root", "1", &fi) && fi == 0,
	      "keyscript=: found in both, discard applied, no key linked");
	check(e[4].flags == KHU_CRYPTTAB_DISCARD && cut[4].flags == KHU_CRYPTTAB_DISCARD &&
	      !khu_crypttab_links(&e[4]) && !cut[4].link.value[0],
	      "an escape systemd refuses: flags kept, link-volume-key= left out");
	check(!find_in(cut, ncut, "d", "3", &ci) && ci == 11 && !cut[11].flags,
	      "one volume's line without options hides a later one with discard, as in the full file");
	check(links(13, KEY_SPEC_USER_KEYRING, "", "%logon:k:l1") &&
	      khu_crypttab_links(&cut[13]) && !khu_crypttab_links(&e[14]) &&
	      !khu_crypttab_links(&cut[14]),
	      "a key named twice: the first line keeps it, in both");
}

/*
 * The hooks run whatever awk the system has: Debian's default is mawk,
 * gawk where it is installed, busybox's in a minimal system. Each one
 * here cuts the same file; mawk, Debian's own, must be there.
 */
static void test_cut(void)
{
	static const char *const awks[] = { "mawk", "gawk", "busybox awk" };
	char cmd[64];
	size_t i;

	for (i = 0; i < sizeof(awks) / sizeof(awks[0]); i++) {
		snprintf(cmd, sizeof(cmd), "command -v %.*s >/dev/null",
			 (int)strcspn(awks[i], " "), awks[i]);
		if (system(cmd)) {
			check(i != 0, "mawk, Debian's awk, is installed");
			if (i)
				printf("# skip: the cut under %s: not installed\n",
				       awks[i]);
			continue;
		}
		printf("# the cut under %s\n", awks[i]);
		cut_awk = awks[i];
		test_cut_with();
	}
}

int main(void)
{
	test_debian_installer();
	test_forms();
	test_refused();
	test_options_exact();
	test_flags();
	test_flag_names();
	test_limits();
	test_link();
	test_link_refused();
	test_escapes();
	test_same_key();
	test_find();
	test_find_first();
	test_cut();
	return khu_tap_done();
}
