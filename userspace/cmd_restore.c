// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover restore: in the new kernel, read the hand-over once and open
 * the volumes, or put the keys into a keyring. A volume it opens is opened
 * with the dm-crypt options of its crypttab line (discard, readonly, ...),
 * as cryptroot or systemd-cryptsetup would have opened it at a cold boot;
 * if that line has link-volume-key=, the key is linked there, as
 * systemd-cryptsetup (>= 256) would have linked it at unlock: the next
 * `keyhandover reboot` then finds it and asks for nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <keyutils.h>

#include "cmdline.h"
#include "crypttab.h"
#include "format.h"
#include "handover.h"
#include "kexec.h"
#include "keyring.h"
#include "luks.h"
#include "parallel.h"
#include "secmem.h"
#include "textfile.h"
#include "tool.h"

/* The crypttab: options and link-volume-key=, read once per restore. */
struct khu_restore_tab {
	const struct khu_opts *o;
	const char *path;
	struct khu_crypttab_entry *tab;
	unsigned int count;
};

/*
 * How long restore waits, in all, for devices udev has not announced yet:
 * a slow disk, or one that dracut's initqueue or LVM brings up after the
 * restore unit runs. The hand-over was read, and wiped, already: a volume
 * given up on at once would lose it to the prompt. One budget for the
 * process (restore runs once): a stash naming a disk that is gone costs
 * the boot these seconds once, not once per volume.
 */
#define KHU_RESTORE_WAIT_MS 10000
#define KHU_RESTORE_POLL_MS 100

/* The module validated the entry; NUL-termination is cheap to keep. */
static bool khu_restore_entry_ok(const struct kh_entry *e)
{
	return memchr(e->uuid, 0, sizeof(e->uuid)) &&
	       memchr(e->name, 0, sizeof(e->name)) && e->key_size <= KH_KEY_MAX;
}

static int khu_restore_check_entry(const struct kh_entry *e)
{
	if (!khu_restore_entry_ok(e)) {
		khu_err("a malformed entry was skipped");
		return -EINVAL;
	}
	return 0;
}

static unsigned int khu_restore_waited_ms;

/* One poll's wait for @uuid's device, if the budget has one left. */
static bool khu_restore_wait(const char *uuid, bool *said)
{
	if (khu_restore_waited_ms >= KHU_RESTORE_WAIT_MS)
		return false;
	if (!*said)
		printf("%s: waiting for the device\n", uuid);
	*said = true;
	usleep(KHU_RESTORE_POLL_MS * 1000);
	khu_restore_waited_ms += KHU_RESTORE_POLL_MS;
	return true;
}

static int khu_restore_open_waiting(const struct kh_entry *e,
				    struct crypt_device **cd)
{
	bool said = false;
	int ret;

	while ((ret = khu_luks_open_by_uuid(e->uuid, cd)) == -ENODEV &&
	       khu_restore_wait(e->uuid, &said))
		;
	return ret;
}

static int khu_restore_find(const struct kh_entry *e, struct crypt_device **cd)
{
	int ret = khu_restore_open_waiting(e, cd);

	if (ret == -ENODEV)
		khu_err("%s: no such device here, skipped", e->uuid);
	else if (ret == -ENOTUNIQ)
		khu_err("%s: more than one device carries this UUID, skipped",
			e->uuid);
	else if (ret == -EINVAL)
		khu_err("%s: not a valid UUID, skipped", e->uuid);
	else if (ret)
		khu_err("%s: cannot look for the device: %s", e->uuid,
			strerror(-ret));
	return ret;
}

/* Open already, under whatever name (crypttab's, say)? */
static bool khu_restore_is_open(const struct kh_entry *e)
{
	char open_as[KH_NAME_LEN];

	if (!khu_luks_find_mapping(e->uuid, open_as, sizeof(open_as)))
		return false;
	printf("%s: already open as /dev/mapper/%s\n", e->uuid, open_as);
	return true;
}

/*
 * Open @e's volume, with the activation options of its crypttab line
 * @line (none without one); 0 when it is open (now or already), else
 * -errno. *@opened: opened now, which proved the key against the header.
 */
