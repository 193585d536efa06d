// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover stash: derive (or name, in keyring mode) the volume keys and
 * arm the hand-over; from the command line or from crypttab. From
 * crypttab it takes keyring mode by itself when every volume's
 * link-volume-key= names a key that is in the keyring now.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "crypttab.h"
#include "format.h"
#include "handover.h"
#include "keyring.h"
#include "keysource.h"
#include "kho.h"
#include "luks.h"
#include "passphrase.h"
#include "textfile.h"
#include "tool.h"


/* Where DEVICE i's UUID, name and key size go, in either mode. */
static void khu_stash_slots(struct khu_stash *s, unsigned int i, char **uuid,
			    char **name, uint32_t **key_size)
{
	if (s->refs) {
		*uuid = s->refs[i].uuid;
		*name = s->refs[i].name;
		*key_size = &s->refs[i].key_size;
	} else {
		*uuid = s->entries[i].uuid;
		*name = s->entries[i].name;
		*key_size = &s->entries[i].key_size;
	}
}

/* Before any prompt: would the module refuse, or overwrite a stash? */
static int khu_stash_precheck(struct khu_stash *s)
{
	struct kh_status st;
	int ret;

	ret = khu_handover_status(s->fd, &st);
	if (ret) {
		khu_device_error("cannot query the hand-over", ret);
		return ret;
	}
	/* The module refuses a second arm too; say what to do first. */
	if (st.state == KH_STATE_ARMED) {
		khu_err("a hand-over is already armed: run 'keyhandover wipe' first");
		return -EALREADY;
	}
	if (st.state == KH_STATE_PENDING) {
		khu_pending_error();
		return -EBUSY;
	}
	if (s->n > st.capacity) {
		khu_err("the region holds at most %u volumes, %u given",
			st.capacity, s->n);
		return -ENOSPC;
	}
	return 0;
}

static int khu_stash_read_key_file(const char *path, struct khu_passphrase *pw)
{
	unsigned int mode;
	int ret;

	/* As systemd-cryptsetup does: say it, and go on. */
	if (khu_passphrase_file_exposed(path, &mode) > 0)
		khu_err("key file %s has mode %04o: group or others may read or write it (chmod 0400 or 0600)",
			path, mode);
	ret = khu_passphrase_read_file(path, pw);
	if (ret == -EFBIG)
		khu_err("key file %s is larger than %d bytes", path,
			KHU_PASSPHRASE_MAX);
	else if (ret == -ENODATA)
		khu_err("key file %s is empty", path);
	else if (ret)
		khu_err("cannot read key file %s: %s", path, strerror(-ret));
	return ret;
}

/*
 * Why @cd cannot be handed over although it is LUKS, or NULL: a detached
 * header (cryptsetup --header), as the next kernel finds a volume by the
 * LUKS header on its own device and could never use the key.
 */
static const char *khu_stash_unusable(struct crypt_device *cd)
{
	uint64_t offset;

	if (!khu_luks_detached(cd, &offset))
		return NULL;
	if (!offset)
		return "detached LUKS header (data offset 0): not supported; the next kernel finds a volume by the LUKS header on its own device";
	return "detached LUKS header (its data would start past the end of this device): not supported; the next kernel finds a volume by the LUKS header on its own device";
}

/* Fill DEVICE i's UUID, name and key size; the key comes later. */
static int khu_stash_describe(struct khu_stash *s, unsigned int i)
{
	const struct khu_volume *v = &s->vol[i];
	const char *dev = v->dev;
	const char *uuid = khu_luks_uuid(v->cd);
	int size = khu_luks_key_size(v->cd);
	char *e_uuid, *e_name, *other;
	uint32_t *e_size, *unused;
	unsigned int j;

	if (!uuid || strlen(uuid) >= KH_UUID_LEN) {
		khu_err("%s has no usable LUKS UUID", dev);
		return -EINVAL;
	}
	for (j = 0; j < i; j++) {
		khu_stash_slots(s, j, &other, &e_name, &unused);
		if (!strcasecmp(other, uuid)) {
			khu_err("%s is the same volume as %s (%s)", dev,
				s->vol[j].dev, uuid);
			return -EEXIST;
		}
	}
	if (size <= 0 || size > KH_KEY_MAX) {
		khu_err("%s: a volume key of %d bytes does not fit (at most %d)",
			dev, size, KH_KEY_MAX);
		return -E2BIG;
	}
	khu_stash_slots(s, i, &e_uuid, &e_name, &e_size);
	*e_size = size;
	strcpy(e_uuid, uuid);
	if (v->name)
		snprintf(e_name, KH_NAME_LEN, "%s", v->name);
	else
		snprintf(e_name, KH_NAME_LEN, "luks-%s", uuid);
	return 0;
}

