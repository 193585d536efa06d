// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover setup: reserve the region at boot through a GRUB drop-in;
 * setup --check.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "crypttab.h"
#include "handover.h"
#include "kexec.h"
#include "keyring.h"
#include "keysource.h"
#include "run.h"
#include "setup.h"
#include "textfile.h"
#include "tool.h"

/* The region: kept from an existing drop-in, else picked from the map. */
static int khu_setup_choose(const char *dropin, uint64_t *size, uint64_t *addr,
			    char **old)
{
	struct khu_fwmap_range r[256];
	unsigned int n;
	int ret;

	*old = NULL;
	ret = khu_text_read(dropin, 1 << 16, old);
	if (ret && ret != -ENOENT) {
		khu_err("cannot read %s: %s", dropin, strerror(-ret));
		return ret;
	}
	if (!ret && !khu_setup_dropin_region(*old, size, addr))
		return 0;
	*size = KHU_SETUP_SIZE;
	ret = khu_setup_read_fwmap(KHU_SETUP_FWMAP, r, 256, &n);
	if (ret) {
		khu_err("cannot read the firmware memory map (%s): %s",
			KHU_SETUP_FWMAP, strerror(-ret));
		return ret;
	}
	ret = khu_setup_pick(r, n, *size, addr);
	if (ret)
		khu_err("no page of RAM to reserve in the firmware memory map");
	return ret;
}

/* Written whole or not at all: update-grub sources whatever is there. */
static int khu_setup_write(const char *path, const char *text)
{
	char dir[KHU_BOOT_STR], tmp[KHU_BOOT_STR + 8];
	FILE *f;
	int ret = 0;

	char *p;

	/* grub.d (and, under a bare --root, its parents) may not exist yet. */
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	for (p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!p)
			break;
		*p = '/';
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF || fflush(f) == EOF || fsync(fileno(f)) < 0)
		ret = errno ? -errno : -EIO;
	if (fclose(f) == EOF && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int khu_setup_update_grub(void)
{
	/*
	 * grub-mkconfig translates menu titles by the locale, and a
	 * GRUB_DEFAULT or saved_entry may name an entry by its title: keep
	 * the caller's locale (names only, never a path), so that the titles
	 * stay what the system's own update-grub runs write.
	 */
	static const char *const locale[] = {
		"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", NULL,
	};
	char *argv[] = { "update-grub", NULL };
	int status, ret;

	ret = khu_run("update-grub", argv, locale, &status);
	if (ret == -EIO)
		khu_err("update-grub failed");
	else if (ret == -ENOENT)
		khu_err("update-grub not found in /usr/sbin, /usr/bin, /sbin or /bin: run grub-mkconfig -o /boot/grub/grub.cfg");
	else if (ret)
		khu_err("cannot run update-grub: %s", strerror(-ret));
	return ret;
}

static void khu_setup_next_steps(const char *region)
{
	printf("region: %s\n"
	       "next: reboot once, normally (the passphrase is asked as usual), so that the kernel reserves the region;\n"
	       "      then 'keyhandover setup --check' says whether it took effect, and 'keyhandover reboot' does the rest\n",
	       region);
}

/* One line of setup --check; the count of failures goes up on "no". */
static void khu_setup_report(bool ok, const char *what, unsigned int *bad)
{
	printf("%s: %s\n", ok ? "ok" : "missing", what);
	*bad += !ok;
}

/* "07000000-07000fff : Reserved" (or claimed by the module) in iomem. */
static bool khu_setup_iomem_reserved(uint64_t size, uint64_t addr)
{
	char line[256], want[64];
	bool found = false;
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%08" PRIx64 "-%08" PRIx64 " : ", addr,
		 addr + size - 1);
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " ");

		found = !strncmp(p, want, strlen(want)) &&
			(strstr(p, "Reserved") || strstr(p, "keyhandover"));
	}
	fclose(f);
	return found;
}

/* What keysource.c needs to know of crypttab line @e, looked up now. */
static void khu_setup_fact(const struct khu_crypttab_entry *e,
			   struct khu_ks_volume *f)
{
	const struct khu_crypttab_link *l = &e->link;
	int32_t id;

	f->named = khu_crypttab_links(e);
	f->logon = f->named && l->type == KH_KEY_LOGON;
	/* Looked for as stash will, and let go at once. */
	f->present = f->named &&
		     khu_keyring_take(l->ring, l->ring_name, l->type,
				      l->description, 0, &id) > 0;
	if (f->present)
		khu_keyring_drop(id);
	f->key_file = e->key_file[0] != '\0';
}

