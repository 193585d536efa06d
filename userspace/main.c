// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover: hand LUKS volume keys to the next kernel across kexec.
 *
 * In the running system:
 *   keyhandover stash [--name NAME]... [--key-file FILE] DEVICE...
 *   keyhandover stash --keyring KEY [--name NAME] DEVICE	(per DEVICE)
 *   keyhandover load --kernel FILE --initrd FILE
 *                    [--append STR | --reuse-cmdline]
 *   systemctl kexec
 * In the new kernel's initramfs:
 *   keyhandover restore [--to-keyring [KEYRING] [--open]]
 * At any time: keyhandover status, keyhandover wipe.
 *
 * Exit codes: 0 success, 1 failure, 2 usage error, 3 (restore) nothing
 * was handed over.
 *
 * The modules below return negative errno values and never print; this
 * file alone turns them into one line on stderr and an exit code. No key
 * byte is ever printed, here or anywhere.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/reboot.h>
#include <spawn.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootloader.h"
#include "cli.h"
#include "cmdline.h"
#include "crypttab.h"
#include "format.h"
#include "handover.h"
#include "kexec.h"
#include "keyring.h"
#include "luks.h"
#include "passphrase.h"
#include "secmem.h"
#include "setup.h"
#include "textfile.h"

#ifndef KH_VERSION
#define KH_VERSION	"0.1"
#endif

enum {
	KH_EXIT_OK = 0,
	KH_EXIT_FAILURE = 1,
	KH_EXIT_USAGE = 2,
	KH_EXIT_NOTHING = 3,	/* restore: nothing was handed over */
};

static void __attribute__((format(printf, 1, 2))) kh_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keyhandover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The errors every request to /dev/keyhandover can meet. */
static void kh_device_error(const char *what, int err)
{
	switch (-err) {
	case ENOENT:
		kh_err("module not loaded: %s missing", KH_DEVICE_PATH);
		break;
	case EPERM:
	case EACCES:
		kh_err("permission denied: %s needs root (CAP_SYS_ADMIN)",
		       KH_DEVICE_PATH);
		break;
	case EBUSY:
		kh_err("device busy: another keyhandover is running");
		break;
	case ENOTTY:
		kh_err("%s: %s does not know this request (module and tool versions differ?)",
		       what, KH_DEVICE_PATH);
		break;
	default:
		kh_err("%s: %s", what, strerror(-err));
	}
}

static int kh_device_open(void)
{
	int fd = kh_handover_open();

	if (fd < 0)
		kh_device_error("cannot open " KH_DEVICE_PATH, fd);
	return fd;
}

/* Keys from the previous kernel that nobody has restored yet. */
static void kh_pending_error(void)
{
	kh_err("keys handed over by the previous kernel are pending: run 'keyhandover restore' or 'keyhandover wipe' first");
}

/* ---- stash ---------------------------------------------------------- */

struct kh_stash {
	const struct kh_opts *o;
	int fd;
	/* The volumes: from the command line, or from crypttab. */
	unsigned int n;
	const char *dev[KH_MAX_ENTRIES];	/* path to open */
	const char *uuid[KH_MAX_ENTRIES];	/* crypttab UUID=: else scanned */
	const char *name[KH_MAX_ENTRIES];	/* NULL: luks-UUID */
	const char *own_key[KH_MAX_ENTRIES];	/* crypttab's key file, or NULL */
	struct kh_crypttab_entry *tab;		/* crypttab mode: its entries */
	struct kh_entry *entries;	/* passphrase mode, in locked memory */
	struct kh_keyref *refs;		/* keyring mode: names, never keys */
	struct kh_passphrase key_file;	/* read once, used for every device */
};