static int khu_restore_activate(struct crypt_device *cd,
				const struct kh_entry *e,
				const struct khu_crypttab_entry *line,
				bool *opened)
{
	char names[KHU_CRYPTTAB_NAMES_LEN];
	char with[KHU_CRYPTTAB_NAMES_LEN + 3] = "";	/* " (names)" */
	unsigned int flags = line ? line->flags : 0;
	const char *dev = khu_luks_path(cd);
	int ret;

	khu_crypttab_flag_names(flags, names, sizeof(names));
	if (names[0])
		snprintf(with, sizeof(with), " (%s)", names);
	ret = khu_luks_activate(cd, e->name, e->key, e->key_size, flags);
	*opened = !ret;
	if (!ret)
		printf("%s: opened as /dev/mapper/%s%s\n", dev, e->name, with);
	else if (ret == KHU_LUKS_ALREADY_OPEN)
		printf("%s: already open as /dev/mapper/%s\n", dev, e->name);
	else if (ret == -EPERM)
		khu_err("key does not match the LUKS header of %s", dev);
	else if (ret == -EEXIST)
		khu_err("%s: /dev/mapper/%s already exists for another device",
			dev, e->name);
	else
		khu_err("cannot open %s as %s%s: %s", dev, e->name, with,
			strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* The LUKS UUID of the device at @path, for a line that has no UUID=. */
static int khu_restore_dev_uuid(const char *path, char *uuid, size_t len)
{
	struct crypt_device *cd = NULL;
	const char *u;
	int ret;

	ret = khu_luks_open(path, &cd);
	if (ret)
		return ret;
	u = khu_luks_uuid(cd);
	ret = u && snprintf(uuid, len, "%s", u) < (int)len ? 0 : -EINVAL;
	khu_luks_close(cd);
	return ret;
}

/* --verbose: why no line of the crypttab is for @name. */
static void khu_restore_no_line(const struct khu_restore_tab *t,
				const char *name)
{
	unsigned int i;

	if (!t->o->verbose)
		return;
	for (i = 0; i < t->count; i++) {
		const struct khu_crypttab_entry *e = &t->tab[i];

		if (!strcmp(e->name, name) && e->unreadable) {
			khu_err("%s: %s line %u: %s: no crypttab option applied, no volume key linked",
				name, t->path, e->line, e->skip);
			return;
		}
	}
	khu_err("%s: no line of %s names it: no crypttab option applied, no volume key linked",
		name, t->path);
}

/*
 * The crypttab line of volume @e, for its activation options and its
 * link-volume-key=: of its name, and that volume (khu_crypttab_find);
 * else NULL and, when a line of that name names another volume, one line.
 */
static const struct khu_crypttab_entry *
khu_restore_tab_line(const struct khu_restore_tab *t, const struct kh_entry *e)
{
	const struct khu_crypttab_entry *line = NULL;
	int ret;

	if (!t->tab)
		return NULL;
	ret = khu_crypttab_find(t->tab, t->count, e->name, e->uuid,
				khu_restore_dev_uuid, &line);
	if (ret == -ENOENT)
		khu_restore_no_line(t, e->name);
	else if (ret == -EXDEV)
		khu_err("%s: %s line %u names another volume than the one handed over (%s): its options not applied, key not linked",
			e->name, t->path, line->line, e->uuid);
	else if (ret)
		khu_err("%s: cannot tell whether %s line %u (%s) is the volume handed over (%s): its options not applied, key not linked",
			e->name, t->path, line->line, line->source,
			strerror(-ret));
	return ret ? NULL : line;
}

/*
 * A volume open before restore came to it (or under another name): its
 * key is checked against the LUKS header before it is linked anywhere.
 */
static int khu_restore_verify(const struct kh_entry *e, struct crypt_device *cd)
{
	struct crypt_device *own = NULL;
	int ret = 0;

	if (!cd) {
		ret = khu_luks_open_by_uuid(e->uuid, &own);
		cd = own;
	}
	if (!ret)
		ret = khu_luks_verify(cd, e->key, e->key_size);
	if (ret == -EPERM)
		khu_err("%s: the key does not match the LUKS header of %s: volume key not linked",
			e->name, khu_luks_path(cd));
	else if (ret)
		khu_err("%s: cannot check the key against its LUKS header (%s): volume key not linked",
			e->name, strerror(-ret));
	khu_luks_close(own);
	return ret;
}

/* A link that failed: a warning; the volume is open all the same. */
static void khu_restore_link_error(const char *name,
				   const struct khu_crypttab_link *l,
				   int ring_len, int err)
{
	const char *type = khu_keyring_type_name(l->type);

	if (err == -EEXIST)
		khu_err("%s: a %s key %s is in %.*s already: left as it is, this volume key not linked",
			name, type, l->description, ring_len, l->value);
	else if (err == -EDQUOT)
		khu_err("%s: key quota exhausted: volume key not linked (link-volume-key=%s); the next reboot asks for its passphrase",
			name, l->value);
	else
		khu_err("%s: cannot link the volume key into %.*s: %s (link-volume-key=%s); the next reboot asks for its passphrase",
			name, ring_len, l->value, strerror(-err), l->value);
}

/*
 * Link @e's key where its crypttab line @line's link-volume-key= says, as
 * systemd-cryptsetup would have at unlock (add_key(), which needs no
 * libcryptsetup 2.7: Debian 12 gets the chain too). @verified: opening
 * the volume just now proved the key; else it is checked first. No
 * timeout: it stays until the next reboot, which takes it.
 */
static void khu_restore_link(const struct khu_restore_tab *t,
			     const struct kh_entry *e,
			     const struct khu_crypttab_entry *line,
			     struct crypt_device *cd, bool verified)
{
	const struct khu_crypttab_link *l;
	int32_t ring, id;
	int ring_len, ret;

	if (!line)
		return;
	l = &line->link;
	if (!l->value[0]) {
		if (t->o->verbose)
			khu_err("%s: no link-volume-key= in %s line %u: no volume key linked",
				e->name, t->path, line->line);
		return;
	}
	/*
	 * As khu_crypttab_links(): not for a line stash does not hand over.
	 * Quietly, as from the initramfs copy, which leaves out such a
	 * line's link-volume-key=.
	 */
	if (line->skip) {
		if (t->o->verbose)
			khu_err("%s: %s line %u: %s: no volume key linked",
				e->name, t->path, line->line, line->skip);
		return;
	}
	if (l->unusable) {
		khu_err("%s: %s line %u: %s: volume key not linked", e->name,
			t->path, line->line, l->unusable);
		return;
	}
	if (!verified && khu_restore_verify(e, cd))
		return;
	ring_len = strstr(l->value, "::") - l->value;
	ret = khu_keyring_find_ring(l->ring, l->ring_name, &ring);
	if (ret) {
		khu_err("%s: no keyring %.*s here (%s): volume key not linked (link-volume-key=%s); the next reboot asks for its passphrase",
			e->name, ring_len, l->value, strerror(-ret), l->value);
		return;
	}
	ret = khu_keyring_link(ring, l->type, l->description, e->key,
			       e->key_size, &id);
	if (ret)
		khu_restore_link_error(e->name, l, ring_len, ret);
	else
		printf("%s: volume key linked as %s key %s in %.*s (link-volume-key=)\n",
		       e->name, khu_keyring_type_name(l->type), l->description,
		       ring_len, l->value);
}

static int khu_restore_one(const struct khu_restore_tab *t, struct kh_entry *e)
{
	const struct khu_crypttab_entry *line;
	struct crypt_device *cd = NULL;
	bool was_open, opened = false;
	int ret;

	ret = khu_restore_check_entry(e);
	if (ret)
		return ret;
	was_open = khu_restore_is_open(e);
	if (!was_open) {
		ret = khu_restore_find(e, &cd);
		if (ret)
			return ret;
	}
	/* Once, after the wait for the device: its line may name it by path. */
	line = khu_restore_tab_line(t, e);
	if (!was_open)
		ret = khu_restore_activate(cd, e, line, &opened);
	if (!ret)
		khu_restore_link(t, e, line, cd, opened);
	khu_luks_close(cd);
	return ret;
}

/* --to-keyring: where the keys go, and for how long. */
struct khu_restore_ring {
	const struct khu_opts *o;
	int32_t ring;
	unsigned int timeout;
};

static void khu_restore_keyring_error(const char *dev, const char *name,
				      int err)
{
	if (err == -EEXIST)
		khu_err("%s: a user key %s%s is in the keyring already: left as it is, this key not added",
			dev, KHU_KEYRING_PREFIX, name);
	else if (err == -EDQUOT)
		khu_err("%s: key quota exhausted: key %s%s not added",
			dev, KHU_KEYRING_PREFIX, name);
	else
		khu_err("%s: cannot add key %s%s: %s", dev, KHU_KEYRING_PREFIX,
			name, strerror(-err));
}

/*
 * Checked against the LUKS header first: a key that does not open the
 * volume never reaches a keyring. With --open the tool opens the volume
 * too and then revokes the key it no longer needs.
 */
static int khu_restore_keyring_one(const struct khu_restore_ring *kr,
				   const struct khu_restore_tab *t,
				   struct kh_entry *e)
{
	struct crypt_device *cd;
	bool opened;
	const char *dev;
	int32_t id;
	int ret;

	ret = khu_restore_check_entry(e);
	if (!ret)
		ret = khu_restore_find(e, &cd);
	if (ret)
		return ret;
	dev = khu_luks_path(cd);
	ret = khu_luks_verify(cd, e->key, e->key_size);
	if (ret == -EPERM)
		khu_err("key does not match the LUKS header of %s", dev);
	else if (ret)
		khu_err("cannot check the key of %s: %s", dev, strerror(-ret));
	if (!ret) {
		ret = khu_keyring_add(kr->ring, e->name, e->key, e->key_size,
				      kr->timeout, &id);
		if (ret)
			khu_restore_keyring_error(dev, e->name, ret);
		else
			printf("%s: key added as user key %s%s, expires in %u s\n",
			       dev, KHU_KEYRING_PREFIX, e->name, kr->timeout);
	}
	if (!ret && kr->o->open) {
		const struct khu_crypttab_entry *line;

		line = khu_restore_tab_line(t, e);
		if (!khu_restore_activate(cd, e, line, &opened)) {
			/* Checked against the header above. */
			khu_restore_link(t, e, line, cd, true);
			if (!khu_keyring_revoke(kr->ring, id))
				printf("%s: key %s%s revoked\n", dev,
				       KHU_KEYRING_PREFIX, e->name);
		}
	}
	khu_luks_close(cd);
	return ret;
}

static int khu_restore_open_ring(const struct khu_opts *o,
				 struct khu_restore_ring *kr)
{
	const char *spec = o->keyring ? o->keyring : "@u";
	int32_t parent;
	int ret;

	kr->o = o;
	kr->timeout = o->key_timeout ? o->key_timeout : KHU_KEYRING_TIMEOUT;
	ret = khu_keyring_parse_parent(spec, &parent);
	if (!ret)
		ret = khu_keyring_open_ring(parent, &kr->ring);
	if (ret == -EDQUOT)
		khu_err("key quota exhausted: cannot make keyring %s in %s",
			KHU_KEYRING_NAME, spec);
	else if (ret)
		khu_err("cannot use keyring %s in %s: %s", KHU_KEYRING_NAME,
			spec, strerror(-ret));
	return ret;
}

/*
 * --crypttab, else the copy our initramfs hooks make, else the system's.
 * None, or none readable: volumes are opened with no option and nothing
 * is linked (quietly, unless asked for the file or --verbose).
 */
static void khu_restore_tab_read(const struct khu_opts *o,
				 struct khu_restore_tab *t)
{
	char *text = NULL;
	int ret;

	t->o = o;
	t->path = o->crypttab ? o->crypttab :
		  !access(KHU_CRYPTTAB_COPY, F_OK) ? KHU_CRYPTTAB_COPY :
		  KHU_CRYPTTAB_PATH;
	ret = khu_text_read(t->path, 1 << 20, &text);
	if (ret && (o->crypttab || o->verbose || ret != -ENOENT))
		khu_err("cannot read %s: %s: no crypttab option applied, no volume key linked",
			t->path, strerror(-ret));
	if (ret)
		return;
	t->tab = calloc(KHU_CRYPTTAB_MAX, sizeof(*t->tab));
	ret = t->tab ? khu_crypttab_parse(text, t->tab, KHU_CRYPTTAB_MAX,
					  &t->count) : -ENOMEM;
	free(text);
	if (ret) {
		khu_err("cannot parse %s: %s: no crypttab option applied, no volume key linked",
			t->path, strerror(-ret));
		free(t->tab);
		t->tab = NULL;
		t->count = 0;
	}
}

/* What every volume's task needs: one per restore. */
struct khu_restore_job {
	const struct khu_opts *o;
	struct khu_restore_tab *t;
	struct khu_restore_ring *kr;
	struct kh_entry *entries;
	const uint32_t *pick;	/* task i is entry pick[i] */
	bool no_wait;		/* its device was just seen: no waiting */
};

/*
 * Task @i, in a worker of its own or here: its volume's key is wiped
 * when it is done, in the buffer the workers share with us, whatever
 * happened.
 */
static int khu_restore_task(unsigned int i, void *arg)
{
	struct khu_restore_job *job = arg;
	struct kh_entry *e = &job->entries[job->pick[i]];
	unsigned int waited = khu_restore_waited_ms;
	int ret;

	/*
	 * A worker's budget would be a copy of its own, spent apart from
	 * every other's: workers take no wait (the glance saw their devices
	 * a moment ago), and the one budget stays with the volumes after.
	 */
	if (job->no_wait)
		khu_restore_waited_ms = KHU_RESTORE_WAIT_MS;
	ret = job->o->to_keyring ? khu_restore_keyring_one(job->kr, job->t, e) :
				   khu_restore_one(job->t, e);
	khu_restore_waited_ms = waited;
	explicit_bzero(e->key, sizeof(e->key));
	return ret;
}

/* A keyring of this very process or thread: its workers have another. */
static bool khu_restore_own_ring(int32_t ring)
{
	return ring == KEY_SPEC_PROCESS_KEYRING ||
	       ring == KEY_SPEC_THREAD_KEYRING;
}

/*
 * Two entries for one volume, or one name for two: only one at a time
 * tells them apart (the first wins, the second finds it taken).
 */
static bool khu_restore_twice(const struct kh_entry *entries, uint32_t count)
{
	uint32_t i, j;

	for (i = 0; i < count; i++)
		for (j = i + 1; j < count; j++)
			if (!strncasecmp(entries[i].uuid, entries[j].uuid,
					 sizeof(entries[i].uuid)) ||
			    !strncmp(entries[i].name, entries[j].name,
				     sizeof(entries[i].name)))
				return true;
	return false;
}

/*
 * How many volumes at once: --jobs, else one per CPU. One at a time when
 * a key goes into this process's or thread's own keyring (a worker would
 * add it to its own, gone when it exits), and when a volume comes twice
 * (a planted stash): two workers could both find it not open yet and map
 * one disk twice; one after another the second finds it open.
 */
static unsigned int khu_restore_jobs(const struct khu_opts *o,
				     const struct khu_restore_tab *t,
				     const struct kh_entry *entries,
				     uint32_t count)
{
	int32_t ring;
	unsigned int i;

	if (khu_restore_twice(entries, count))
		return 1;
	if (o->to_keyring &&
	    !khu_keyring_parse_parent(o->keyring ? o->keyring : "@u", &ring) &&
	    khu_restore_own_ring(ring))
		return 1;
	for (i = 0; t->tab && i < t->count; i++)
		if (t->tab[i].link.value[0] &&
		    khu_restore_own_ring(t->tab[i].link.ring))
			return 1;
	return o->jobs ? o->jobs : khu_parallel_cpus();
}

/* Is @e's volume open already, under any name? Quietly. */
static bool khu_restore_mapped(const struct kh_entry *e)
{
	char open_as[KH_NAME_LEN];

	return khu_luks_find_mapping(e->uuid, open_as, sizeof(open_as));
}

/*
 * Can entry @e go at once with the others: open already, its device
 * here, or malformed (it fails at once)?
 */
static bool khu_restore_ready(const struct kh_entry *e)
{
	return !khu_restore_entry_ok(e) || khu_restore_mapped(e) ||
	       khu_luks_present(e->uuid);
}

/*
 * Before the workers start: libcryptsetup's crypto backend and random
 * source, its header code and device-mapper's version check set up once,
 * here, with the device of the first volume that is not open yet, and
 * inherited by every worker. Each worker set them up again for itself
 * before, which cost it as much as its volume's own work
 * (docs/benchmarks.md).
 */
static void khu_restore_warm_up(const struct kh_entry *entries,
				const uint32_t *pick, uint32_t n)
{
	struct crypt_device *cd;
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct kh_entry *e = &entries[pick[i]];

		if (!khu_restore_entry_ok(e) || khu_restore_mapped(e) ||
		    khu_luks_open_by_uuid(e->uuid, &cd))
			continue;
		khu_luks_warm_up(cd);
		khu_luks_close(cd);
		return;
	}
}

/*
 * The volumes whose devices are here go first, @jobs at once; then the
 * others, one after another in the hand-over's order, each waited for
 * from the one budget: a volume stacked on another (LUKS on LVM on
 * LUKS) appears only once that one is open, and a disk that is gone
 * holds up no other volume. Returns how many failed.
 */
static unsigned int khu_restore_run(struct khu_restore_job *job,
				    uint32_t count, unsigned int jobs)
{
	uint32_t now[KH_MAX_ENTRIES], later[KH_MAX_ENTRIES];
	uint32_t i, n_now = 0, n_later = 0;
	unsigned int failed;
	bool at_once;

	for (i = 0; i < count; i++) {
		if (jobs <= 1 || khu_restore_ready(&job->entries[i]))
			now[n_now++] = i;
		else
			later[n_later++] = i;
	}
	at_once = jobs > 1 && n_now > 1;
	if (at_once)
		khu_restore_warm_up(job->entries, now, n_now);
	job->pick = now;
	job->no_wait = at_once;
	failed = khu_parallel_run(n_now, jobs, khu_restore_task, job);
	/* A worker killed before its own wipe left its key: gone now. */
	for (i = 0; i < n_now; i++)
		explicit_bzero(job->entries[now[i]].key,
			       sizeof(job->entries[now[i]].key));
	job->pick = later;
	job->no_wait = false;
	failed += khu_parallel_run(n_later, 1, khu_restore_task, job);
	return failed;
}

/* Returns the exit code: the verdict decides before any volume is tried. */
static int khu_restore_entries(const struct khu_opts *o,
			       struct kh_entry *entries, uint32_t count,
			       uint32_t verdict)
{
	struct khu_restore_tab t = { .o = o };
	struct khu_restore_ring kr;
	struct khu_restore_job job = {
		.o = o, .t = &t, .kr = &kr, .entries = entries,
	};
	unsigned int jobs, failed;
	bool verbose = o->verbose;

	/* Every normal boot ends here: quiet, unless asked. */
	if (verdict == KH_VERDICT_EMPTY ||
	    (verdict == KH_VERDICT_OK && !count)) {
		if (verbose)
			khu_err("nothing was handed over");
		return KHU_EXIT_NOTHING;
	}
	if (verdict != KH_VERDICT_OK) {
		khu_err("refused the handed-over region: %s",
			kh_format_verdict_str(verdict));
		return KHU_EXIT_FAILURE;
	}
	/* The region is gone already: the passphrase is the way back. */
	if (o->to_keyring && khu_restore_open_ring(o, &kr))
		return KHU_EXIT_FAILURE;
	if (!o->to_keyring || o->open)
		khu_restore_tab_read(o, &t);
	if (count > KH_MAX_ENTRIES)
		count = KH_MAX_ENTRIES;
	jobs = khu_restore_jobs(o, &t, entries, count);
	failed = khu_restore_run(&job, count, jobs);
	free(t.tab);
	return failed ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
}

/*
 * The nonce `keyhandover load` put on this kernel's command line. Without
 * one every stash is stale: all zero never matches a real nonce.
 */
static void khu_restore_nonce(uint8_t nonce[KH_NONCE_LEN])
{
	char *cmdline = NULL;
	int ret;

	memset(nonce, 0, KH_NONCE_LEN);
	ret = khu_kexec_read_cmdline(&cmdline);
	if (!ret)
		ret = khu_cmdline_get_nonce(cmdline, nonce);
	free(cmdline);
	if (ret == -EINVAL)
		khu_err("note: malformed keyhandover.nonce= on the command line");
}

int khu_cmd_restore(const struct khu_opts *o)
{
	uint8_t nonce[KH_NONCE_LEN];
	struct kh_entry *entries;
	uint32_t count = 0, verdict = KH_VERDICT_EMPTY;
	int fd, ret;

	/*
	 * libcryptsetup copies the key into buffers of its own (wiped on
	 * free, but not locked): lock everything this short process maps.
	 */
	ret = khu_secmem_lock_all();
	if (ret) {
		khu_err("cannot lock memory for the keys: %s", strerror(-ret));
		return KHU_EXIT_FAILURE;
	}
	khu_restore_nonce(nonce);
	fd = khu_device_open();
	if (fd < 0)
		return KHU_EXIT_FAILURE;
	/* Shared: the workers that open the volumes at once read it. */
	ret = khu_handover_alloc_entries(&entries, true);
	if (ret) {
		khu_err("cannot lock memory for the keys: %s", strerror(-ret));
		khu_handover_close(fd);
		return KHU_EXIT_FAILURE;
	}
	ret = khu_handover_read(fd, nonce, entries, &count, &verdict);
	khu_handover_close(fd);
	if (ret == -EBUSY) {
		khu_err("this kernel armed the hand-over: restore runs in the next kernel");
		ret = KHU_EXIT_FAILURE;
	} else if (ret) {
		if (ret == -ESHUTDOWN)
			khu_err("the machine is going down: nothing read");
		else
			khu_device_error("cannot read the hand-over", ret);
		ret = KHU_EXIT_FAILURE;
	} else {
		ret = khu_restore_entries(o, entries, count, verdict);
	}
	khu_handover_free_entries(entries);
	return ret;
}
