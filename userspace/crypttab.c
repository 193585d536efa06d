// SPDX-License-Identifier: GPL-2.0
/*
 * /etc/crypttab for `keyhandover stash` with no DEVICE: every LUKS entry
 * is handed over under its crypttab name (the name the initramfs's
 * cryptroot looks for, so that it finds the volume open), with its key
 * file if it has one, else a prompt. An entry stash cannot hand over gets
 * a reason, which the caller prints: never skipped silently.
 *
 * Format (crypttab(5)): "name source [keyfile [options]]", blank lines and
 * '#' comments ignored; source is a path or UUID=, PARTUUID=, LABEL=,
 * PARTLABEL=; keyfile "none", "-" or absent means a passphrase prompt.
 * Options are split as systemd-cryptsetup splits them ("\," is a comma).
 * restore reads it too: the line of each volume it opens, for the dm-crypt
 * options to open it with and its link-volume-key=.
 * Pure parsing: no file, device, keyring or terminal is touched here.
 */
#include <errno.h>
#include <keyutils.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypttab.h"
#include "format.h"
#include "keyring.h"

#define KHU_LINK_OPT	"link-volume-key"

/* The next whitespace-separated field of *@p into @out; false at the end. */
static bool khu_crypttab_field(const char **p, char *out, size_t len,
			       bool *too_long)
{
	const char *s = *p, *e;

	s += strspn(s, " \t");
	if (!*s)
		return false;
	e = s + strcspn(s, " \t");
	if ((size_t)(e - s) >= len) {
		*too_long = true;
		out[0] = '\0';
	} else {
		memcpy(out, s, e - s);
		out[e - s] = '\0';
	}
	*p = e;
	return true;
}

/*
 * The next option of @*p, as systemd-cryptsetup splits its options field
 * (extract_first_word() with EXTRACT_DONT_COALESCE_SEPARATORS and
 * EXTRACT_UNESCAPE_SEPARATORS): at each ',', where "\," is a comma inside
 * the option and "\\" a backslash; quotes are plain characters. systemd
 * refuses the whole field for any other escape or a trailing backslash:
 * then *@bad is set, and the backslash kept, so that the options that are
 * not systemd's alone (Debian's cryptroot splits at every ',') still count.
 * false once the field is done. @len is the field's size: nothing is cut.
 */
static bool khu_crypttab_opt(const char **p, char *out, size_t len, bool *bad)
{
	const char *s = *p;
	size_t n = 0;

	if (!s)
		return false;
	for (; *s && *s != ','; s++) {
		char c = *s;

		if (c == '\\' && (s[1] == ',' || s[1] == '\\'))
			c = *++s;
		else if (c == '\\')
			*bad = true;
		if (n + 1 < len)
			out[n++] = c;
	}
	out[n] = '\0';
	*p = *s ? s + 1 : NULL;
	return true;
}

/* Is @opt (exactly, or as "opt=...") one of the options @opts? */
static bool khu_crypttab_has(const char *opts, const char *opt)
{
	char word[KHU_CRYPTTAB_FIELD];
	size_t n = strlen(opt);
	bool bad = false;

	while (khu_crypttab_opt(&opts, word, sizeof(word), &bad))
		if (!strncmp(word, opt, n) && (!word[n] || word[n] == '='))
			return true;
	return false;
}

/*
 * The activation options, each spelling systemd-cryptsetup and Debian's
 * cryptroot accept; the first of a flag's spellings is the one said.
 */
static const struct {
	const char *opt;
	unsigned int flag;
} khu_crypttab_flag_opts[] = {
	{ "discard", KHU_CRYPTTAB_DISCARD },
	{ "readonly", KHU_CRYPTTAB_READONLY },
	{ "read-only", KHU_CRYPTTAB_READONLY },
	{ "same-cpu-crypt", KHU_CRYPTTAB_SAME_CPU_CRYPT },
	{ "submit-from-crypt-cpus", KHU_CRYPTTAB_SUBMIT_FROM_CRYPT_CPUS },
	{ "no-read-workqueue", KHU_CRYPTTAB_NO_READ_WORKQUEUE },
	{ "no-write-workqueue", KHU_CRYPTTAB_NO_WRITE_WORKQUEUE },
};