/* Where DEVICE i's UUID, name and key size go, in either mode. */
static void kh_stash_slots(struct kh_stash *s, unsigned int i, char **uuid,
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
static int kh_stash_precheck(struct kh_stash *s)
{
	struct kh_status st;
	int ret;

	ret = kh_handover_status(s->fd, &st);
	if (ret) {
		kh_device_error("cannot query the hand-over", ret);
		return ret;
	}
	/* The module refuses a second arm too; say what to do first. */
	if (st.state == KH_STATE_ARMED) {
		kh_err("a hand-over is already armed: run 'keyhandover wipe' first");
		return -EALREADY;
	}
	if (st.state == KH_STATE_PENDING) {
		kh_pending_error();
		return -EBUSY;
	}
	if (s->n > st.capacity) {
		kh_err("the region holds at most %u volumes, %u given",
		       st.capacity, s->n);
		return -ENOSPC;
	}
	return 0;
}

static int kh_stash_read_key_file(const char *path, struct kh_passphrase *pw)
{
	int ret;

	ret = kh_passphrase_read_file(path, pw);
	if (ret == -EFBIG)
		kh_err("key file %s is larger than %d bytes", path,
		       KH_PASSPHRASE_MAX);
	else if (ret == -ENODATA)
		kh_err("key file %s is empty", path);
	else if (ret)
		kh_err("cannot read key file %s: %s", path, strerror(-ret));
	return ret;
}

static int kh_stash_open(struct kh_stash *s, unsigned int i,
			 struct crypt_device **cd)
{
	const char *dev = s->dev[i];
	int ret = kh_luks_open(dev, cd);

	/* crypttab's UUID= without udev's link (an initramfs, a container). */
	if (ret == -ENOENT && s->uuid[i])
		ret = kh_luks_open_by_uuid(s->uuid[i], cd);

	if (ret == -EINVAL || ret == -ENODEV)
		kh_err("%s is not a LUKS device", dev);
	else if (ret)
		kh_err("cannot open %s: %s", dev, strerror(-ret));
	return ret;
}

/* Fill DEVICE i's UUID, name and key size; the key comes later. */
static int kh_stash_describe(struct kh_stash *s, unsigned int i,
			     struct crypt_device *cd)
{
	const char *dev = s->dev[i];
	const char *uuid = kh_luks_uuid(cd);
	int size = kh_luks_key_size(cd);
	char *e_uuid, *e_name, *other;
	uint32_t *e_size, *unused;
	unsigned int j;

	if (!uuid || strlen(uuid) >= KH_UUID_LEN) {
		kh_err("%s has no usable LUKS UUID", dev);
		return -EINVAL;
	}
	for (j = 0; j < i; j++) {
		kh_stash_slots(s, j, &other, &e_name, &unused);
		if (!strcasecmp(other, uuid)) {
			kh_err("%s is the same volume as %s (%s)", dev,
			       s->dev[j], uuid);
			return -EEXIST;
		}
	}
	if (size <= 0 || size > KH_KEY_MAX) {
		kh_err("%s: a volume key of %d bytes does not fit (at most %d)",
		       dev, size, KH_KEY_MAX);
		return -E2BIG;
	}
	kh_stash_slots(s, i, &e_uuid, &e_name, &e_size);
	*e_size = size;
	strcpy(e_uuid, uuid);
	if (s->name[i])
		snprintf(e_name, KH_NAME_LEN, "%s", s->name[i]);
	else
		snprintf(e_name, KH_NAME_LEN, "luks-%s", uuid);
	return 0;
}

/* Keyring mode: the key's type and description, for the module. */
static void kh_stash_name_key(struct kh_stash *s, unsigned int i)
{
	struct kh_keyref *r = &s->refs[i];
	const char *desc;

	/* The parser accepted it already. */
	if (!kh_keyring_parse_ref(s->o->keyrings[i], &r->type, &desc))
		snprintf(r->description, sizeof(r->description), "%s", desc);
}

static int kh_stash_passphrase(const char *dev, struct kh_passphrase *pw)
{
	int ret = kh_passphrase_read(dev, pw);

	if (ret == -ENODATA)
		kh_err("no passphrase for %s on standard input", dev);
	else if (ret == -EFBIG)
		kh_err("the passphrase for %s is longer than %d bytes", dev,
		       KH_PASSPHRASE_MAX);
	else if (ret)
		kh_err("cannot read the passphrase for %s: %s", dev,
		       strerror(-ret));
	return ret;
}

static int kh_stash_derive(struct kh_stash *s, unsigned int i,
			   struct crypt_device *cd)
{
	const char *dev = s->dev[i];
	struct kh_entry *e = &s->entries[i];
	struct kh_passphrase own = { NULL, 0 };
	const struct kh_passphrase *pw = &s->key_file;
	int ret;

	if (s->own_key[i]) {
		ret = kh_stash_read_key_file(s->own_key[i], &own);
		if (ret)
			return ret;
		pw = &own;
	} else if (!s->o->key_file) {
		ret = kh_stash_passphrase(dev, &own);
		if (ret)
			return ret;
		pw = &own;
	}
	ret = kh_luks_derive(cd, pw->buf, pw->len, e->key, e->key_size);
	kh_passphrase_free(&own);
	if (ret == -EPERM)
		kh_err("wrong passphrase for %s", dev);
	else if (ret == -ENOENT)
		kh_err("%s has no key slot that can be unlocked", dev);
	else if (ret == -ENOMEM)
		kh_err("not enough memory to derive the key of %s", dev);
	else if (ret)
		kh_err("cannot derive the volume key of %s: %s", dev,
		       strerror(-ret));
	return ret;
}

static int kh_stash_one(struct kh_stash *s, unsigned int i)
{
	struct crypt_device *cd;
	int verdict, ret;

	ret = kh_stash_open(s, i, &cd);
	if (ret)
		return ret;
	ret = kh_stash_describe(s, i, cd);
	if (!ret && !s->refs)
		ret = kh_stash_derive(s, i, cd);
	kh_luks_close(cd);
	if (ret)
		return ret;
	if (s->refs) {
		kh_stash_name_key(s, i);
		return 0;
	}
	/* The module applies the same rules: say which device breaks them. */
	verdict = kh_format_check_entry(&s->entries[i]);
	if (verdict != KH_VERDICT_OK) {
		kh_err("%s cannot be handed over: %s", s->dev[i],
		       kh_format_verdict_str(verdict));
		return -EINVAL;
	}
	return 0;
}

/* The module refused key @i of a keyring-mode arm: say why. */
static void kh_stash_key_error(struct kh_stash *s, unsigned int i, int err)
{
	const struct kh_keyref *r = &s->refs[i];
	const char *type = kh_keyring_type_name(r->type);
	const char *dev = s->dev[i];
	const char *d = r->description;

	switch (-err) {
	case ENOKEY:
		if (kh_keyring_other_type(r->type, d))
			kh_err("%s: no %s key '%s' in your keyrings, but a %s key of that description: say --keyring %%%s:%s",
			       dev, type, d, r->type == KH_KEY_USER ? "logon" : "user",
			       r->type == KH_KEY_USER ? "logon" : "user", d);
		else
			kh_err("%s: no %s key '%s' found in your keyrings", dev,
			       type, d);
		break;
	case EACCES:
		kh_err("%s: %s key '%s': permission denied (you may not search or view it)",
		       dev, type, d);
		break;
	case EKEYREVOKED:
		kh_err("%s: %s key '%s' has been revoked", dev, type, d);
		break;
	case EKEYEXPIRED:
		kh_err("%s: %s key '%s' has expired", dev, type, d);
		break;
	case EMSGSIZE:
		kh_err("%s: %s key '%s' is longer than %d bytes: not a volume key",
		       dev, type, d, KH_KEY_MAX);
		break;
	case EKEYREJECTED:
		kh_err("%s: %s key '%s' is not %u bytes, the size of this volume's key",
		       dev, type, d, r->key_size);
		break;
	default:
		kh_err("%s: %s key '%s': %s", dev, type, d, strerror(-err));
	}
}

static int kh_stash_arm(struct kh_stash *s)
{
	unsigned int i, n = s->n;
	uint32_t failed = n, *size;
	char *uuid, *name;
	int ret;

	if (s->refs)
		ret = kh_handover_arm_keyring(s->fd, s->refs, n,
					      s->o->timeout, &failed);
	else
		ret = kh_handover_arm(s->fd, s->entries, n, s->o->timeout);
	if (ret && failed < n)
		kh_stash_key_error(s, failed, ret);
	else if (ret == -EBUSY)
		kh_pending_error();
	else if (ret == -ESHUTDOWN)
		kh_err("the machine is going down: nothing armed");
	else if (ret)
		kh_device_error("cannot arm the hand-over", ret);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		kh_stash_slots(s, i, &uuid, &name, &size);
		printf("stashed %s as %s (%s)%s\n", s->dev[i], name,
		       uuid, s->refs ? ", key taken from the keyring" : "");
	}
	/* A stash the user was not told about must not stay armed. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ret = errno ? -errno : -EIO;
		kh_handover_wipe(s->fd);
		kh_err("cannot report the stash (%s): wiped it",
		       strerror(-ret));
		return ret;
	}
	return 0;
}

static int kh_stash_run(struct kh_stash *s)
{
	unsigned int i;
	int ret;

	ret = kh_stash_precheck(s);
	if (ret)
		return ret;
	if (s->o->key_file) {
		ret = kh_stash_read_key_file(s->o->key_file, &s->key_file);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->n; i++) {
		ret = kh_stash_one(s, i);
		if (ret)
			return ret;
	}
	return kh_stash_arm(s);
}

/* The volumes named on the command line. */
static void kh_stash_from_args(struct kh_stash *s)
{
	unsigned int i;

	s->n = s->o->n_devices;
	for (i = 0; i < s->n; i++) {
		s->dev[i] = s->o->devices[i];
		s->name[i] = s->o->n_names ? s->o->names[i] : NULL;
	}
}

/* An entry stash can take: its device must open as LUKS here and now. */
static const char *kh_stash_tab_usable(struct kh_stash *s, unsigned int i)
{
	struct crypt_device *cd;
	int ret;

	ret = kh_luks_open(s->dev[i], &cd);
	if (ret == -ENOENT && s->uuid[i]) {
		ret = kh_luks_open_by_uuid(s->uuid[i], &cd);
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
	kh_luks_close(cd);
	return NULL;
}

/* Add crypttab entry @e, or say why it is not handed over. */
static int kh_stash_tab_add(struct kh_stash *s, const struct kh_crypttab_entry *e)
{
	const char *why = e->skip;
	unsigned int i = s->n;

	if (!why && i == KH_MAX_ENTRIES)
		why = "more than 16 volumes";
	if (!why) {
		s->dev[i] = e->device;
		s->uuid[i] = e->uuid;
		s->name[i] = e->name;
		s->own_key[i] = e->key_file[0] ? e->key_file : NULL;
		why = kh_stash_tab_usable(s, i);
	}
	if (why) {
		kh_err("crypttab line %u: %s (%s) not handed over: %s", e->line,
		       e->name[0] ? e->name : "?", e->source[0] ? e->source : "?",
		       why);
		return 0;
	}
	s->n++;
	return 0;
}

/*
 * No DEVICE: every LUKS entry of crypttab, under its crypttab name (the
 * one the initramfs's cryptroot looks for), with its own key file if it
 * has one, else a prompt per volume. Entries that cannot be handed over
 * are listed, one line each, never skipped silently.
 */
static int kh_stash_from_crypttab(struct kh_stash *s)
{
	const char *path = s->o->crypttab ? s->o->crypttab : KH_CRYPTTAB_PATH;
	unsigned int i, count = 0;
	char *text = NULL;
	int ret;

	ret = kh_text_read(path, 1 << 20, &text);
	if (ret) {
		kh_err("cannot read %s: %s", path, strerror(-ret));
		return ret;
	}
	s->tab = calloc(KH_CRYPTTAB_MAX, sizeof(*s->tab));
	ret = s->tab ? kh_crypttab_parse(text, s->tab, KH_CRYPTTAB_MAX, &count) :
		       -ENOMEM;
	free(text);
	if (ret == -E2BIG)
		kh_err("%s has more than %d entries", path, KH_CRYPTTAB_MAX);
	else if (ret)
		kh_err("cannot parse %s: %s", path, strerror(-ret));
	for (i = 0; !ret && i < count; i++)
		ret = kh_stash_tab_add(s, &s->tab[i]);
	if (!ret && !s->n) {
		kh_err("%s lists no LUKS volume that can be handed over", path);
		ret = -ENOENT;
	}
	return ret;
}

/*
 * Keyring mode holds names only, in plain memory: no buffer for a key
 * exists in this process (and kh_secmem_stats() shows none was made).
 */
static int kh_stash_alloc(struct kh_stash *s)
{
	int ret;

	if (s->o->n_keyrings) {
		s->refs = calloc(KH_MAX_ENTRIES, sizeof(*s->refs));
		return s->refs ? 0 : -ENOMEM;
	}
	ret = kh_handover_alloc_entries(&s->entries);
	if (ret)
		kh_err("cannot lock memory for the keys: %s", strerror(-ret));
	return ret;
}

static int kh_cmd_stash(const struct kh_opts *o)
{
	struct kh_stash s = { .o = o };
	int ret;

	/*
	 * libcryptsetup's PBKDF works in memory of its own (argon2's, the
	 * digest's): lock everything this short process maps, as restore does.
	 */
	if (!o->n_keyrings && mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		kh_err("cannot lock memory for the keys: %s", strerror(errno));
		return KH_EXIT_FAILURE;
	}

	s.fd = kh_device_open();
	if (s.fd < 0)
		return KH_EXIT_FAILURE;
	if (o->n_devices) {
		kh_stash_from_args(&s);
		ret = 0;
	} else {
		ret = kh_stash_from_crypttab(&s);
	}
	if (!ret)
		ret = kh_stash_alloc(&s);
	if (ret)
		goto out_free;
	ret = kh_stash_run(&s);
	kh_passphrase_free(&s.key_file);
	if (s.entries)
		kh_handover_free_entries(s.entries);
	free(s.refs);
out_free:
	free(s.tab);
	kh_handover_close(s.fd);
	return ret ? KH_EXIT_FAILURE : KH_EXIT_OK;
}

/* ---- load ----------------------------------------------------------- */

/* What `load` loads: given, or the boot loader's next entry. */
struct kh_load_plan {
	const char *kernel;
	const char *initrd;
	char *cmdline;
	bool derived;			/* the boot loader's: memmap= added */
	struct kh_boot_choice boot;
};

static int kh_load_proc_cmdline(char **out)
{
	int ret = kh_kexec_read_cmdline(out);

	if (ret)
		kh_err("cannot read /proc/cmdline: %s", strerror(-ret));
	return ret;
}

/* The boot loader's next entry (docs/tool.md says which, in order). */
static int kh_load_choose(const struct kh_opts *o, struct kh_load_plan *p)
{
	const char *root = o->root ? o->root : "/";
	int ret = kh_boot_choose(root, &p->boot);

	if (ret == -ESRCH)
		kh_err("%s names no menu entry: give --kernel and --initrd",
		       p->boot.source);
	else if (ret == -ENOEXEC)
		kh_err("%s has no linux or initrd line: give --kernel and --initrd",
		       p->boot.source);
	else if (ret == -ENXIO)
		kh_err("%s names %s and %s, which are not there: give --kernel and --initrd",
		       p->boot.source, p->boot.kernel, p->boot.initrd);
	else if (ret == -EDOM)
		kh_err("%s uses GRUB variables or lines too long to read safely: give --kernel, --initrd and --append",
		       p->boot.source);
	else if (ret)
		kh_err("no boot loader entry under %s and no /boot/vmlinuz and /boot/initrd.img: give --kernel and --initrd",
		       root);
	if (ret)
		return ret;
	p->kernel = p->boot.kernel;
	p->initrd = p->boot.initrd;
	p->derived = true;
	return 0;
}

static int kh_load_cmdline(const struct kh_opts *o, struct kh_load_plan *p)
{
	const char *text = o->append ? o->append : "";

	if (o->reuse_cmdline)
		return kh_load_proc_cmdline(&p->cmdline);
	if (!o->append && p->derived && p->boot.options[0])
		text = p->boot.options;
	else if (!o->append && p->derived)
		return kh_load_proc_cmdline(&p->cmdline);
	p->cmdline = strdup(text);
	if (!p->cmdline) {
		kh_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int kh_load_plan(const struct kh_opts *o, struct kh_load_plan *p)
{
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (o->kernel) {
		p->kernel = o->kernel;
		p->initrd = o->initrd;
	} else {
		ret = kh_load_choose(o, p);
	}
	if (!ret)
		ret = kh_load_cmdline(o, p);
	/* The boot loader's BOOT_IMAGE= describes this boot, not the next. */
	if (!ret && p->derived)
		kh_cmdline_strip_word(p->cmdline, "BOOT_IMAGE");
	return ret;
}

static void kh_load_error(const char *kernel, int err)
{
	switch (-err) {
	case EPERM:
		kh_err("loading %s not permitted (needs CAP_SYS_BOOT; kexec may be disabled by kernel.kexec_load_disabled; under lockdown the image must be signed)",
		       kernel);
		break;
	case EKEYREJECTED:
	case EKEYREVOKED:
	case ENOKEY:
	case EBADMSG:
	case ENODATA:
	case ENOPKG:
		kh_err("the kernel refused the signature of %s: %s", kernel,
		       strerror(-err));
		break;
	case ENOEXEC:
		kh_err("%s is not a kernel image this kernel can load", kernel);
		break;
	case EBUSY:
		kh_err("kexec busy: a kexec is already in progress");
		break;
	default:
		kh_err("cannot load %s: %s", kernel, strerror(-err));
	}
}

/* kernels without kexec_file_load: kexec-tools and the older syscall. */
static int kh_load_fallback(const struct kh_load_plan *p, const char *cmdline)
{
	int status, ret;

	kh_err("kexec_file_load is not available: falling back to kexec_load via kexec-tools");
	fflush(stderr);
	ret = kh_kexec_tools_load(p->kernel, p->initrd, cmdline, &status);
	if (ret == -ENOENT)
		kh_err("kexec-tools not found in PATH, /sbin or /usr/sbin");
	else if (ret == -EIO)
		kh_err("kexec-tools could not load %s (exit status %d)",
		       p->kernel, status);
	else if (ret)
		kh_err("cannot run kexec-tools: %s", strerror(-ret));
	return ret;
}

static int kh_load_image(const char *what, const char *path)
{
	int fd = kh_kexec_open_image(path);

	if (fd < 0)
		kh_err("cannot open %s %s: %s", what, path, strerror(-fd));
	return fd;
}

static int kh_load_kernel(const struct kh_load_plan *p)
{
	const char *cmdline = p->cmdline;
	int kfd, ifd, ret;

	kfd = kh_load_image("kernel", p->kernel);
	if (kfd < 0)
		return kfd;
	ifd = kh_load_image("initrd", p->initrd);
	if (ifd < 0) {
		ret = ifd;
		goto out_close_kernel;
	}
	ret = kh_kexec_file_load(kfd, ifd, cmdline);
	if (ret == -ENOSYS)
		ret = kh_load_fallback(p, cmdline);
	else if (ret)
		kh_load_error(p->kernel, ret);
	close(ifd);
out_close_kernel:
	close(kfd);
	return ret;
}

/* An armed stash must not outlive a kexec that will not happen. */
static void kh_load_abort(void)
{
	struct kh_status st;
	int fd, ret;

	fd = kh_handover_open();
	if (fd == -ENOENT)
		return;
	if (fd < 0) {
		kh_device_error("cannot check for an armed hand-over", fd);
		return;
	}
	ret = kh_handover_status(fd, &st);
	if (!ret && st.state == KH_STATE_ARMED) {
		ret = kh_handover_wipe(fd);
		if (!ret)
			kh_err("wiped the armed hand-over");
	}
	if (ret)
		kh_device_error("cannot wipe the armed hand-over", ret);
	kh_handover_close(fd);
}

/* @cmdline with its keyhandover.nonce= replaced by @nonce, or dropped. */
static int kh_load_set_nonce(char **cmdline, const uint8_t *nonce)
{
	char *bound = NULL;
	int ret;

	ret = kh_cmdline_set_nonce(*cmdline, nonce, &bound);
	if (ret) {
		kh_err("cannot add keyhandover.nonce= to the command line: %s",
		       ret == -E2BIG ? "too long" : strerror(-ret));
		return ret;
	}
	free(*cmdline);
	*cmdline = bound;
	return 0;
}

/* The module's region= value, for the memmap= the next kernel needs. */
static int kh_load_region(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/keyhandover/parameters/region", "re");
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Without the same memmap= the next kernel would take the region as
 * ordinary RAM: its module could not claim it and nothing would ever
 * wipe the key there. Refuse (the caller wipes the stash).
 */
static int kh_load_check_memmap(char **cmdline, bool derived)
{
	char region[128], word[160], param[160];
	int ret = kh_load_region(region, sizeof(region));

	if (ret) {
		kh_err("cannot read the module's region: %s", strerror(-ret));
		return ret;
	}
	snprintf(word, sizeof(word), "memmap=%s", region);
	/*
	 * The boot loader's line lacks them when `setup` has not run: add
	 * them, as the next kernel needs both. A line the user gave is
	 * taken as meant, and refused below.
	 */
	snprintf(param, sizeof(param), "keyhandover.region=%s", region);
	if (derived && (kh_cmdline_add_word(cmdline, word) ||
			kh_cmdline_add_word(cmdline, param))) {
		kh_err("out of memory");
		return -ENOMEM;
	}
	if (kh_cmdline_has_word(*cmdline, word))
		return 0;
	kh_err("the next kernel's command line lacks %s: it would use the key's region as RAM",
	       word);
	return -EINVAL;
}

/*
 * Bind the armed stash to this kexec: the next kernel accepts only the
 * stash whose nonce its command line names. Without a stash the kernel
 * is still loaded (an ordinary kexec), any inherited nonce dropped, and
 * the user is told.
 */
static int kh_load_bind_stash(char **cmdline, bool derived)
{
	struct kh_status st;
	int fd, ret;

	fd = kh_handover_open();
	if (fd == -ENOENT) {
		kh_err("note: module not loaded: the next kernel gets no keys");
		return kh_load_set_nonce(cmdline, NULL);
	}
	if (fd < 0) {
		kh_device_error("cannot open " KH_DEVICE_PATH, fd);
		return fd;
	}
	ret = kh_handover_status(fd, &st);
	kh_handover_close(fd);
	if (ret) {
		kh_device_error("cannot query the hand-over", ret);
		return ret;
	}
	if (st.state != KH_STATE_ARMED) {
		kh_err("note: nothing stashed: the next kernel gets no keys");
		return kh_load_set_nonce(cmdline, NULL);
	}
	/* Kexec HandOver carries its region itself: no memmap= to check. */
	if (st.backend != KH_BACKEND_KHO) {
		ret = kh_load_check_memmap(cmdline, derived);
		if (ret)
			return ret;
	}
	return kh_load_set_nonce(cmdline, st.nonce);
}

static void kh_load_show(const struct kh_load_plan *p)
{
	printf("kernel: %s\ninitrd: %s\ncommand line: %s\nchosen from: %s\n",
	       p->kernel, p->initrd, p->cmdline,
	       p->derived ? p->boot.source : "--kernel and --initrd");
}

static int kh_cmd_load(const struct kh_opts *o)
{
	struct kh_load_plan p;
	int ret;

	ret = kh_load_plan(o, &p);
	if (!ret)
		ret = kh_load_bind_stash(&p.cmdline, p.derived);
	if (!ret && o->dry_run) {
		kh_load_show(&p);
		puts("dry run: nothing loaded");
		free(p.cmdline);
		return KH_EXIT_OK;
	}
	if (!ret)
		ret = kh_load_kernel(&p);
	if (!ret && p.derived)
		kh_load_show(&p);
	free(p.cmdline);
	/* A dry run never wipes: it changed nothing. */
	if (ret) {
		if (!o->dry_run)
			kh_load_abort();
		return KH_EXIT_FAILURE;
	}
	printf("loaded %s with %s\n", p.kernel, p.initrd);
	return KH_EXIT_OK;
}

/* ---- reboot --------------------------------------------------------- */

/*
 * `keyhandover reboot` only makes sense once setup has taken effect: the
 * module loaded (which on the memmap= backend means this kernel reserved
 * the region).
 */
static int kh_reboot_precheck(struct kh_status *st)
{
	int fd = kh_handover_open(), ret;

	if (fd == -ENOENT) {
		kh_err("keyhandover is not set up here: no %s (install it, reserve the region, reboot once, modprobe keyhandover)",
		       KH_DEVICE_PATH);
		return fd;
	}
	if (fd < 0) {
		kh_device_error("cannot open " KH_DEVICE_PATH, fd);
		return fd;
	}
	ret = kh_handover_status(fd, st);
	kh_handover_close(fd);
	if (ret)
		kh_device_error("cannot query the hand-over", ret);
	return ret;
}

static bool kh_have_systemd(void)
{
	return !access("/run/systemd/system", F_OK);
}

/* systemctl kexec: a clean shutdown that ends in the loaded kernel. */
static int kh_reboot_systemctl(void)
{
	char *argv[] = { "systemctl", "kexec", NULL };
	extern char **environ;
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ))
		return -ENOENT;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/*
 * Without systemd there is no service manager to stop things cleanly:
 * sync, then kexec at once, as `kexec -e` does.
 */
static int kh_reboot_now(void)
{
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return -errno;
}

static void kh_reboot_show_how(void)
{
	printf("then: %s\n", kh_have_systemd() ? "systemctl kexec" :
	       "kexec at once (no systemd): sync, then reboot(LINUX_REBOOT_CMD_KEXEC)");
}

/* What reboot would stash, load and run; nothing is done. */
static int kh_reboot_dry_run(const struct kh_opts *o,
			     const struct kh_status *st)
{
	struct kh_stash s = { .o = o };
	struct kh_load_plan p = { 0 };
	unsigned int i;
	int ret = 0;

	if (o->n_devices)
		kh_stash_from_args(&s);
	else
		ret = kh_stash_from_crypttab(&s);
	for (i = 0; !ret && i < s.n; i++)
		printf("would stash %s as %s%s%s\n", s.dev[i],
		       s.name[i] ? s.name[i] : "luks-UUID",
		       o->n_keyrings ? ", key from the keyring " : "",
		       o->n_keyrings ? o->keyrings[i] : "");
	free(s.tab);
	if (!ret)
		ret = kh_load_plan(o, &p);
	if (!ret && st->backend == KH_BACKEND_MEMMAP)
		ret = kh_load_check_memmap(&p.cmdline, p.derived);
	if (!ret) {
		kh_load_show(&p);
		puts("(keyhandover.nonce= is added once the stash is made)");
		kh_reboot_show_how();
		puts("dry run: nothing stashed, loaded or rebooted");
	}
	free(p.cmdline);
	return ret ? KH_EXIT_FAILURE : KH_EXIT_OK;
}

/*
 * stash, load, reboot into the loaded kernel. Every failure after the
 * stash leaves no stash behind: load wipes on its own failures, and a
 * reboot that does not happen wipes here.
 */
static int kh_cmd_reboot(const struct kh_opts *o)
{
	struct kh_status st;
	int ret;

	if (kh_reboot_precheck(&st))
		return KH_EXIT_FAILURE;
	if (o->dry_run)
		return kh_reboot_dry_run(o, &st);
	ret = kh_cmd_stash(o);
	if (ret != KH_EXIT_OK)
		return ret;
	ret = kh_cmd_load(o);
	if (ret != KH_EXIT_OK)
		return ret;
	kh_reboot_show_how();
	fflush(stdout);
	ret = kh_have_systemd() ? kh_reboot_systemctl() : kh_reboot_now();
	if (ret) {
		kh_err("the kexec did not start (%s)", strerror(-ret));
		kh_load_abort();
		return KH_EXIT_FAILURE;
	}
	return KH_EXIT_OK;
}

/* ---- setup ---------------------------------------------------------- */

/* The region: kept from an existing drop-in, else picked from the map. */
static int kh_setup_choose(const char *dropin, uint64_t *size, uint64_t *addr,
			   char **old)
{
	struct kh_fwmap_range r[256];
	unsigned int n;
	int ret;

	*old = NULL;
	ret = kh_text_read(dropin, 1 << 16, old);
	if (ret && ret != -ENOENT) {
		kh_err("cannot read %s: %s", dropin, strerror(-ret));
		return ret;
	}
	if (!ret && !kh_setup_dropin_region(*old, size, addr))
		return 0;
	*size = KH_SETUP_SIZE;
	ret = kh_setup_read_fwmap(KH_SETUP_FWMAP, r, 256, &n);
	if (ret) {
		kh_err("cannot read the firmware memory map (%s): %s",
		       KH_SETUP_FWMAP, strerror(-ret));
		return ret;
	}
	ret = kh_setup_pick(r, n, *size, addr);
	if (ret)
		kh_err("no page of RAM to reserve in the firmware memory map");
	return ret;
}

/* Written whole or not at all: update-grub sources whatever is there. */
static int kh_setup_write(const char *path, const char *text)
{
	char dir[KH_BOOT_STR], tmp[KH_BOOT_STR + 8];
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

static int kh_setup_update_grub(void)
{
	char *argv[] = { "update-grub", NULL };
	extern char **environ;
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "update-grub", NULL, NULL, argv, environ)) {
		kh_err("update-grub not found: run grub-mkconfig -o /boot/grub/grub.cfg");
		return -ENOENT;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		kh_err("update-grub failed");
		return -EIO;
	}
	return 0;
}

static void kh_setup_next_steps(const char *region)
{
	printf("region: %s\n"
	       "next: reboot once, normally (the passphrase is asked as usual), so that the kernel reserves the region;\n"
	       "      then 'keyhandover setup --check' says whether it took effect, and 'keyhandover reboot' does the rest\n",
	       region);
}

/* One line of setup --check; the count of failures goes up on "no". */
static void kh_setup_report(bool ok, const char *what, unsigned int *bad)
{
	printf("%s: %s\n", ok ? "ok" : "missing", what);
	*bad += !ok;
}

/* "07000000-07000fff : Reserved" (or claimed by the module) in iomem. */
static bool kh_setup_iomem_reserved(uint64_t size, uint64_t addr)
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

static int kh_setup_check(const char *dropin)
{
	char region[128], word[160], *cmdline = NULL, *old = NULL;
	uint64_t size = 0, addr = 0;
	unsigned int bad = 0;
	struct kh_status st;
	int fd;

	fd = kh_handover_open();
	if (fd >= 0 && !kh_handover_status(fd, &st) &&
	    st.backend == KH_BACKEND_KHO) {
		kh_handover_close(fd);
		puts("ok: the module uses Kexec HandOver: no reservation needed");
		return KH_EXIT_OK;
	}
	kh_handover_close(fd);
	if (!kh_load_region(region, sizeof(region))) {
		/* The module's own region= is the truth once it is loaded. */
	} else if (!kh_text_read(dropin, 1 << 16, &old) &&
		   !kh_setup_dropin_region(old, &size, &addr)) {
		kh_setup_region_str(region, sizeof(region), size, addr);
	} else {
		free(old);
		kh_err("no region to check: the module is not loaded and %s does not exist (run keyhandover setup)",
		       dropin);
		return KH_EXIT_FAILURE;
	}
	free(old);
	if (kh_kexec_read_cmdline(&cmdline))
		return KH_EXIT_FAILURE;
	snprintf(word, sizeof(word), "memmap=%s", region);
	kh_setup_report(kh_cmdline_has_word(cmdline, word),
			"this kernel was booted with memmap= of the region", &bad);
	snprintf(word, sizeof(word), "keyhandover.region=%s", region);
	kh_setup_report(kh_cmdline_has_word(cmdline, word),
			"keyhandover.region= on the command line (modprobe passes it to the module)",
			&bad);
	free(cmdline);
	kh_setup_report(!kh_setup_region_parse(region, &size, &addr) &&
			kh_setup_iomem_reserved(size, addr),
			"the region is reserved in /proc/iomem", &bad);
	kh_setup_report(!access(KH_DEVICE_PATH, F_OK),
			"the module holds it (" KH_DEVICE_PATH ")", &bad);
	printf("region: %s\n", region);
	return bad ? KH_EXIT_FAILURE : KH_EXIT_OK;
}

static int kh_cmd_setup(const struct kh_opts *o)
{
	const char *root = o->root && strcmp(o->root, "/") ? o->root : "";
	char path[KH_BOOT_STR], text[1024], region[128], *old = NULL;
	uint64_t size, addr;
	int ret;

	if (snprintf(path, sizeof(path), "%s%s", root, KH_SETUP_DROPIN) >=
	    (int)sizeof(path)) {
		kh_err("--root is too long");
		return KH_EXIT_FAILURE;
	}
	/* A mounted system: its root must be there (a typo must not be). */
	if (*root && access(root, F_OK) < 0) {
		kh_err("--root %s: %s", root, strerror(errno));
		return KH_EXIT_FAILURE;
	}
	if (o->check)
		return kh_setup_check(path);
	ret = kh_setup_choose(path, &size, &addr, &old);
	if (ret) {
		free(old);
		return KH_EXIT_FAILURE;
	}
	kh_setup_dropin(text, sizeof(text), size, addr);
	kh_setup_region_str(region, sizeof(region), size, addr);
	if (old && !strcmp(old, text)) {
		printf("already set up: %s reserves %s; nothing changed\n", path,
		       region);
	} else if (o->dry_run) {
		printf("would write %s:\n%s", path, text);
		if (!*root)
			puts("would run: update-grub");
		puts("dry run: nothing changed");
	} else {
		ret = kh_setup_write(path, text);
		if (ret)
			kh_err("cannot write %s: %s", path, strerror(-ret));
		else
			printf("wrote %s\n", path);
		if (!ret && !*root)
			ret = kh_setup_update_grub();
		else if (!ret)
			printf("not running update-grub for --root: run it in that system\n");
	}
	free(old);
	if (ret)
		return KH_EXIT_FAILURE;
	kh_setup_next_steps(region);
	return KH_EXIT_OK;
}

/* ---- restore -------------------------------------------------------- */

static int kh_restore_find(const struct kh_entry *e, struct crypt_device **cd)
{
	int ret = kh_luks_open_by_uuid(e->uuid, cd);

	if (ret == -ENODEV)
		kh_err("%s: no such device here, skipped", e->uuid);
	else if (ret == -ENOTUNIQ)
		kh_err("%s: more than one device carries this UUID, skipped",
		       e->uuid);
	else if (ret == -EINVAL)
		kh_err("%s: not a valid UUID, skipped", e->uuid);
	else if (ret)
		kh_err("%s: cannot look for the device: %s", e->uuid,
		       strerror(-ret));
	return ret;
}

/* The module validated the entry; NUL-termination is cheap to keep. */
static int kh_restore_check_entry(const struct kh_entry *e)
{
	if (!memchr(e->uuid, 0, sizeof(e->uuid)) ||
	    !memchr(e->name, 0, sizeof(e->name)) || e->key_size > KH_KEY_MAX) {
		kh_err("a malformed entry was skipped");
		return -EINVAL;
	}
	return 0;
}

/* Open already, under whatever name (crypttab's, say)? */
static bool kh_restore_is_open(const struct kh_entry *e)
{
	char open_as[KH_NAME_LEN];

	if (!kh_luks_find_mapping(e->uuid, open_as, sizeof(open_as)))
		return false;
	printf("%s: already open as /dev/mapper/%s\n", e->uuid, open_as);
	return true;
}

/* Open @e's volume; 0 when it is open (now or already), else -errno. */
static int kh_restore_activate(struct crypt_device *cd,
			       const struct kh_entry *e)
{
	const char *dev = kh_luks_path(cd);
	int ret;

	ret = kh_luks_activate(cd, e->name, e->key, e->key_size);
	if (!ret)
		printf("%s: opened as /dev/mapper/%s\n", dev, e->name);
	else if (ret == KH_LUKS_ALREADY_OPEN)
		printf("%s: already open as /dev/mapper/%s\n", dev, e->name);
	else if (ret == -EPERM)
		kh_err("key does not match the LUKS header of %s", dev);
	else if (ret == -EEXIST)
		kh_err("%s: /dev/mapper/%s already exists for another device",
		       dev, e->name);
	else
		kh_err("cannot open %s as %s: %s", dev, e->name,
		       strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int kh_restore_one(struct kh_entry *e)
{
	struct crypt_device *cd;
	int ret;

	ret = kh_restore_check_entry(e);
	if (ret)
		return ret;
	if (kh_restore_is_open(e))
		return 0;
	ret = kh_restore_find(e, &cd);
	if (ret)
		return ret;
	ret = kh_restore_activate(cd, e);
	kh_luks_close(cd);
	return ret;
}

/* --to-keyring: where the keys go, and for how long. */
struct kh_restore_ring {
	const struct kh_opts *o;
	int32_t ring;
	unsigned int timeout;
};

static void kh_restore_keyring_error(const char *dev, const char *name,
				     int err)
{
	if (err == -EEXIST)
		kh_err("%s: a user key %s%s is in the keyring already: left as it is, this key not added",
		       dev, KH_KEYRING_PREFIX, name);
	else if (err == -EDQUOT)
		kh_err("%s: key quota exhausted: key %s%s not added",
		       dev, KH_KEYRING_PREFIX, name);
	else
		kh_err("%s: cannot add key %s%s: %s", dev, KH_KEYRING_PREFIX,
		       name, strerror(-err));
}

/*
 * Checked against the LUKS header first: a key that does not open the
 * volume never reaches a keyring. With --open the tool opens the volume
 * too and then revokes the key it no longer needs.
 */
static int kh_restore_keyring_one(const struct kh_restore_ring *kr,
				  struct kh_entry *e)
{
	struct crypt_device *cd;
	const char *dev;
	int32_t id;
	int ret;

	ret = kh_restore_check_entry(e);
	if (!ret)
		ret = kh_restore_find(e, &cd);
	if (ret)
		return ret;
	dev = kh_luks_path(cd);
	ret = kh_luks_verify(cd, e->key, e->key_size);
	if (ret == -EPERM)
		kh_err("key does not match the LUKS header of %s", dev);
	else if (ret)
		kh_err("cannot check the key of %s: %s", dev, strerror(-ret));
	if (!ret) {
		ret = kh_keyring_add(kr->ring, e->name, e->key, e->key_size,
				     kr->timeout, &id);
		if (ret)
			kh_restore_keyring_error(dev, e->name, ret);
		else
			printf("%s: key added as user key %s%s, expires in %u s\n",
			       dev, KH_KEYRING_PREFIX, e->name, kr->timeout);
	}
	if (!ret && kr->o->open && !kh_restore_activate(cd, e) &&
	    !kh_keyring_revoke(kr->ring, id))
		printf("%s: key %s%s revoked\n", dev, KH_KEYRING_PREFIX,
		       e->name);
	kh_luks_close(cd);
	return ret;
}

static int kh_restore_open_ring(const struct kh_opts *o,
				struct kh_restore_ring *kr)
{
	const char *spec = o->keyring ? o->keyring : "@u";
	int32_t parent;
	int ret;

	kr->o = o;
	kr->timeout = o->key_timeout ? o->key_timeout : KH_KEYRING_TIMEOUT;
	ret = kh_keyring_parse_parent(spec, &parent);
	if (!ret)
		ret = kh_keyring_open_ring(parent, &kr->ring);
	if (ret == -EDQUOT)
		kh_err("key quota exhausted: cannot make keyring %s in %s",
		       KH_KEYRING_NAME, spec);
	else if (ret)
		kh_err("cannot use keyring %s in %s: %s", KH_KEYRING_NAME,
		       spec, strerror(-ret));
	return ret;
}

/* Returns the exit code: the verdict decides before any volume is tried. */
static int kh_restore_entries(const struct kh_opts *o,
			      struct kh_entry *entries, uint32_t count,
			      uint32_t verdict)
{
	struct kh_restore_ring kr;
	unsigned int i, failed = 0;
	bool verbose = o->verbose;

	/* Every normal boot ends here: quiet, unless asked. */
	if (verdict == KH_VERDICT_EMPTY ||
	    (verdict == KH_VERDICT_OK && !count)) {
		if (verbose)
			kh_err("nothing was handed over");
		return KH_EXIT_NOTHING;
	}
	if (verdict != KH_VERDICT_OK) {
		kh_err("refused the handed-over region: %s",
		       kh_format_verdict_str(verdict));
		return KH_EXIT_FAILURE;
	}
	/* The region is gone already: the passphrase is the way back. */
	if (o->to_keyring && kh_restore_open_ring(o, &kr))
		return KH_EXIT_FAILURE;
	for (i = 0; i < count; i++) {
		if (o->to_keyring ? kh_restore_keyring_one(&kr, &entries[i]) :
				    kh_restore_one(&entries[i]))
			failed++;
		explicit_bzero(entries[i].key, sizeof(entries[i].key));
	}
	return failed ? KH_EXIT_FAILURE : KH_EXIT_OK;
}

/*
 * The nonce `keyhandover load` put on this kernel's command line. Without
 * one every stash is stale: all zero never matches a real nonce.
 */
static void kh_restore_nonce(uint8_t nonce[KH_NONCE_LEN])
{
	char *cmdline = NULL;
	int ret;

	memset(nonce, 0, KH_NONCE_LEN);
	ret = kh_kexec_read_cmdline(&cmdline);
	if (!ret)
		ret = kh_cmdline_get_nonce(cmdline, nonce);
	free(cmdline);
	if (ret == -EINVAL)
		kh_err("note: malformed keyhandover.nonce= on the command line");
}

static int kh_cmd_restore(const struct kh_opts *o)
{
	uint8_t nonce[KH_NONCE_LEN];
	struct kh_entry *entries;
	uint32_t count = 0, verdict = KH_VERDICT_EMPTY;
	int fd, ret;

	/*
	 * libcryptsetup copies the key into buffers of its own (wiped on
	 * free, but not locked): lock everything this short process maps.
	 */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		kh_err("cannot lock memory for the keys: %s", strerror(errno));
		return KH_EXIT_FAILURE;
	}
	kh_restore_nonce(nonce);
	fd = kh_device_open();
	if (fd < 0)
		return KH_EXIT_FAILURE;
	ret = kh_handover_alloc_entries(&entries);
	if (ret) {
		kh_err("cannot lock memory for the keys: %s", strerror(-ret));
		kh_handover_close(fd);
		return KH_EXIT_FAILURE;
	}
	ret = kh_handover_read(fd, nonce, entries, &count, &verdict);
	kh_handover_close(fd);
	if (ret == -EBUSY) {
		kh_err("this kernel armed the hand-over: restore runs in the next kernel");
		ret = KH_EXIT_FAILURE;
	} else if (ret) {
		if (ret == -ESHUTDOWN)
			kh_err("the machine is going down: nothing read");
		else
			kh_device_error("cannot read the hand-over", ret);
		ret = KH_EXIT_FAILURE;
	} else {
		ret = kh_restore_entries(o, entries, count, verdict);
	}
	kh_handover_free_entries(entries);
	return ret;
}

/* ---- status, wipe --------------------------------------------------- */

static const char *kh_state_str(uint32_t state)
{
	static const char *const names[] = {
		[KH_STATE_EMPTY] = "empty",
		[KH_STATE_ARMED] = "armed",
		[KH_STATE_PENDING] = "pending",
		[KH_STATE_INVALID] = "invalid",
		[KH_STATE_CONSUMED] = "consumed",
	};

	if (state < sizeof(names) / sizeof(names[0]))
		return names[state];
	return "unknown";
}

static int kh_cmd_status(const struct kh_opts *o)
{
	struct kh_status st;
	int fd, ret;

	(void)o;
	fd = kh_device_open();
	if (fd < 0)
		return KH_EXIT_FAILURE;
	ret = kh_handover_status(fd, &st);
	kh_handover_close(fd);
	if (ret) {
		kh_device_error("cannot query the hand-over", ret);
		return KH_EXIT_FAILURE;
	}
	if (st.state == KH_STATE_INVALID)
		printf("state: invalid (%s)\n",
		       kh_format_verdict_str(st.verdict));
	else
		printf("state: %s\n", kh_state_str(st.state));
	printf("entries: %u\ncapacity: %u\nregion size: %llu bytes\n"
	       "format version: %u\nbackend: %s\n", st.count, st.capacity,
	       (unsigned long long)st.region_size, st.format_version,
	       st.backend == KH_BACKEND_KHO ? "kho (Kexec HandOver)" :
	       st.backend == KH_BACKEND_MEMMAP ? "memmap" : "unknown");
	if (st.expires_in)
		printf("wiped in: %u s unless collected\n", st.expires_in);
	return KH_EXIT_OK;
}

static int kh_cmd_wipe(const struct kh_opts *o)
{
	int fd, ret;

	(void)o;
	fd = kh_device_open();
	if (fd < 0)
		return KH_EXIT_FAILURE;
	ret = kh_handover_wipe(fd);
	kh_handover_close(fd);
	if (ret) {
		kh_device_error("cannot wipe the hand-over", ret);
		return KH_EXIT_FAILURE;
	}
	puts("wiped");
	return KH_EXIT_OK;
}

/* The dispatcher and the usage text: one line per command. */
static const struct kh_cli_cmd kh_commands[] = {
	{ "stash", kh_cmd_stash, KH_CLI_STASH,
	  "derive the volume keys of LUKS DEVICEs (or take them from the keyring) and arm the hand-over" },
	{ "load", kh_cmd_load, KH_CLI_LOAD,
	  "load the next kernel; wipes an armed hand-over if that fails" },
	{ "reboot", kh_cmd_reboot, KH_CLI_REBOOT,
	  "stash (crypttab by default), load what the boot loader would boot, and kexec into it" },
	{ "restore", kh_cmd_restore, KH_CLI_RESTORE,
	  "in the new kernel: read the hand-over once and open the volumes (or put the keys into a keyring)" },
	{ "setup", kh_cmd_setup, KH_CLI_SETUP,
	  "reserve the region at boot: a GRUB drop-in with memmap= and keyhandover.region=" },
	{ "status", kh_cmd_status, KH_CLI_STATUS,
	  "show the state of the hand-over region (never a key)" },
	{ "wipe", kh_cmd_wipe, KH_CLI_WIPE, "wipe the hand-over region" },
	{ NULL, NULL, 0, NULL },
};

static int kh_show(const struct kh_opts *o)
{
	if (o->action == KH_CLI_VERSION)
		printf("keyhandover %s (handover format %d)\n", KH_VERSION,
		       KH_FORMAT_VERSION);
	else if (o->cmd)
		kh_cli_cmd_usage(stdout, o->cmd);
	else
		kh_cli_usage(stdout, kh_commands);
	return KH_EXIT_OK;
}

/* KEYHANDOVER_DEBUG_SECMEM=1: how many secret buffers this run made. */
static void kh_debug_secmem(void)
{
	size_t count, bytes;

	if (!getenv("KEYHANDOVER_DEBUG_SECMEM"))
		return;
	kh_secmem_stats(&count, &bytes);
	fprintf(stderr, "keyhandover: debug: %zu secret buffers, %zu bytes\n",
		count, bytes);
}

int main(int argc, char **argv)
{
	char err[KH_CLI_ERR_LEN];
	struct kh_opts o;
	int ret;

	/* A closed stdout must end in a wipe, not in death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = kh_secmem_harden_process();
	if (ret) {
		kh_err("cannot disable core dumps: %s", strerror(-ret));
		return KH_EXIT_FAILURE;
	}
	if (kh_cli_parse(argc, argv, kh_commands, &o, err, sizeof(err))) {
		kh_err("%s", err);
		return KH_EXIT_USAGE;
	}
	if (o.action != KH_CLI_RUN) {
		ret = kh_show(&o);
	} else {
		kh_luks_set_verbose(o.verbose);
		ret = o.cmd->run(&o);
	}
	kh_debug_secmem();
	/* A lost "stashed ..." line must not look like success. */
	if (fflush(stdout) && ret == KH_EXIT_OK) {
		kh_err("cannot write output: %s", strerror(errno));
		ret = KH_EXIT_FAILURE;
	}
	return ret;
}
