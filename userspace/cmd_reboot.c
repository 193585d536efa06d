// SPDX-License-Identifier: GPL-2.0
/* keyhandover reboot: stash, load, and kexec into the loaded kernel. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/syscall.h>

#include "json.h"
#include "keysource.h"
#include "luks.h"
#include "run.h"
#include "tool.h"

/*
 * `keyhandover reboot` only makes sense once setup has taken effect: the
 * module loaded (which on the memmap= backend means this kernel reserved
 * the region).
 */
static int khu_reboot_precheck(struct kh_status *st)
{
	int ret = khu_device_status(st);

	if (ret == -ENOENT) {
		char hint[512];

		khu_err("keyhandover is not set up here: %s",
			khu_module_missing(hint, sizeof(hint)));
	}
	return ret;
}

static bool khu_have_systemd(void)
{
	return !access("/run/systemd/system", F_OK);
}

/* systemctl kexec: a clean shutdown that ends in the loaded kernel. */
static int khu_reboot_systemctl(void)
{
	char *argv[] = { "systemctl", "kexec", NULL };
	int status;

	/* It talks to systemd over its socket: no environment needed. */
	return khu_run("systemctl", argv, NULL, &status);
}

/*
 * Without systemd there is no service manager to stop things cleanly:
 * sync, then kexec at once, as `kexec -e` does.
 */
static int khu_reboot_now(void)
{
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return -errno;
}

static void khu_reboot_show_how(void)
{
	printf("then: %s\n", khu_have_systemd() ? "systemctl kexec" :
	       "kexec at once (no systemd): sync, then reboot(LINUX_REBOOT_CMD_KEXEC)");
}

/* What reboot --dry-run looked at, as far as it got. */
struct khu_reboot_look {
	struct khu_stash s;		/* what it would stash */
	bool looked;			/* ... looked at */
	int stash_ret;			/* ... and the answer */
	struct khu_load_plan p;		/* what it would load */
	bool planned;			/* ... looked at */
};

/*
 * What reboot would stash, and load with which command line: the same
 * look for the text and for --json; nothing is done.
 */
static int khu_reboot_look(const struct khu_opts *o,
			   const struct kh_status *st,
			   struct khu_reboot_look *l)
{
	int ret = 0;

	l->looked = true;
	if (o->n_devices)
		khu_stash_from_args(&l->s);
	else
		ret = khu_stash_from_crypttab(&l->s);
	if (!ret)
		ret = khu_stash_choose(&l->s, true);
	l->stash_ret = ret;
	if (ret)
		return ret;
	l->planned = true;
	ret = khu_load_plan(o, &l->p);
	if (!ret && st->backend == KH_BACKEND_MEMMAP)
		ret = khu_load_check_memmap(&l->p.cmdline, l->p.derived);
	else if (!ret && st->backend == KH_BACKEND_KHO)
		ret = khu_load_check_kho(o, &l->p);
	return ret;
}

static void khu_reboot_look_free(struct khu_reboot_look *l)
{
	khu_stash_free(&l->s);
	free(l->p.cmdline);
	l->p.cmdline = NULL;
}

/* What reboot would stash, load and run, as text; nothing is done. */
static int khu_reboot_dry_run(const struct khu_opts *o,
			      const struct kh_status *st)
{
	struct khu_reboot_look l = { .s = { .o = o, .say_mode = true } };
	unsigned int i;
	int ret;

	ret = khu_reboot_look(o, st, &l);
	for (i = 0; !l.stash_ret && i < l.s.n; i++) {
		const struct khu_volume *v = &l.s.vol[i];

		printf("would stash %s as %s%s%s\n", v->dev,
		       v->name ? v->name : "luks-UUID",
		       v->keyring ? ", key from the keyring " : "",
		       v->keyring ? v->keyring : "");
	}
	if (!ret) {
		khu_load_show(&l.p);
		puts("(keyhandover.nonce= is added once the stash is made)");
		khu_reboot_show_how();
		puts("dry run: nothing stashed, loaded or rebooted");
	}
	khu_reboot_look_free(&l);
	return ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
}

