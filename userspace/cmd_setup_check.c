// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover setup --check: has the reservation taken effect, and what
 * will `keyhandover reboot` do for each crypttab line. As text, one line
 * each, or with --json as one object (docs/json.md): both are made by the
 * same calls, so that they never tell two stories.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmdline.h"
#include "crypttab.h"
#include "handover.h"
#include "json.h"
#include "kexec.h"
#include "keyring.h"
#include "keysource.h"
#include "setup.h"
#include "textfile.h"
#include "tool.h"
#include "trust.h"

/* Where the lines go: stdout as text, or the --json document. */
struct khu_check_out {
	struct khu_json *j;		/* NULL: text */
	unsigned int bad;		/* required checks not passed */
};

/* What to do about a reservation not in effect on this boot. */
#define KHU_CHECK_FIX_BOOT \
	"keyhandover setup writes the GRUB drop-in; then one normal reboot"

/*
 * One check (check.c). Text: its line, "ok:", "missing:" or "note:",
 * with what to do next; a check not known (ok < 0) is no line unless
 * @say_unknown (the memmap checks: the error said why). --json: an
 * object of "checks".
 */
static void khu_check_emit(struct khu_check_out *out,
			   const struct khu_check *c, bool say_unknown)
{
	char line[sizeof(c->detail) + sizeof(c->fix) + 32];

	if (c->required && c->ok != 1)
		out->bad++;
	if (out->j) {
		khu_check_json(out->j, c);
	} else if (c->ok >= 0 || say_unknown) {
		khu_check_text(c, line, sizeof(line));
		puts(line);
	}
}

/* A check of the reservation: @what found or not, @fix when not. */
static void khu_check_item(struct khu_check_out *out, const char *name,
			   int ok, bool required, const char *what,
			   const char *fix)
{
	struct khu_check c = { .name = name, .ok = ok, .required = required };

	khu_check_detail(&c, "%s", what);
	if (fix)
		khu_check_fix(&c, "%s", fix);
	khu_check_emit(out, &c, false);
}

/* "07000000-07000fff : Reserved" (or claimed by the module) in iomem. */
static bool khu_check_iomem_reserved(uint64_t size, uint64_t addr)
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

/* The backend of the loaded module, or 0: not loaded, or no answer. */
static uint32_t khu_check_backend(void)
{
	struct kh_status st;
	uint32_t backend = 0;
	int fd;

	fd = khu_handover_open();
	if (fd >= 0 && !khu_handover_status(fd, &st))
		backend = st.backend;
	khu_handover_close(fd);
	return backend;
}

/* The region @dropin names, into @region; "" when it names none. */
static void khu_check_dropin_region(const char *dropin, char *region,
				    size_t len)
{
	uint64_t size, addr;
	char *text = NULL;

	region[0] = '\0';
	if (!khu_text_read(dropin, 1 << 16, &text) &&
	    !khu_setup_dropin_region(text, &size, &addr))
		khu_setup_region_str(region, len, size, addr);
	free(text);
}

/*
 * The region to check: the loaded module's region= is the truth, else
 * the drop-in's. Where it came from, or NULL: none is known.
 */
static const char *khu_check_region(const char *dropin, char *region,
				    size_t len)
{
	if (!khu_load_region(region, len))
		return "module";
	khu_check_dropin_region(dropin, region, len);
	return region[0] ? "dropin" : NULL;
}

/*
 * Will the next cold boot reserve it too? The drop-in is what puts it on
 * GRUB's command line. A note, never a failure: the words may be in
 * /etc/default/grub by hand, or in another boot loader's entries.
 */
static void khu_check_dropin(struct khu_check_out *out, const char *dropin,
			     const char *region)
{
	char have[128], what[KHU_BOOT_STR + 256];

	khu_check_dropin_region(dropin, have, sizeof(have));
	if (!strcmp(have, region))
		snprintf(what, sizeof(what),
			 "the GRUB drop-in %s reserves it at every boot", dropin);
	else if (have[0])
		snprintf(what, sizeof(what),
			 "the GRUB drop-in %s reserves %s, not %s", dropin,
			 have, region);
	else
		snprintf(what, sizeof(what),
			 "no GRUB drop-in %s names it: a cold boot reserves it only if the boot loader's command line has memmap= some other way",
			 dropin);
	khu_check_item(out, "grub_dropin", !strcmp(have, region), false, what,
		       "keyhandover setup (then one normal reboot)");
}

/*
 * Was this kernel booted with memmap= and keyhandover.region= of @region?
 * Each 1 or 0; both left -1 when the command line cannot be read.
 */