/*
 * One line: what `keyhandover reboot` will do for crypttab line @e, in
 * the mode @c chosen for all of them (@cause: the line that chose it).
 */
static void khu_setup_check_line(const char *path,
				 const struct khu_crypttab_entry *e,
				 const struct khu_ks_volume *f, bool sealed,
				 const struct khu_ks_choice *c,
				 const struct khu_crypttab_entry *cause)
{
	const char *name = e->name, *value = e->link.value;
	const char *next = f->key_file ? "reads its key file" : "asks once";
	const char *every = f->key_file ? "reads its key file" :
					  "asks for its passphrase";

	switch (khu_keysource_why(f, sealed)) {
	case KHU_KS_IN_KEYRING:
		if (c->mode == KHU_KS_KEYRING)
			printf("ok: %s: key in the keyring (link-volume-key=%s): reboot needs no passphrase\n",
			       name, value);
		else
			printf("note: %s: key in the keyring (link-volume-key=%s), but reboot %s: %s's is not, and one stash takes every key one way\n",
			       name, value, every, cause->name);
		break;
	case KHU_KS_MISSING:
		printf("note: %s: link-volume-key= set but the key is not in the keyring now (this boot's unlock did not link it: Debian's cryptroot ignores the option, systemd < 256 too): the next reboot %s, then restore links it\n",
		       name, next);
		break;
	case KHU_KS_SEALED:
		printf("note: %s: key in the keyring, but under lockdown=confidentiality the module takes no logon key: every reboot %s\n",
		       name, every);
		break;
	case KHU_KS_REFUSED:	/* an arm's answer: not known here */
		break;
	case KHU_KS_NOT_NAMED:
		if (e->link.unusable)
			printf("note: %s: %s: not used, every reboot %s\n",
			       name, e->link.unusable, every);
		else if (f->key_file)
			printf("ok: %s: key file %s: reboot needs no passphrase\n",
			       name, e->key_file);
		else
			printf("note: %s: no link-volume-key= in %s: every reboot asks for its passphrase (add link-volume-key=@u::%%logon:keyhandover:%s: keyhandover restore links the key after each kexec, on Debian 12 too)\n",
			       name, path, name);
		break;
	}
	if (f->named && e->link.type == KH_KEY_USER)
		printf("note: %s: link-volume-key=%s names a user key, which every root process reaching its keyring can read: prefer %%logon:\n",
		       name, value);
}

/* The lines of @path (under setup's root) into a new table, or -errno. */
static int khu_setup_read_crypttab(const char *path,
				   struct khu_crypttab_entry **tab,
				   unsigned int *count)
{
	char *text = NULL;
	int ret;

	ret = khu_text_read(path, 1 << 20, &text);
	if (ret)
		return ret;
	*tab = calloc(KHU_CRYPTTAB_MAX, sizeof(**tab));
	ret = *tab ? khu_crypttab_parse(text, *tab, KHU_CRYPTTAB_MAX, count) :
		     -ENOMEM;
	free(text);
	return ret;
}

/*
 * setup --check on crypttab, one line per entry in its order: whether
 * reboot will need its passphrase, and what would spare it. Notes, never
 * failures.
 */
static void khu_setup_check_crypttab(const char *root)
{
	const struct khu_crypttab_entry *ok[KH_MAX_ENTRIES] = { NULL };
	struct khu_ks_volume f[KH_MAX_ENTRIES] = { { 0 } };
	struct khu_crypttab_entry *tab = NULL;
	unsigned int i, count = 0, n = 0;
	char path[KHU_BOOT_STR];
	bool logon = false, sealed;
	struct khu_ks_choice c;
	int ret;

	snprintf(path, sizeof(path), "%s%s", root, KHU_CRYPTTAB_PATH);
	ret = khu_setup_read_crypttab(path, &tab, &count);
	if (ret)
		printf("note: %s: %s: keyhandover reboot needs DEVICEs\n", path,
		       strerror(-ret));
	for (i = 0; !ret && i < count && n < KH_MAX_ENTRIES; i++) {
		if (tab[i].skip)
			continue;
		khu_setup_fact(&tab[i], &f[n]);
		logon |= f[n].logon;
		ok[n++] = &tab[i];
	}
	/* lockdown=confidentiality matters to logon keys only: look then. */
	sealed = logon && khu_keyring_sealed(KHU_LOCKDOWN_PATH) > 0;
	khu_keysource_choose(f, n, sealed, KHU_KS_ASK, &c);
	for (i = 0, n = 0; !ret && i < count; i++) {
		if (tab[i].skip)
			printf("note: %s: not handed over: %s\n",
			       tab[i].name[0] ? tab[i].name : "?", tab[i].skip);
		else if (n < KH_MAX_ENTRIES && ok[n] == &tab[i])
			khu_setup_check_line(path, &tab[i], &f[n++], sealed, &c,
					     ok[c.cause]);
		else
			printf("note: %s: not handed over: more than %d volumes\n",
			       tab[i].name, KH_MAX_ENTRIES);
	}
	free(tab);
}