/* The stash's mode as --json names it (docs/json.md), or NULL. */
static const char *khu_reboot_mode_id(const struct khu_stash *s)
{
	if (!s->chosen)
		return NULL;
	if (s->mode == KHU_KS_KEYRING)
		return "keyring";
	return s->mode == KHU_KS_PASSPHRASE ? "passphrase" : "refused";
}

/* Where volume @i's key would come from, or NULL: no mode chosen. */
static const char *khu_reboot_key_source(const struct khu_stash *s,
					 unsigned int i)
{
	if (!s->chosen || s->mode == KHU_KS_REFUSE)
		return NULL;
	if (s->mode == KHU_KS_KEYRING)
		return "keyring";
	return s->has_key_file[i] ? "key_file" : "passphrase";
}

/*
 * One volume reboot would stash. Its LUKS UUID, and so its default name
 * luks-UUID, only where the dry run opened it (crypttab's volumes).
 */
static void khu_reboot_json_volume(struct khu_json *j,
				   const struct khu_stash *s, unsigned int i)
{
	const struct khu_volume *v = &s->vol[i];
	const char *uuid = v->cd ? khu_luks_uuid(v->cd) : v->uuid;
	const char *from = khu_reboot_key_source(s, i);
	const char *kf = v->key_file ? v->key_file : s->o->key_file;
	char name[KH_UUID_LEN + 8];

	if (!v->name && uuid)
		snprintf(name, sizeof(name), "luks-%s", uuid);
	khu_json_begin_object(j, NULL);
	khu_json_string(j, "device", v->dev);
	khu_json_string(j, "name", v->name ? v->name : uuid ? name : NULL);
	khu_json_string(j, "uuid", uuid);
	if (v->entry)
		khu_json_uint(j, "crypttab_line", v->entry->line);
	else
		khu_json_null(j, "crypttab_line");
	khu_json_string(j, "key_source", from);
	khu_json_string(j, "keyring_key",
			from && !strcmp(from, "keyring") ? v->keyring : NULL);
	khu_json_string(j, "key_file",
			from && !strcmp(from, "key_file") ? kf : NULL);
	khu_json_end_object(j);
}

/* The crypttab lines reboot would not hand over, and why. */
static void khu_reboot_json_skipped(struct khu_json *j,
				    const struct khu_stash *s)
{
	unsigned int i;

	khu_json_begin_array(j, "not_handed_over");
	for (i = 0; i < s->n_skipped; i++) {
		const struct khu_crypttab_entry *e = s->skipped[i].e;

		khu_json_begin_object(j, NULL);
		khu_json_uint(j, "crypttab_line", e->line);
		khu_json_string(j, "name", e->name[0] ? e->name : NULL);
		khu_json_string(j, "source", e->source[0] ? e->source : NULL);
		khu_json_string(j, "reason", s->skipped[i].why);
		khu_json_end_object(j);
	}
	khu_json_end_array(j);
}

/* The stash's part of reboot --dry-run --json. */
static void khu_reboot_json_stash(struct khu_json *j,
				  const struct khu_opts *o,
				  const struct khu_reboot_look *l)
{
	const struct khu_stash *s = &l->s;
	unsigned int i;

	khu_json_string(j, "crypttab", !l->looked || o->n_devices ? NULL :
			o->crypttab ? o->crypttab : KHU_CRYPTTAB_PATH);
	khu_json_string(j, "mode", khu_reboot_mode_id(s));
	khu_json_string(j, "mode_reason", s->chosen ? s->mode_why : NULL);
	khu_json_begin_array(j, "volumes");
	for (i = 0; i < s->n; i++)
		khu_reboot_json_volume(j, s, i);
	khu_json_end_array(j);
	khu_reboot_json_skipped(j, s);
}

/*
 * Kexec HandOver: refuse before any passphrase is asked what load would
 * refuse after it (a crash kernel, a next kernel without KHO).
 */
static int khu_reboot_check_kho(const struct khu_opts *o)
{
	struct khu_load_plan p;
	int ret;

	ret = khu_load_plan(o, &p);
	if (!ret)
		ret = khu_load_check_kho(o, &p);
	free(p.cmdline);
	return ret;
}