#define KHU_CRYPTTAB_NFLAGS \
	(sizeof(khu_crypttab_flag_opts) / sizeof(khu_crypttab_flag_opts[0]))

/*
 * The activation options of @opts, as KHU_CRYPTTAB_* bits. Whole words
 * only, as both readers compare them ("discard=1" is not discard). An
 * escape systemd refuses does not stop them: Debian's cryptroot, which
 * splits at every ',', applies them all the same.
 */
static unsigned int khu_crypttab_flags(const char *opts)
{
	char word[KHU_CRYPTTAB_FIELD];
	unsigned int flags = 0;
	bool bad = false;
	size_t i;

	while (khu_crypttab_opt(&opts, word, sizeof(word), &bad))
		for (i = 0; i < KHU_CRYPTTAB_NFLAGS; i++)
			if (!strcmp(word, khu_crypttab_flag_opts[i].opt))
				flags |= khu_crypttab_flag_opts[i].flag;
	return flags;
}

/*
 * @flags as crypttab would write them ("discard,readonly") into @buf of
 * @len bytes; "" for none. For messages: the options a volume was opened
 * with.
 */
void khu_crypttab_flag_names(unsigned int flags, char *buf, size_t len)
{
	size_t i, n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < KHU_CRYPTTAB_NFLAGS && n < len; i++) {
		if (!(flags & khu_crypttab_flag_opts[i].flag))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
			      khu_crypttab_flag_opts[i].opt);
		/* readonly and read-only: said once. */
		flags &= ~khu_crypttab_flag_opts[i].flag;
	}
}

/*
 * The value of the last "@opt=..." of @opts into @out (systemd's last one
 * wins), unescaped; false when there is none. *@bad: the field has an
 * escape systemd refuses.
 */
static bool khu_crypttab_value(const char *opts, const char *opt, char *out,
			       size_t len, bool *bad)
{
	char word[KHU_CRYPTTAB_FIELD];
	size_t n = strlen(opt);
	bool found = false;

	while (khu_crypttab_opt(&opts, word, sizeof(word), bad)) {
		if (!strncmp(word, opt, n) && word[n] == '=') {
			snprintf(out, len, "%s", word + n + 1);
			found = true;
		}
	}
	return found;
}

/*
 * link-volume-key='s keyring, as systemd hands it to libcryptsetup: a
 * well-known keyring, or one found by its description ("%:NAME",
 * "%keyring:NAME", or a bare NAME, to which systemd adds "%:", also when
 * NAME is a number: systemd takes no keyring id).
 */
static const char *khu_crypttab_link_ring(struct khu_crypttab_link *l,
					  const char *ring)
{
	const char *name = ring;

	if (!khu_keyring_special(ring, &l->ring))
		return NULL;
	if (ring[0] == '@')
		return "link-volume-key= names an unknown keyring (@u, @s, @us, @p, @t, %:NAME or NAME)";
	if (!strncmp(ring, "%:", 2))
		name = ring + 2;
	else if (!strncmp(ring, "%keyring:", 9))
		name = ring + 9;
	else if (ring[0] == '%')
		return "link-volume-key= names a keyring of another type (a keyring by name is %:NAME, %keyring:NAME or NAME)";
	if (!*name)
		return "link-volume-key= names no keyring";
	if (snprintf(l->ring_name, sizeof(l->ring_name), "%s", name) >=
	    (int)sizeof(l->ring_name))
		return "link-volume-key= names a keyring longer than 255 characters";
	return NULL;
}

/*
 * link-volume-key='s key: "[%TYPE:]DESCRIPTION", TYPE "user" when it is
 * left out (systemd's default, where --keyring's bare name means logon),
 * checked as --keyring checks a KEY.
 */