static int khu_setup_check(const char *dropin)
{
	char region[128], word[160], *cmdline = NULL, *old = NULL;
	uint64_t size = 0, addr = 0;
	unsigned int bad = 0;
	struct kh_status st;
	int fd;

	fd = khu_handover_open();
	if (fd >= 0 && !khu_handover_status(fd, &st) &&
	    st.backend == KH_BACKEND_KHO) {
		khu_handover_close(fd);
		puts("ok: the module uses Kexec HandOver: no reservation needed");
		return KHU_EXIT_OK;
	}
	khu_handover_close(fd);
	if (!khu_load_region(region, sizeof(region))) {
		/* The module's own region= is the truth once it is loaded. */
	} else if (!khu_text_read(dropin, 1 << 16, &old) &&
		   !khu_setup_dropin_region(old, &size, &addr)) {
		khu_setup_region_str(region, sizeof(region), size, addr);
	} else {
		free(old);
		khu_err("no region to check: the module is not loaded and %s does not exist (run keyhandover setup)",
			dropin);
		return KHU_EXIT_FAILURE;
	}
	free(old);
	if (khu_kexec_read_cmdline(&cmdline))
		return KHU_EXIT_FAILURE;
	snprintf(word, sizeof(word), "memmap=%s", region);
	khu_setup_report(khu_cmdline_has_word(cmdline, word),
			 "this kernel was booted with memmap= of the region", &bad);
	snprintf(word, sizeof(word), "keyhandover.region=%s", region);
	khu_setup_report(khu_cmdline_has_word(cmdline, word),
			 "keyhandover.region= on the command line (modprobe passes it to the module)",
			 &bad);
	free(cmdline);
	khu_setup_report(!khu_setup_region_parse(region, &size, &addr) &&
			 khu_setup_iomem_reserved(size, addr),
			 "the region is reserved in /proc/iomem", &bad);
	khu_setup_report(!access(KH_DEVICE_PATH, F_OK),
			 "the module holds it (" KH_DEVICE_PATH ")", &bad);
	printf("region: %s\n", region);
	return bad ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
}

int khu_cmd_setup(const struct khu_opts *o)
{
	const char *root = o->root && strcmp(o->root, "/") ? o->root : "";
	char path[KHU_BOOT_STR], text[1024], region[128], *old = NULL;
	uint64_t size, addr;
	int ret;

	if (snprintf(path, sizeof(path), "%s%s", root, KHU_SETUP_DROPIN) >=
	    (int)sizeof(path)) {
		khu_err("--root is too long");
		return KHU_EXIT_FAILURE;
	}
	/* A mounted system: its root must be there (a typo must not be). */
	if (*root && access(root, F_OK) < 0) {
		khu_err("--root %s: %s", root, strerror(errno));
		return KHU_EXIT_FAILURE;
	}
	if (o->check) {
		ret = khu_setup_check(path);
		khu_setup_check_crypttab(root);
		return ret;
	}
	ret = khu_setup_choose(path, &size, &addr, &old);
	if (ret) {
		free(old);
		return KHU_EXIT_FAILURE;
	}
	khu_setup_dropin(text, sizeof(text), size, addr);
	khu_setup_region_str(region, sizeof(region), size, addr);
	if (old && !strcmp(old, text)) {
		printf("already set up: %s reserves %s; nothing changed\n", path,
		       region);
	} else if (o->dry_run) {
		printf("would write %s:\n%s", path, text);
		if (!*root)
			puts("would run: update-grub");
		puts("dry run: nothing changed");
	} else {
		ret = khu_setup_write(path, text);
		if (ret)
			khu_err("cannot write %s: %s", path, strerror(-ret));
		else
			printf("wrote %s\n", path);
		if (!ret && !*root)
			ret = khu_setup_update_grub();
		else if (!ret)
			printf("not running update-grub for --root: run it in that system\n");
	}
	free(old);
	if (ret)
		return KHU_EXIT_FAILURE;
	khu_setup_next_steps(region);
	return KHU_EXIT_OK;
}