/* Keyring mode: the key's type and description, for the module. */
static void khu_stash_name_key(struct khu_stash *s, unsigned int i)
{
	struct kh_keyref *r = &s->refs[i];
	const char *desc;

	/* The parser accepted it already. */
	if (!khu_keyring_parse_ref(s->vol[i].keyring, &r->type, &desc))
		snprintf(r->description, sizeof(r->description), "%s", desc);
}

/*
 * The prompt names the volume as the user knows it: a crypttab entry by
 * its name (what Debian's cryptroot prompt says), with the device.
 */
static int khu_stash_passphrase(const struct khu_stash *s, unsigned int i,
				struct khu_passphrase *pw)
{
	const char *dev = s->vol[i].dev, *name = s->vol[i].name;
	char label[512]; /* a prompt: cut if ever longer */
	int ret;

	if (name && *name)
		snprintf(label, sizeof(label), "%s (%s)", name, dev);
	else
		snprintf(label, sizeof(label), "%s", dev);
	ret = khu_passphrase_read(label, pw);

	if (ret == -ENODATA)
		khu_err("no passphrase for %s on standard input", dev);
	else if (ret == -EFBIG)
		khu_err("the passphrase for %s is longer than %d bytes", dev,
			KHU_PASSPHRASE_MAX);
	else if (ret)
		khu_err("cannot read the passphrase for %s: %s", dev,
			strerror(-ret));
	return ret;
}

static int khu_stash_derive(struct khu_stash *s, unsigned int i)
{
	const struct khu_volume *v = &s->vol[i];
	const char *dev = v->dev;
	struct kh_entry *e = &s->entries[i];
	struct khu_passphrase own = { NULL, 0 };
	const struct khu_passphrase *pw = &s->key_file;
	int ret;

	if (v->key_file) {
		ret = khu_stash_read_key_file(v->key_file, &own);
		if (ret)
			return ret;
		pw = &own;
	} else if (!s->o->key_file) {
		ret = khu_stash_passphrase(s, i, &own);
		if (ret)
			return ret;
		pw = &own;
	}
	ret = khu_luks_derive(v->cd, pw->buf, pw->len, e->key, e->key_size);
	khu_passphrase_free(&own);
	if (ret == -EPERM)
		khu_err("wrong passphrase for %s", dev);
	else if (ret == -ENOENT)
		khu_err("%s has no key slot that can be unlocked", dev);
	else if (ret == -ENOMEM)
		khu_err("not enough memory to derive the key of %s", dev);
	else if (ret)
		khu_err("cannot derive the volume key of %s: %s", dev,
			strerror(-ret));
	return ret;
}

/* A DEVICE from the command line: open it, or say why it cannot be. */
static int khu_stash_open_arg(struct khu_volume *v)
{
	const char *why;
	int ret;

	ret = khu_luks_open(v->dev, &v->cd);
	if (ret == -EINVAL || ret == -ENODEV)
		khu_err("%s is not a LUKS device", v->dev);
	else if (ret)
		khu_err("cannot open %s: %s", v->dev, strerror(-ret));
	if (ret)
		return ret;
	why = khu_stash_unusable(v->cd);
	if (why) {
		khu_err("%s: %s", v->dev, why);
		return -EMEDIUMTYPE;
	}
	return 0;
}

static int khu_stash_reload(struct khu_volume *v)
{
	int ret = khu_luks_reload(v->cd);

	if (ret)
		khu_err("cannot read the LUKS header of %s again: %s",
			khu_luks_path(v->cd), strerror(-ret));
	return ret;
}