/*
 * --if-newer (the unattended timer's service): is the kernel the boot
 * loader would boot next newer than the running one? 1 yes, 0 no (one
 * line says so, but not in --json), -errno when it cannot tell (one line
 * says why). @r: the releases compared, whatever the answer.
 */
static int khu_reboot_newer(const struct khu_opts *o, struct khu_release *r)
{
	struct khu_load_plan p;
	int ret;

	ret = khu_load_plan(o, &p);
	khu_load_release(ret ? NULL : p.kernel, r);
	free(p.cmdline);
	if (ret)
		return ret;
	if (r->newer < 0) {
		khu_err("cannot tell the release of %s from its name (--if-newer needs vmlinuz-RELEASE)",
			p.kernel);
		return r->newer;
	}
	if (!r->newer && !o->json)
		printf("the boot loader's next kernel %s is not newer than the running %s: nothing to do\n",
		       r->next, r->running);
	return r->newer;
}

/* How reboot would start the kexec, as --json names it. */
static const char *khu_reboot_method(void)
{
	return khu_have_systemd() ? "systemctl_kexec" : "immediate_kexec";
}

/*
 * reboot --dry-run --json: one object whatever happened, every field
 * there (null: not known); the exit code is the text's.
 */
static int khu_reboot_json(const struct khu_opts *o)
{
	struct khu_reboot_look l = { .s = { .o = o } };
	struct khu_release r;
	struct kh_status st;
	struct khu_json j;
	int status, ret, newer = 1;

	khu_report_json_begin(&j, "reboot --dry-run");
	status = khu_reboot_precheck(&st);
	ret = status;
	if (!ret && o->if_newer) {
		newer = khu_reboot_newer(o, &r);
		ret = newer < 0 ? newer : 0;
	}
	if (!ret && newer)
		ret = khu_reboot_look(o, &st, &l);
	if (!o->if_newer || status)
		khu_load_release(l.planned ? l.p.kernel : NULL, &r);
	khu_json_bool(&j, "loaded", status != -ENOENT);
	khu_json_string(&j, "backend", status ? NULL :
			khu_backend_id(st.backend));
	khu_json_bool(&j, "if_newer", o->if_newer);
	khu_json_bool(&j, "would_reboot", !ret && newer);
	khu_reboot_json_stash(&j, o, &l);
	khu_load_json(&j, &l.p, l.planned && !ret, &r);
	khu_json_string(&j, "reboot_method", khu_reboot_method());
	khu_reboot_look_free(&l);
	return khu_report_json_end(&j, ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK);
}

/*
 * stash, load, reboot into the loaded kernel. Every failure after the
 * stash leaves no stash behind: load wipes on its own failures, and a
 * reboot that does not happen wipes here.
 */
int khu_cmd_reboot(const struct khu_opts *o)
{
	struct khu_release r;
	struct kh_status st;
	int ret;

	if (o->json)
		return khu_reboot_json(o);
	if (khu_reboot_precheck(&st))
		return KHU_EXIT_FAILURE;
	if (o->if_newer) {
		ret = khu_reboot_newer(o, &r);
		if (ret <= 0)
			return ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
	}
	if (o->dry_run)
		return khu_reboot_dry_run(o, &st);
	if (st.backend == KH_BACKEND_KHO && khu_reboot_check_kho(o))
		return KHU_EXIT_FAILURE;
	ret = khu_stash_main(o, true);
	if (ret != KHU_EXIT_OK)
		return ret;
	ret = khu_cmd_load(o);
	if (ret != KHU_EXIT_OK)
		return ret;
	khu_reboot_show_how();
	fflush(stdout);
	ret = khu_have_systemd() ? khu_reboot_systemctl() : khu_reboot_now();
	if (ret) {
		khu_err("the kexec did not start (%s)", strerror(-ret));
		khu_load_abort();
		return KHU_EXIT_FAILURE;
	}
	return KHU_EXIT_OK;
}