static const char *khu_crypttab_link_key(struct khu_crypttab_link *l,
					 const char *key)
{
	char ref[KHU_CRYPTTAB_FIELD + 8];
	const char *desc = key;
	int ret;

	if (key[0] == '%') {
		desc = strchr(key, ':');
		if (!desc)
			return "link-volume-key= has %TYPE without ':' before the key's description";
		desc++;
	}
	if (!*desc)
		return "link-volume-key= names no key description";
	snprintf(ref, sizeof(ref), "%s%s", key[0] == '%' ? "" : "%user:", key);
	ret = khu_keyring_parse_ref(ref, &l->type, &desc);
	if (ret == -EPROTOTYPE)
		return "link-volume-key= names a key type other than user or logon";
	if (ret == -ENAMETOOLONG)
		return "link-volume-key= names a key description longer than 255 characters";
	if (ret)
		return "link-volume-key= names a logon key whose description is not SERVICE:NAME";
	snprintf(l->description, sizeof(l->description), "%s", desc);
	snprintf(l->ref, sizeof(l->ref), "%%%s:%s",
		 khu_keyring_type_name(l->type), desc);
	return NULL;
}

/*
 * link-volume-key= of @opts into @l; why keyhandover takes no key by it
 * (malformed, or a keyring the key would not outlast), or NULL.
 */
static const char *khu_crypttab_link(struct khu_crypttab_link *l,
				     const char *opts)
{
	char ring[sizeof(l->value)];
	const char *sep, *why;
	bool bad = false;

	if (!khu_crypttab_value(opts, KHU_LINK_OPT, l->value, sizeof(l->value),
				&bad))
		return NULL;
	if (bad)
		return "link-volume-key= stands in options with a backslash escape systemd does not read (only \\, and \\\\)";
	sep = strstr(l->value, "::");
	if (!sep)
		return "link-volume-key= has no '::' between the keyring and the key";
	snprintf(ring, sizeof(ring), "%.*s", (int)(sep - l->value), l->value);
	why = khu_crypttab_link_ring(l, ring);
	if (!why)
		why = khu_crypttab_link_key(l, sep + 2);
	if (!why && l->ring && l->ring != KEY_SPEC_USER_KEYRING &&
	    l->ring != KEY_SPEC_USER_SESSION_KEYRING)
		why = "link-volume-key= names @s, @p or @t, the linking process's own keyrings, which the next reboot's stash does not share (use @u)";
	return why;
}

/* The rule the module applies to a mapping name: the codec's own. */
static bool khu_crypttab_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len < KH_NAME_LEN &&
	       kh_format_check_name(name, len + 1) == KH_VERDICT_OK;
}

/* Where to open @source: a path, or a udev link for the tag forms. */
static const char *khu_crypttab_device(struct khu_crypttab_entry *e)
{
	static const struct {
		const char *tag;
		const char *dir;
	} tags[] = {
		{ "UUID=", "/dev/disk/by-uuid/" },
		{ "PARTUUID=", "/dev/disk/by-partuuid/" },
		{ "LABEL=", "/dev/disk/by-label/" },
		{ "PARTLABEL=", "/dev/disk/by-partlabel/" },
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i].tag);

		if (strncmp(e->source, tags[i].tag, n))
			continue;
		if (!e->source[n])
			return "an empty tag for its source";
		if (snprintf(e->device, sizeof(e->device), "%s%s", tags[i].dir,
			     e->source + n) >= (int)sizeof(e->device))
			return "a source name too long";
		/* Without udev there is no link: stash then scans for it. */
		if (i == 0)
			e->uuid = e->source + n;
		return NULL;
	}
	if (e->source[0] != '/')
		return "a source that is neither a path nor UUID=, PARTUUID=, LABEL=, PARTLABEL=";
	snprintf(e->device, sizeof(e->device), "%s", e->source);
	return NULL;
}

/*
 * Why stash cannot hand over the volume of @e with options @opts. A line
 * whose name or source cannot be read is ->unreadable as well: it names
 * no volume. The others still name one, whose dm-crypt options restore
 * applies (khu_crypttab_find), so their device and link-volume-key= are
 * read too; a key is linked only for a line stash hands over
 * (khu_crypttab_links()).
 */