static int khu_stash_one(struct khu_stash *s, unsigned int i)
{
	struct khu_volume *v = &s->vol[i];
	int verdict, ret = 0;

	/*
	 * crypttab's volumes were opened when their lines were checked: the
	 * same device, its header read again now.
	 */
	if (!v->cd)
		ret = khu_stash_open_arg(v);
	else
		ret = khu_stash_reload(v);
	if (!ret)
		ret = khu_stash_describe(s, i);
	if (!ret && !s->refs)
		ret = khu_stash_derive(s, i);
	/*
	 * Done with the header: no need to keep the device open, unless a
	 * logon key the module refuses sends the stash back to passphrases.
	 */
	if (!s->linked) {
		khu_luks_close(v->cd);
		v->cd = NULL;
	}
	if (ret)
		return ret;
	if (s->refs) {
		khu_stash_name_key(s, i);
		return 0;
	}
	/* The module applies the same rules: say which device breaks them. */
	verdict = kh_format_check_entry(&s->entries[i]);
	if (verdict != KH_VERDICT_OK) {
		khu_err("%s cannot be handed over: %s", v->dev,
			kh_format_verdict_str(verdict));
		return -EINVAL;
	}
	return 0;
}

/* The module refused key @i of a keyring-mode arm: say why. */
static void khu_stash_key_error(struct khu_stash *s, unsigned int i, int err)
{
	const struct kh_keyref *r = &s->refs[i];
	const char *type = khu_keyring_type_name(r->type);
	const char *dev = s->vol[i].dev;
	const char *d = r->description;

	switch (-err) {
	case ENOKEY:
		if (khu_keyring_other_type(r->type, d))
			khu_err("%s: no %s key '%s' in your keyrings, but a %s key of that description: say --keyring %%%s:%s",
				dev, type, d, r->type == KH_KEY_USER ? "logon" : "user",
				r->type == KH_KEY_USER ? "logon" : "user", d);
		else
			khu_err("%s: no %s key '%s' found in your keyrings",
				dev, type, d);
		break;
	case EACCES:
		khu_err("%s: %s key '%s': permission denied (you may not search or view it)",
			dev, type, d);
		break;
	case EKEYREVOKED:
		khu_err("%s: %s key '%s' has been revoked", dev, type, d);
		break;
	case EKEYEXPIRED:
		khu_err("%s: %s key '%s' has expired", dev, type, d);
		break;
	case EMSGSIZE:
		khu_err("%s: %s key '%s' is longer than %d bytes: not a volume key",
			dev, type, d, KH_KEY_MAX);
		break;
	case EKEYREJECTED:
		khu_err("%s: %s key '%s' is not %u bytes, the size of this volume's key",
			dev, type, d, r->key_size);
		break;
	case EPERM:
		khu_err("%s: %s key '%s': refused under lockdown=confidentiality (a logon key must not leave the kernel); stash with the passphrase or a key file",
			dev, type, d);
		break;
	default:
		khu_err("%s: %s key '%s': %s", dev, type, d, strerror(-err));
	}
}

/*
 * The module refused key @i of a keyring-mode arm that link-volume-key=
 * chose, and armed nothing: noted, so that the stash chooses again as if
 * that key were not there (a passphrase or key file, or --no-ask's one
 * line). false: not a refusal of the key.
 */
static bool khu_stash_refused(struct khu_stash *s, unsigned int i, int err)
{
	switch (-err) {
	case EPERM:
		/* lockdown=confidentiality, which its state file did not show */
		if (s->sealed)
			return false;
		s->sealed = true;
		break;
	case ENOKEY:
	case EACCES:
	case EKEYREVOKED:
	case EKEYEXPIRED:
	case EKEYREJECTED:
	case EMSGSIZE:
		s->refused[i] = -err;
		break;
	default:
		return false;
	}
	s->again = true;
	return true;
}