static void khu_check_cmdline(const char *region, int *memmap, int *param)
{
	char word[160], *cmdline = NULL;
	int ret = khu_kexec_read_cmdline(&cmdline);

	if (ret) {
		khu_err("cannot read /proc/cmdline: %s", strerror(-ret));
		return;
	}
	snprintf(word, sizeof(word), "memmap=%s", region);
	*memmap = khu_cmdline_has_word(cmdline, word);
	snprintf(word, sizeof(word), "keyhandover.region=%s", region);
	*param = khu_cmdline_has_word(cmdline, word);
	free(cmdline);
}

/*
 * What puts the region in effect: the drop-in and one reboot, or, when
 * the drop-in names it already, the reboot alone.
 */
static const char *khu_check_fix_boot(const char *dropin, const char *region)
{
	char have[128];

	khu_check_dropin_region(dropin, have, sizeof(have));
	if (region[0] && !strcmp(have, region))
		return "reboot once, normally: the GRUB drop-in puts it on the command line";
	return KHU_CHECK_FIX_BOOT;
}

/*
 * The memmap= backend's checks of this boot (@region: "" when none is
 * known, and every check is then unknown): the command line the kernel
 * was booted with, /proc/iomem, the module.
 */
static void khu_check_memmap(struct khu_check_out *out, const char *dropin,
			     const char *region)
{
	int memmap = -1, param = -1, reserved = -1, held = -1;
	const char *boot = khu_check_fix_boot(dropin, region);
	uint64_t size, addr;

	if (region[0]) {
		khu_check_cmdline(region, &memmap, &param);
		reserved = !khu_setup_region_parse(region, &size, &addr) &&
			   khu_check_iomem_reserved(size, addr);
		held = !access(KH_DEVICE_PATH, F_OK);
	}
	khu_check_item(out, "cmdline_memmap", memmap, true,
		       "this kernel was booted with memmap= of the region",
		       boot);
	khu_check_item(out, "cmdline_region", param, true,
		       "keyhandover.region= on the command line (modprobe passes it to the module)",
		       boot);
	khu_check_item(out, "iomem_reserved", reserved, true,
		       "the region is reserved in /proc/iomem", boot);
	/* modprobe finds region= only on a kernel booted with it. */
	khu_check_item(out, "module_holds_region", held, true,
		       "the module holds it (" KH_DEVICE_PATH ")",
		       param == 1 ? "modprobe keyhandover" :
		       "modprobe keyhandover, on a kernel booted with keyhandover.region= (after that reboot)");
	if (region[0])
		khu_check_dropin(out, dropin, region);
}

/*
 * Has the reservation taken effect? With Kexec HandOver none is needed.
 * --json: "backend", "region", "region_source" and "checks", left open.
 */
static void khu_check_reservation(struct khu_check_out *out,
				  const char *dropin)
{
	uint32_t backend = khu_check_backend();
	const char *source = NULL;
	char region[128] = "";

	if (backend != KH_BACKEND_KHO)
		source = khu_check_region(dropin, region, sizeof(region));
	if (backend != KH_BACKEND_KHO && !source) {
		khu_err("no region to check: the module is not loaded and %s does not exist (run keyhandover setup)",
			dropin);
		region[0] = '\0';
	}
	if (out->j) {
		khu_json_string(out->j, "backend",
				backend ? khu_backend_id(backend) : NULL);
		khu_json_string(out->j, "region", source ? region : NULL);
		khu_json_string(out->j, "region_source", source);
		khu_json_begin_array(out->j, "checks");
	}
	if (backend == KH_BACKEND_KHO)
		khu_check_item(out, "kexec_handover", 1, true,
			       "the module uses Kexec HandOver: no reservation needed",
			       NULL);
	else
		khu_check_memmap(out, dropin, region);
	if (!out->j && source)
		printf("region: %s\n", region);
}

/*
 * Will this kernel load the module at all: Secure Boot, lockdown, the
 * module's signature and its signer (trust.c). This system's, whatever
 * --root says: the kernel that runs is the one that loads the module.
 */
static void khu_check_trust(struct khu_check_out *out)
{
	static const struct khu_trust_paths paths = {
		.sys = "/sys", .proc = "/proc", .mok_cert = KHU_TRUST_MOK_CERT,
	};
	struct khu_check c[KHU_TRUST_CHECKS];
	struct khu_trust t;
	unsigned int i;

	khu_trust_read_platform(&paths, &t);
	khu_trust_read_module(&paths, &t);
	khu_trust_judge(&t, c);
	for (i = 0; i < KHU_TRUST_CHECKS; i++)
		khu_check_emit(out, &c[i], true);
}