static const char *khu_crypttab_skip(struct khu_crypttab_entry *e,
				     const char *opts)
{
	static const struct {
		const char *opt;
		const char *why;
	} refused[] = {
		{ "plain", "plain dm-crypt, not LUKS (no header to check a key against)" },
		{ "tcrypt", "TrueCrypt/VeraCrypt, not LUKS" },
		{ "bitlk", "BitLocker, not LUKS" },
		{ "fvault2", "FileVault2, not LUKS" },
		{ "swap", "swap with a throw-away key" },
		{ "tmp", "tmp with a throw-away key" },
		{ "keyscript", "keyscript= (the key comes from a program)" },
		{ "header", "a detached LUKS header (header=): not supported; the next kernel finds a volume by the LUKS header on its own device" },
		{ "keyfile-offset", "keyfile-offset= (not supported yet)" },
		{ "keyfile-size", "keyfile-size= (not supported yet)" },
		{ "noauto", "noauto (not opened at boot)" },
	};
	const char *bad_source;
	size_t i;

	if (!khu_crypttab_name_ok(e->name)) {
		e->unreadable = true;
		return "a name that is not a usable mapping name";
	}
	bad_source = khu_crypttab_device(e);
	e->unreadable = bad_source != NULL;
	/* Not a reason to leave the volume out: its passphrase still opens it. */
	e->link.unusable = khu_crypttab_link(&e->link, opts);
	/* A line that names no volume says so first: the rest is moot. */
	if (bad_source)
		return bad_source;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (khu_crypttab_has(opts, refused[i].opt))
			return refused[i].why;
	if (!strncmp(e->key_file, "/dev/", 5))
		return "a key file that is a device (random key, or a key on raw media)";
	if (strchr(e->key_file, ':'))
		return "a key file on another device (path:device)";
	return NULL;
}

static void khu_crypttab_line(const char *line, unsigned int nr,
			      struct khu_crypttab_entry *e)
{
	char opts[KHU_CRYPTTAB_FIELD] = "";
	bool too_long = false;
	const char *p = line;

	memset(e, 0, sizeof(*e));
	e->line = nr;
	khu_crypttab_field(&p, e->name, sizeof(e->name), &too_long);
	if (!khu_crypttab_field(&p, e->source, sizeof(e->source), &too_long)) {
		e->skip = "no source device";
		e->unreadable = true;
		return;
	}
	khu_crypttab_field(&p, e->key_file, sizeof(e->key_file), &too_long);
	khu_crypttab_field(&p, opts, sizeof(opts), &too_long);
	if (too_long) {
		e->skip = "a field too long";
		e->unreadable = true;
		return;
	}
	if (!strcmp(e->key_file, "none") || !strcmp(e->key_file, "-"))
		e->key_file[0] = '\0';
	e->flags = khu_crypttab_flags(opts);
	e->skip = khu_crypttab_skip(e, opts);
}

/* Does @e's link-volume-key= name a key that keyhandover takes and links? */
bool khu_crypttab_links(const struct khu_crypttab_entry *e)
{
	return !e->skip && e->link.ref[0] && !e->link.unusable;
}

/*
 * One key cannot stand for two volumes: the module would find one of
 * them for both. The first line keeps it; a later one is left to its
 * passphrase or key file.
 */
static void khu_crypttab_dups(struct khu_crypttab_entry *tab, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		const struct khu_crypttab_link *l = &tab[i].link;

		for (j = 0; j < i && khu_crypttab_links(&tab[i]); j++)
			if (khu_crypttab_links(&tab[j]) &&
			    tab[j].link.type == l->type &&
			    !strcmp(tab[j].link.description, l->description))
				tab[i].link.unusable = "link-volume-key= names the same key as an earlier line's";
	}
}

/*
 * Parse @text into at most @cap entries, in order. Every non-comment line
 * becomes one entry, with ->skip set when it cannot be handed over.
 * -E2BIG: more than @cap entries.
 */