static int khu_stash_arm(struct khu_stash *s)
{
	unsigned int i, n = s->n;
	uint32_t failed = n, *size;
	char *uuid, *name;
	int ret;

	if (s->refs)
		ret = khu_handover_arm_keyring(s->fd, s->refs, n,
					       s->o->timeout, &failed);
	else
		ret = khu_handover_arm(s->fd, s->entries, n, s->o->timeout);
	if (ret && failed < n && s->linked && khu_stash_refused(s, failed, ret))
		return ret;
	if (ret && failed < n)
		khu_stash_key_error(s, failed, ret);
	else if (ret == -EBUSY)
		khu_pending_error();
	else if (ret == -ESHUTDOWN)
		khu_err("the machine is going down: nothing armed");
	else if (ret == -EAGAIN)
		khu_err("the machine is going to sleep: nothing armed");
	else if (ret == -EPERM &&
		 khu_kho_crash_loaded(KHU_KHO_CRASH_LOADED) == 1)
		khu_err("a crash kernel is loaded, and the Kexec HandOver region would be in its dump: unload it (kexec -p -u) or use a memmap= region; nothing armed");
	else if (ret)
		khu_device_error("cannot arm the hand-over", ret);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		khu_stash_slots(s, i, &uuid, &name, &size);
		printf("stashed %s as %s (%s)%s\n", s->vol[i].dev, name,
		       uuid, s->refs ? ", key taken from the keyring" : "");
	}
	/* A stash the user was not told about must not stay armed. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ret = errno ? -errno : -EIO;
		khu_handover_wipe(s->fd);
		khu_err("cannot report the stash (%s): wiped it",
			strerror(-ret));
		return ret;
	}
	return 0;
}

static int khu_stash_run(struct khu_stash *s)
{
	unsigned int i;
	int ret;

	ret = khu_stash_precheck(s);
	if (ret)
		return ret;
	if (s->o->key_file) {
		ret = khu_stash_read_key_file(s->o->key_file, &s->key_file);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->n; i++) {
		ret = khu_stash_one(s, i);
		if (ret)
			return ret;
	}
	return khu_stash_arm(s);
}

/* The volumes named on the command line. */
void khu_stash_from_args(struct khu_stash *s)
{
	unsigned int i;

	s->n = s->o->n_devices;
	for (i = 0; i < s->n; i++)
		s->vol[i] = s->o->volumes[i];
}

/*
 * An entry stash can take: its device must open as LUKS here and now. It
 * stays open in @v->cd for the stash: one open per volume.
 */
static const char *khu_stash_tab_usable(struct khu_volume *v)
{
	const char *why;
	int ret;

	ret = khu_luks_open(v->dev, &v->cd);
	/* crypttab's UUID= without udev's link (an initramfs, a container). */
	if (ret == -ENOENT && v->uuid) {
		ret = khu_luks_open_by_uuid(v->uuid, &v->cd);
		if (ret == -ENODEV)
			return "no LUKS device with this UUID here";
		if (ret == -ENOTUNIQ)
			return "more than one device carries this UUID";
	}
	if (ret == -ENOENT)
		return "its device is not here";
	if (ret == -EINVAL || ret == -ENODEV)
		return "not a LUKS device";
	if (ret)
		return strerror(-ret);
	why = khu_stash_unusable(v->cd);
	if (why) {
		khu_luks_close(v->cd);
		v->cd = NULL;
	}
	return why;
}

/*
 * Two volumes under one name could not both be opened after the kexec:
 * the first line that has it keeps it, whether or not that line is
 * handed over. systemd's generator keeps the first line of a name, and
 * restore takes the first line of a name for the volume's options and
 * link-volume-key= (khu_crypttab_find): a later line's key handed over
 * under that name would be opened, and linked, by another line's word.
 */
static bool khu_stash_name_taken(const struct khu_stash *s, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (!s->tab[j].unreadable &&
		    !strcmp(s->tab[j].name, s->tab[i].name))
			return true;
	return false;
}

/*
 * Keep why @e is not handed over, for reboot --dry-run --json: a copy, as
 * @why may be strerror()'s, which the next call may overwrite.
 */
static void khu_stash_skip(struct khu_stash *s,
			   const struct khu_crypttab_entry *e, const char *why)
{
	struct khu_stash_skip *k;

	if (!s->skipped || s->n_skipped == KHU_CRYPTTAB_MAX)
		return;
	k = &s->skipped[s->n_skipped++];
	k->e = e;
	snprintf(k->why, sizeof(k->why), "%s", why);
}