/* What keysource.c needs to know of crypttab line @e, looked up now. */
static void khu_check_fact(const struct khu_crypttab_entry *e,
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

/* A line on a crypttab entry: "ok:" or "note:" text, or a --json note. */
static void __attribute__((format(printf, 3, 4)))
khu_check_note(struct khu_check_out *out, bool ok, const char *fmt, ...)
{
	char *line;
	va_list ap;

	va_start(ap, fmt);
	if (!out->j) {
		printf("%s: ", ok ? "ok" : "note");
		vprintf(fmt, ap);
		putchar('\n');
	} else {
		int n = vasprintf(&line, fmt, ap);

		khu_json_string(out->j, NULL, n < 0 ? "(out of memory)" : line);
		if (n >= 0)
			free(line);
	}
	va_end(ap);
}

/* Where reboot takes the key of a line handed over: docs/json.md. */
static const char *khu_check_key_source(const struct khu_ks_volume *f,
					const struct khu_ks_choice *c)
{
	if (c->mode == KHU_KS_KEYRING)
		return "keyring";
	return f->key_file ? "key_file" : "passphrase";
}

/*
 * --json: a crypttab line's object in "volumes", left open for its
 * notes; @why: why it is not handed over (@f and @c NULL), or NULL (@f,
 * @c: how it is). Text has no frame around a line's notes.
 */
static void khu_check_vol_begin(struct khu_check_out *out,
				const struct khu_crypttab_entry *e,
				const char *why, const struct khu_ks_volume *f,
				const struct khu_ks_choice *c)
{
	const char *from = f && c ? khu_check_key_source(f, c) : NULL;
	struct khu_json *j = out->j;

	if (!j)
		return;
	khu_json_begin_object(j, NULL);
	khu_json_uint(j, "line", e->line);
	khu_json_string(j, "name", e->name[0] ? e->name : NULL);
	khu_json_string(j, "source", e->source[0] ? e->source : NULL);
	khu_json_bool(j, "handed_over", !why);
	khu_json_string(j, "reason", why);
	khu_json_string(j, "key_source", from);
	khu_json_tristate(j, "asks_passphrase",
			  from ? strcmp(from, "passphrase") == 0 : -1);
	khu_json_string(j, "key_file", e->key_file[0] ? e->key_file : NULL);
	khu_json_string(j, "link_volume_key",
			e->link.value[0] ? e->link.value : NULL);
	khu_json_begin_array(j, "notes");
}

static void khu_check_vol_end(struct khu_check_out *out)
{
	if (!out->j)
		return;
	khu_json_end_array(out->j);
	khu_json_end_object(out->j);
}

/* A line stash will not hand over, and why. */
static void khu_check_skipped(struct khu_check_out *out,
			      const struct khu_crypttab_entry *e,
			      const char *why)
{
	khu_check_vol_begin(out, e, why, NULL, NULL);
	khu_check_note(out, false, "%s: not handed over: %s",
		       e->name[0] ? e->name : "?", why);
	khu_check_vol_end(out);
}

/*
 * What `keyhandover reboot` will do for crypttab line @e, in the mode @c
 * chosen for all of them (@cause: the line that chose it).
 */
static void khu_check_line(struct khu_check_out *out, const char *path,
			   const struct khu_crypttab_entry *e,
			   const struct khu_ks_volume *f, bool sealed,
			   const struct khu_ks_choice *c,
			   const struct khu_crypttab_entry *cause)
{
	const char *name = e->name, *value = e->link.value;
	const char *next = f->key_file ? "reads its key file" : "asks once";
	const char *every = f->key_file ? "reads its key file" :
					  "asks for its passphrase";

	khu_check_vol_begin(out, e, NULL, f, c);
	switch (khu_keysource_why(f, sealed)) {
	case KHU_KS_IN_KEYRING:
		if (c->mode == KHU_KS_KEYRING)
			khu_check_note(out, true, "%s: key in the keyring (link-volume-key=%s): reboot needs no passphrase",
				       name, value);
		else
			khu_check_note(out, false, "%s: key in the keyring (link-volume-key=%s), but reboot %s: %s's is not, and one stash takes every key one way",
				       name, value, every, cause->name);
		break;
	case KHU_KS_MISSING:
		khu_check_note(out, false, "%s: link-volume-key= set but the key is not in the keyring now (this boot's unlock did not link it: Debian's cryptroot ignores the option, systemd < 256 too): the next reboot %s, then restore links it",
			       name, next);
		break;
	case KHU_KS_SEALED:
		khu_check_note(out, false, "%s: key in the keyring, but under lockdown=confidentiality the module takes no logon key: every reboot %s",
			       name, every);
		break;
	case KHU_KS_REFUSED:	/* an arm's answer: not known here */
		break;
	case KHU_KS_NOT_NAMED:
		if (e->link.unusable)
			khu_check_note(out, false, "%s: %s: not used, every reboot %s",
				       name, e->link.unusable, every);
		else if (f->key_file)
			khu_check_note(out, true, "%s: key file %s: reboot needs no passphrase",
				       name, e->key_file);
		else
			khu_check_note(out, false, "%s: no link-volume-key= in %s: every reboot asks for its passphrase (add link-volume-key=@u::%%logon:keyhandover:%s: keyhandover restore links the key after each kexec, on Debian 12 too)",
				       name, path, name);
		break;
	}
	if (f->named && e->link.type == KH_KEY_USER)
		khu_check_note(out, false, "%s: link-volume-key=%s names a user key, which every root process reaching its keyring can read: prefer %%logon:",
			       name, value);
	khu_check_vol_end(out);
}

/* The lines of @path (under setup's root) into a new table, or -errno. */
static int khu_check_read_crypttab(const char *path,
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

/* --json: "crypttab", which was read, and "volumes", left open. */
static void khu_check_crypttab_begin(struct khu_check_out *out,
				     const char *path, int err)
{
	struct khu_json *j = out->j;

	if (!j) {
		if (err)
			printf("note: %s: %s: keyhandover reboot needs DEVICEs\n",
			       path, strerror(-err));
		return;
	}
	khu_json_begin_object(j, "crypttab");
	khu_json_string(j, "path", path);
	khu_json_string(j, "error", err ? strerror(-err) : NULL);
	khu_json_end_object(j);
	khu_json_begin_array(j, "volumes");
}

/*
 * setup --check on crypttab, one line per entry in its order: whether
 * reboot will need its passphrase, and what would spare it. Notes, never
 * failures.
 */
static void khu_check_crypttab(struct khu_check_out *out, const char *root)
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
	ret = khu_check_read_crypttab(path, &tab, &count);
	khu_check_crypttab_begin(out, path, ret);
	for (i = 0; !ret && i < count && n < KH_MAX_ENTRIES; i++) {
		if (tab[i].skip)
			continue;
		khu_check_fact(&tab[i], &f[n]);
		logon |= f[n].logon;
		ok[n++] = &tab[i];
	}
	/* lockdown=confidentiality matters to logon keys only: look then. */
	sealed = logon && khu_keyring_sealed(KHU_LOCKDOWN_PATH) > 0;
	khu_keysource_choose(f, n, sealed, KHU_KS_ASK, &c);
	for (i = 0, n = 0; !ret && i < count; i++) {
		if (tab[i].skip)
			khu_check_skipped(out, &tab[i], tab[i].skip);
		else if (n < KH_MAX_ENTRIES && ok[n] == &tab[i])
			khu_check_line(out, path, &tab[i], &f[n++], sealed, &c,
				       ok[c.cause]);
		else
			khu_check_skipped(out, &tab[i], "more than 16 volumes");
	}
	if (out->j)
		khu_json_end_array(out->j);
	free(tab);
}

/* --json, when not even --root could be looked at: every field unknown. */
static void khu_check_json_none(struct khu_json *j)
{
	khu_json_null(j, "backend");
	khu_json_null(j, "region");
	khu_json_null(j, "region_source");
	khu_json_begin_array(j, "checks");
	khu_json_end_array(j);
	khu_json_null(j, "crypttab");
	khu_json_begin_array(j, "volumes");
	khu_json_end_array(j);
}

/*
 * setup --check, under @root ("" for /) for the drop-in and crypttab;
 * this boot's command line, /proc/iomem, module, Secure Boot and
 * lockdown are the running system's. Exit 0 only when every required check passed.
 */
int khu_setup_check_main(const struct khu_opts *o, const char *root)
{
	struct khu_check_out out = { NULL, 0 };
	char dropin[KHU_BOOT_STR];
	struct khu_json j;
	int ret;

	if (o->json) {
		out.j = &j;
		khu_report_json_begin(&j, "setup --check");
		khu_json_string(&j, "root", *root ? root : "/");
	}
	ret = khu_setup_dropin_path(root, dropin, sizeof(dropin));
	if (!ret) {
		khu_check_reservation(&out, dropin);
		khu_check_trust(&out);
		if (o->json)
			khu_json_end_array(&j);
		khu_check_crypttab(&out, root);
	} else if (o->json) {
		khu_check_json_none(&j);
	}
	ret = (ret || out.bad) ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
	if (o->json)
		return khu_report_json_end(&j, ret);
	return ret;
}