int khu_crypttab_parse(const char *text, struct khu_crypttab_entry *out,
		       unsigned int cap, unsigned int *count)
{
	char line[4 * KHU_CRYPTTAB_FIELD];
	unsigned int nr = 0, n = 0;
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *s;

		nr++;
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len;
		if (*p == '\n')
			p++;
		/* Leading blanks (a CR among them) go; the line ends at its next CR. */
		s = line + strspn(line, " \t\r");
		line[s - line + strcspn(s, "\r")] = '\0';
		if (!*s || *s == '#')
			continue;
		if (n == cap)
			return -E2BIG;
		if (len >= sizeof(line)) {
			memset(&out[n], 0, sizeof(out[n]));
			out[n].line = nr;
			out[n].unreadable = true;
			out[n++].skip = "a line too long";
			continue;
		}
		khu_crypttab_line(s, nr, &out[n++]);
	}
	khu_crypttab_dups(out, n);
	*count = n;
	return 0;
}

/*
 * Is line @e the volume whose LUKS UUID is @uuid? A UUID= source says so
 * itself; any other (a path, PARTUUID=, LABEL=, PARTLABEL=) by the LUKS
 * UUID of the device it leads to, which @uuid_of reads. 1, 0 or -errno.
 */
static int khu_crypttab_same(const struct khu_crypttab_entry *e,
			     const char *uuid, khu_crypttab_uuid_fn uuid_of)
{
	char got[KH_UUID_LEN];
	int ret;

	if (e->uuid)
		return !strcasecmp(e->uuid, uuid);
	ret = uuid_of(e->device, got, sizeof(got));
	/*
	 * -ENOENT and -EXDEV are khu_crypttab_find's own answers ("no line
	 * of that name", "another volume's"): a device that is not there
	 * must not read as either, which would open the volume with no
	 * option and say nothing.
	 */
	if (ret == -ENOENT || ret == -EXDEV)
		ret = -ENODEV;
	return ret ? ret : !strcasecmp(got, uuid);
}

/*
 * The line of the volume handed over as @name with LUKS UUID @uuid: the
 * one that says how restore opens it and where it links its key. One of
 * that name that is that volume. A name alone would open one volume with
 * another's options and link its key as the other's (two lines of one
 * name, `--name` given to another disk, a stale copy), and the next
 * keyring-mode stash would hand it over as the other's.
 * Of two lines of that name and volume the first, as stash hands over
 * the first and systemd keeps the first of a name.
 * A line that names no volume (->unreadable) is none of them; one stash
 * does not hand over (->skip: keyscript=, noauto, a key file on a
 * device, ...) is, for its options: the initramfs copy
 * (integration/crypttab-initramfs.awk) leaves those options out and
 * keeps the line, and restore must find the same line in the copy as in
 * /etc/crypttab. Neither links a key for it (khu_crypttab_links(); the
 * copy drops its link-volume-key=).
 * 0, *@out the line; -ENOENT: no line has that name; -EXDEV: those that
 * have are other volumes, *@out the first; another -errno (never -ENOENT
 * or -EXDEV: see khu_crypttab_same): no line is the volume, and the
 * device of *@out, the first that could not be looked at, gave that.
 */
int khu_crypttab_find(const struct khu_crypttab_entry *tab, unsigned int count,
		      const char *name, const char *uuid,
		      khu_crypttab_uuid_fn uuid_of,
		      const struct khu_crypttab_entry **out)
{
	const struct khu_crypttab_entry *other = NULL, *unknown = NULL;
	int err = 0, ret;
	unsigned int i;

	for (i = 0; i < count; i++) {
		const struct khu_crypttab_entry *e = &tab[i];

		if (e->unreadable || strcmp(e->name, name))
			continue;
		ret = khu_crypttab_same(e, uuid, uuid_of);
		if (ret == 1) {
			*out = e;
			return 0;
		}
		if (ret < 0 && !unknown) {
			unknown = e;
			err = ret;
		}
		if (!other)
			other = e;
	}
	*out = unknown ? unknown : other;
	return unknown ? err : other ? -EXDEV : -ENOENT;
}