/* Add crypttab entry @i, or say why it is not handed over. */
static void khu_stash_tab_add(struct khu_stash *s, unsigned int i)
{
	const struct khu_crypttab_entry *e = &s->tab[i];
	struct khu_volume *v = &s->vol[s->n];
	const char *why = e->skip;

	if (!why && s->n == KH_MAX_ENTRIES)
		why = "more than 16 volumes";
	if (!why && khu_stash_name_taken(s, i))
		why = "an earlier line has this name";
	if (!why) {
		v->dev = e->device;
		v->uuid = e->uuid;
		v->name = e->name;
		v->key_file = e->key_file[0] ? e->key_file : NULL;
		v->entry = e;
		why = khu_stash_tab_usable(v);
	}
	if (why) {
		khu_err("crypttab line %u: %s (%s) not handed over: %s",
			e->line, e->name[0] ? e->name : "?",
			e->source[0] ? e->source : "?",
			why);
		khu_stash_skip(s, e, why);
		return;
	}
	if (e->link.unusable)
		khu_err("crypttab line %u: %s: %s: its key is not taken from the keyring",
			e->line, e->name, e->link.unusable);
	s->n++;
}

/*
 * No DEVICE: every LUKS entry of crypttab, under its crypttab name (the
 * one the initramfs's cryptroot looks for), with its own key file if it
 * has one, else a prompt per volume. Entries that cannot be handed over
 * are listed, one line each, never skipped silently.
 */
int khu_stash_from_crypttab(struct khu_stash *s)
{
	const char *path = s->o->crypttab ? s->o->crypttab : KHU_CRYPTTAB_PATH;
	unsigned int i, count = 0;
	char *text = NULL;
	int ret;

	ret = khu_text_read(path, 1 << 20, &text);
	if (ret) {
		khu_err("cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	s->tab = calloc(KHU_CRYPTTAB_MAX, sizeof(*s->tab));
	s->skipped = calloc(KHU_CRYPTTAB_MAX, sizeof(*s->skipped));
	ret = s->tab && s->skipped ?
	      khu_crypttab_parse(text, s->tab, KHU_CRYPTTAB_MAX, &count) :
	      -ENOMEM;
	free(text);
	if (ret == -E2BIG)
		khu_err("%s has more than %d entries", path, KHU_CRYPTTAB_MAX);
	else if (ret)
		khu_err("cannot parse %s: %s", path, strerror(-ret));
	for (i = 0; !ret && i < count; i++)
		khu_stash_tab_add(s, i);
	if (!ret && !s->n) {
		khu_err("%s lists no LUKS volume that can be handed over",
			path);
		ret = -ENOENT;
	}
	return ret;
}

/*
 * The mode chosen, and why: kept, and said in one line by reboot ("mode:
 * keyring, no passphrase: WHY", "mode: passphrase: WHY"); stash keeps
 * quiet.
 */
static void __attribute__((format(printf, 3, 4)))
khu_stash_say(struct khu_stash *s, enum khu_ks_mode mode, const char *fmt,
	      ...)
{
	va_list ap;

	s->chosen = true;
	s->mode = mode;
	va_start(ap, fmt);
	vsnprintf(s->mode_why, sizeof(s->mode_why), fmt, ap);
	va_end(ap);
	if (!s->say_mode)
		return;
	printf("mode: %s: ", mode == KHU_KS_KEYRING ? "keyring, no passphrase" :
	       "passphrase");
	/* The whole line, however long a DEVICE's path: not the copy. */
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A volume in a line: its crypttab name, else its device. */
static const char *khu_stash_label(const struct khu_volume *v)
{
	return v->name && *v->name ? v->name : v->dev;
}

/* The key crypttab's link-volume-key= names for @v, or NULL. */
static const struct khu_crypttab_link *
khu_stash_link(const struct khu_volume *v)
{
	return v->entry && khu_crypttab_links(v->entry) ? &v->entry->link : NULL;
}

/*
 * What the choice needs to know of volume @i: the keyring is looked at
 * now, and the key found is held in our thread keyring for the arm
 * (khu_keyring_take).
 */
static void khu_stash_fact(struct khu_stash *s, unsigned int i,
			   struct khu_ks_volume *f)
{
	const struct khu_volume *v = &s->vol[i];
	const struct khu_crypttab_link *l = khu_stash_link(v);
	const char *kf = v->key_file ? v->key_file : s->o->key_file;
	int size = v->cd ? khu_luks_key_size(v->cd) : 0;

	f->named = !!l;
	f->logon = l && l->type == KH_KEY_LOGON;
	f->refused = l && s->refused[i];
	f->present = l && !f->refused &&
		     khu_keyring_take(l->ring, l->ring_name, l->type,
				      l->description, size > 0 ? size : 0,
				      &s->taken[i]) > 0;
	/* `--key-file -` on a terminal is a prompt, as in cryptsetup. */
	f->key_file = kf && !(!strcmp(kf, "-") && isatty(STDIN_FILENO));
	s->has_key_file[i] = f->key_file;
}

/* The keys khu_stash_fact() took into our thread keyring: let go. */
static void khu_stash_drop(struct khu_stash *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		if (s->taken[i])
			khu_keyring_drop(s->taken[i]);
		s->taken[i] = 0;
	}
}

/* lockdown=confidentiality matters to logon keys only: look then. */
static bool khu_stash_sealed(const struct khu_stash *s,
			     const struct khu_ks_volume *f)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (f[i].logon)
			return s->sealed ||
			       khu_keyring_sealed(KHU_LOCKDOWN_PATH) > 0;
	return false;
}

/* May a passphrase be asked for? A dry run asks nothing, and may. */
static enum khu_ks_ask khu_stash_ask(const struct khu_opts *o, bool dry_run)
{
	if (o->no_ask)
		return KHU_KS_ASK_FORBIDDEN;
	if (dry_run || khu_passphrase_source() != KHU_PASSPHRASE_NOWHERE)
		return KHU_KS_ASK;
	return KHU_KS_ASK_NOWHERE;
}

/* Why the module refused a key link-volume-key= named, as a phrase. */
static const char *khu_stash_refusal(int err)
{
	switch (err) {
	case ENOKEY:
		return "it is no longer in the keyring";
	case EACCES:
		return "permission denied";
	case EKEYREVOKED:
		return "it has been revoked";
	case EKEYEXPIRED:
		return "it has expired";
	case EKEYREJECTED:
		return "it is not the size of this volume's key";
	case EMSGSIZE:
		return "it is longer than a volume key";
	}
	return strerror(err);
}

/*
 * Why volume @i's key is not taken from the keyring, as a phrase; @prompt:
 * for the refusal of a volume that would be asked for its passphrase.
 */
static void khu_stash_reason(const struct khu_stash *s,
			     const struct khu_ks_choice *c, unsigned int i,
			     enum khu_ks_why why, bool prompt, char *buf,
			     size_t len)
{
	const struct khu_volume *v = &s->vol[i];
	const struct khu_crypttab_link *l = khu_stash_link(v);

	if (why == KHU_KS_MISSING)
		snprintf(buf, len, "its key is not in the keyring: link-volume-key=%s",
			 l->value);
	else if (why == KHU_KS_SEALED)
		snprintf(buf, len, "lockdown=confidentiality: the module takes no logon key: link-volume-key=%s",
			 l->value);
	else if (why == KHU_KS_REFUSED)
		snprintf(buf, len, "the module refused its key (%s): link-volume-key=%s",
			 khu_stash_refusal(s->refused[i]), l->value);
	else if (why == KHU_KS_IN_KEYRING)
		snprintf(buf, len, "its key is in the keyring, but %s's is not, and one stash takes every key one way",
			 khu_stash_label(&s->vol[c->cause]));
	else if (v->entry && v->entry->link.unusable)
		snprintf(buf, len, "%s%s", v->entry->link.unusable,
			 prompt ? ", and no key file" : "");
	else if (v->entry)
		snprintf(buf, len, "no link-volume-key=%s",
			 prompt ? " and no key file" : "");
	else if (s->o->key_file)
		snprintf(buf, len, "no --keyring, and --key-file - is the terminal");
	else
		snprintf(buf, len, "no --keyring%s",
			 prompt ? " or --key-file" : "");
}

/* One line: which volume would need a prompt that may not be made. */
static void khu_stash_refuse(struct khu_stash *s,
			     const struct khu_ks_choice *c, bool sealed,
			     enum khu_ks_ask ask, const struct khu_ks_volume *f)
{
	const char *no = ask == KHU_KS_ASK_FORBIDDEN ? "--no-ask forbids it" :
			 "there is no terminal to ask on (stdin is neither a terminal nor a pipe or file)";
	const char *label = khu_stash_label(&s->vol[c->prompt]);
	unsigned int i = c->prompt;
	char why[KHU_CRYPTTAB_FIELD + 160];

	khu_stash_reason(s, c, i, khu_keysource_why(&f[i], sealed), true, why,
			 sizeof(why));
	s->chosen = true;
	s->mode = KHU_KS_REFUSE;
	snprintf(s->mode_why, sizeof(s->mode_why),
		 "%s: would ask for its passphrase (%s), and %s", label, why,
		 no);
	khu_err("%s: would ask for its passphrase (%s), and %s: nothing stashed",
		label, why, no);
}

/*
 * Passphrase mode although link-volume-key= names a key: one line per such
 * volume, so that nobody wonders why the prompt comes.
 */
static void khu_stash_notes(const struct khu_stash *s, bool sealed,
			    const struct khu_ks_volume *f)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		const struct khu_volume *v = &s->vol[i];
		const char *how = f[i].key_file ? "reading its key file" :
						  "asking for the passphrase";
		enum khu_ks_why why = khu_keysource_why(&f[i], sealed);

		if (why == KHU_KS_MISSING)
			khu_err("%s: its key is not in the keyring (link-volume-key=%s): %s; keyhandover restore links it after the kexec",
				khu_stash_label(v), khu_stash_link(v)->value, how);
		else if (why == KHU_KS_SEALED)
			khu_err("%s: lockdown=confidentiality: the module takes no logon key (link-volume-key=%s): %s",
				khu_stash_label(v), khu_stash_link(v)->value, how);
		else if (why == KHU_KS_REFUSED)
			khu_err("%s: the module refused its key (link-volume-key=%s): %s: %s",
				khu_stash_label(v), khu_stash_link(v)->value,
				khu_stash_refusal(s->refused[i]), how);
	}
}

/* Keyring mode from link-volume-key=: each volume's key by its name. */
static void khu_stash_take_linked(struct khu_stash *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		s->vol[i].keyring = khu_stash_link(&s->vol[i])->ref;
	s->keyring_mode = true;
	s->linked = true;
	khu_stash_say(s, KHU_KS_KEYRING,
		      "every volume's key is in the keyring (link-volume-key=)");
}

/*
 * Keyring mode or passphrase mode (keysource.c), before any key is
 * derived or any passphrase asked for; or the one line that says which
 * volume would need a prompt that may not be made. A dry run only says.
 */
int khu_stash_choose(struct khu_stash *s, bool dry_run)
{
	struct khu_ks_volume f[KH_MAX_ENTRIES] = { { 0 } };
	enum khu_ks_ask ask = khu_stash_ask(s->o, dry_run);
	char why[KHU_CRYPTTAB_FIELD + 160];
	struct khu_ks_choice c;
	unsigned int i;
	bool sealed;

	if (s->o->n_keyrings) {
		s->keyring_mode = true;
		khu_stash_say(s, KHU_KS_KEYRING,
			      "--keyring names each DEVICE's key");
		return 0;
	}
	for (i = 0; i < s->n; i++)
		khu_stash_fact(s, i, &f[i]);
	sealed = khu_stash_sealed(s, f);
	khu_keysource_choose(f, s->n, sealed, ask, &c);
	if (c.mode != KHU_KS_KEYRING)
		khu_stash_drop(s);
	if (c.mode == KHU_KS_REFUSE) {
		khu_stash_refuse(s, &c, sealed, ask, f);
		return -ENOTTY;
	}
	if (c.mode == KHU_KS_KEYRING) {
		khu_stash_take_linked(s);
		return 0;
	}
	khu_stash_reason(s, &c, c.cause, c.why, false, why, sizeof(why));
	khu_stash_say(s, KHU_KS_PASSPHRASE, "%s: %s",
		      khu_stash_label(&s->vol[c.cause]), why);
	fflush(stdout);
	khu_stash_notes(s, sealed, f);
	return 0;
}

/*
 * Keyring mode holds names only, in plain memory: no buffer for a key
 * exists in this process (and khu_secmem_stats() shows none was made).
 */
static int khu_stash_alloc(struct khu_stash *s)
{
	int ret;

	if (s->keyring_mode) {
		s->refs = calloc(KH_MAX_ENTRIES, sizeof(*s->refs));
		return s->refs ? 0 : -ENOMEM;
	}
	ret = khu_handover_alloc_entries(&s->entries, false);
	if (ret)
		khu_err("cannot lock memory for the keys: %s", strerror(-ret));
	return ret;
}

/* Everything a stash holds: open devices, the key file, the keys. */
void khu_stash_free(struct khu_stash *s)
{
	unsigned int i;

	khu_stash_drop(s);
	for (i = 0; i < s->n; i++) {
		khu_luks_close(s->vol[i].cd);
		s->vol[i].cd = NULL;
	}
	khu_passphrase_free(&s->key_file);
	if (s->entries)
		khu_handover_free_entries(s->entries);
	s->entries = NULL;
	free(s->refs);
	s->refs = NULL;
	free(s->tab);
	s->tab = NULL;
	free(s->skipped);
	s->skipped = NULL;
	s->n_skipped = 0;
}

/*
 * libcryptsetup's PBKDF works in memory of its own (argon2's, the
 * digest's): lock everything this short process maps, as restore does.
 * Keyring mode derives nothing and needs none.
 */
static int khu_stash_lock(struct khu_stash *s)
{
	if (s->keyring_mode || s->locked)
		return 0;
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		khu_err("cannot lock memory for the keys: %s", strerror(errno));
		return -errno;
	}
	s->locked = true;
	return 0;
}

/* The mode, then memory for it. */
static int khu_stash_prepare(struct khu_stash *s)
{
	int ret = khu_stash_choose(s, false);

	if (!ret)
		ret = khu_stash_lock(s);
	if (!ret)
		ret = khu_stash_alloc(s);
	return ret;
}

/*
 * The module refused a key named by link-volume-key= (khu_stash_refused):
 * a logon key under lockdown=confidentiality, which its state file did
 * not show (no securityfs here), or a key revoked, expired, unlinked or
 * of the wrong size since it was looked at. Nothing is armed: choose
 * again, knowing, and stash.
 */
static int khu_stash_again(struct khu_stash *s)
{
	unsigned int i;
	int ret;

	s->again = false;
	khu_stash_drop(s);
	free(s->refs);
	s->refs = NULL;
	s->keyring_mode = false;
	s->linked = false;
	for (i = 0; i < s->n; i++)
		s->vol[i].keyring = NULL;
	ret = khu_stash_prepare(s);
	return ret ? ret : khu_stash_run(s);
}

/* stash, and reboot's stash, which says its mode (@say_mode). */
int khu_stash_main(const struct khu_opts *o, bool say_mode)
{
	struct khu_stash s = { .o = o, .say_mode = say_mode };
	int ret;

	s.fd = khu_device_open();
	if (s.fd < 0)
		return KHU_EXIT_FAILURE;
	if (o->n_devices) {
		khu_stash_from_args(&s);
		ret = 0;
	} else {
		ret = khu_stash_from_crypttab(&s);
	}
	if (!ret)
		ret = khu_stash_prepare(&s);
	if (!ret)
		ret = khu_stash_run(&s);
	if (ret && s.again)
		ret = khu_stash_again(&s);
	khu_stash_free(&s);
	khu_handover_close(s.fd);
	return ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
}

int khu_cmd_stash(const struct khu_opts *o)
{
	return khu_stash_main(o, false);
}
