// SPDX-License-Identifier: GPL-2.0
/*
 * Keyring mode, userspace side.
 *
 * Old kernel: the tool only names keys ("%logon:cryptsetup:root"); the
 * module takes them from the caller's keyrings. Nothing here touches a
 * key's payload there.
 *
 * New kernel: each restored key becomes a "user" key (libcryptsetup must
 * read a key back to check it against the LUKS digest, which a "logon" key
 * forbids) named "keyhandover:NAME" in a keyring "keyhandover" inside the
 * keyring the user picked (default @u). Possessor-only permissions and a
 * timeout: only processes that reach the keyring from their own session
 * can see or read the key, and it goes away by itself. An existing key
 * of the same description is never updated (add_key() would replace its
 * payload): that name is refused instead, atomically (khu_keyring_add).
 *
 * crypttab's link-volume-key=: the old kernel only looks for the key in
 * the keyring the line names and hands the module exactly that one
 * (khu_keyring_take), never reading it; the new kernel's restore links
 * the key it checked back where systemd-cryptsetup would have linked it
 * (khu_keyring_link), so the reboot after that needs no passphrase.
 */
#include <errno.h>
#include <keyutils.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyring.h"
#include "textfile.h"
#include "uapi/keyhandover.h"

#define KHU_KEY_PERM	(KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH | \
			 KEY_POS_SETATTR)
#define KHU_RING_PERM	(KEY_POS_VIEW | KEY_POS_READ | KEY_POS_WRITE | \
			 KEY_POS_SEARCH | KEY_POS_SETATTR)

/*
 * "[%logon:|%user:]DESCRIPTION", cryptsetup's spelling. A bare description
 * means logon: the type userspace cannot read is the one worth naming.
 * -EPROTOTYPE: another type; -ENAMETOOLONG; -EINVAL: empty, or a logon
 * description without the "service:" prefix the kernel insists on.
 */
int khu_keyring_parse_ref(const char *spec, uint32_t *type, const char **desc)
{
	const char *d = spec;

	*type = KH_KEY_LOGON;
	if (!strncmp(spec, "%logon:", 7)) {
		d = spec + 7;
	} else if (!strncmp(spec, "%user:", 6)) {
		*type = KH_KEY_USER;
		d = spec + 6;
	} else if (spec[0] == '%') {
		return -EPROTOTYPE;
	}
	if (strlen(d) >= KH_DESC_LEN)
		return -ENAMETOOLONG;
	if (!*d || (*type == KH_KEY_LOGON && (d[0] == ':' || !strchr(d, ':'))))
		return -EINVAL;
	*desc = d;
	return 0;
}

const char *khu_keyring_type_name(uint32_t type)
{
	return type == KH_KEY_USER ? "user" : "logon";
}

/* "@u", "@s", "@us", "@p" or "@t": its KEY_SPEC_* id, else -EINVAL. */
int khu_keyring_special(const char *spec, int32_t *id)
{
	static const struct {
		const char *name;
		int32_t id;
	} specials[] = {
		{ "@u", KEY_SPEC_USER_KEYRING },
		{ "@us", KEY_SPEC_USER_SESSION_KEYRING },
		{ "@s", KEY_SPEC_SESSION_KEYRING },
		{ "@p", KEY_SPEC_PROCESS_KEYRING },
		{ "@t", KEY_SPEC_THREAD_KEYRING },
	};
	size_t i;

	for (i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		if (!strcmp(spec, specials[i].name)) {
			*id = specials[i].id;
			return 0;
		}
	}
	return -EINVAL;
}

/* "@u", "@s", "@us", "@p", "@t" or a key serial number. */
int khu_keyring_parse_parent(const char *spec, int32_t *id)
{
	unsigned long v;
	char *end;

	if (!khu_keyring_special(spec, id))
		return 0;
	errno = 0;
	v = strtoul(spec, &end, 10);
	if (errno || end == spec || *end || spec[0] == '-' || !v ||
	    v > INT32_MAX)
		return -EINVAL;
	*id = (int32_t)v;
	return 0;
}

/*
 * For a clear refusal: does the caller reach a key of the *other* type
 * under @desc? Searched without an upcall and linked nowhere.
 */
int khu_keyring_other_type(uint32_t type, const char *desc)
{
	const char *other = type == KH_KEY_USER ? "logon" : "user";

	return request_key(other, desc, NULL, 0) > 0;
}

/* Is @want_type:@want_desc linked in @ring? Its serial, or 0. */
static int32_t khu_keyring_find(int32_t ring, const char *want_type,
				const char *want_desc)
{
	key_serial_t *ids = NULL, found = 0;
	long len, i;

	len = keyctl_read_alloc(ring, (void **)&ids);
	if (len < 0)
		return 0;
	for (i = 0; !found && i < len / (long)sizeof(*ids); i++) {
		char *d = NULL, *name;
		size_t tlen = strlen(want_type);

		int semis = 0;

		/* "type;uid;gid;perm;description"; keys we may not view: skip */
		if (keyctl_describe_alloc(ids[i], &d) < 0)
			continue;
		/* The description is all after the fourth ';' (it may hold ';'). */
		for (name = d; *name && semis < 4; name++)
			semis += *name == ';';
		if (semis == 4 && !strncmp(d, want_type, tlen) && d[tlen] == ';' &&
		    !strcmp(name, want_desc))
			found = ids[i];
		free(d);
	}
	free(ids);
	return found;
}

/*
 * Make the "keyhandover" keyring and move it into @parent, as
 * khu_keyring_add does with keys: add_key() would displace a keyring that
 * another process made between our look and our add. 1: it lost that
 * race, and the caller looks again.
 */
static int khu_keyring_make_ring(int32_t parent, key_serial_t *out)
{
	key_serial_t id;
	int ret;

	id = add_key("keyring", KHU_KEYRING_NAME, NULL, 0,
		     KEY_SPEC_THREAD_KEYRING);
	if (id < 0)
		return -errno;
	if (keyctl_setperm(id, KHU_RING_PERM | KEY_POS_LINK) < 0 ||
	    keyctl_move(id, KEY_SPEC_THREAD_KEYRING, parent,
			KEYCTL_MOVE_EXCL) < 0) {
		ret = errno == EEXIST ? 1 : -errno;
		keyctl_unlink(id, KEY_SPEC_THREAD_KEYRING);
		return ret;
	}
	if (keyctl_setperm(id, KHU_RING_PERM) < 0) {
		ret = -errno;
		keyctl_unlink(id, parent);
		return ret;
	}
	*out = id;
	return 0;
}

/* The "keyhandover" keyring inside @parent: found, or made. */
int khu_keyring_open_ring(int32_t parent, int32_t *ring)
{
	key_serial_t id;

	/* The parent must exist: never let the kernel make @s on the fly. */
	if (keyctl_get_keyring_ID(parent, 0) < 0)
		return -errno;
	id = khu_keyring_find(parent, "keyring", KHU_KEYRING_NAME);
	if (!id) {
		int ret = khu_keyring_make_ring(parent, &id);

		if (ret == 1)
			id = khu_keyring_find(parent, "keyring", KHU_KEYRING_NAME);
		else if (ret)
			return ret;
		if (!id)
			return -EAGAIN;
	}
	*ring = id;
	return 0;
}

/*
 * Move @id, made in this thread's keyring, into @ring; -EEXIST when @ring
 * holds a key of its type and description already, which KEYCTL_MOVE_EXCL
 * leaves in place where add_key() would update its payload (Linux 5.1).
 */
static int khu_keyring_move(int32_t id, int32_t ring)
{
	if (keyctl_move(id, KEY_SPEC_THREAD_KEYRING, ring, KEYCTL_MOVE_EXCL) < 0)
		return -errno;
	return 0;
}

/*
 * Add "keyhandover:@name" holding @key to @ring, with a timeout and
 * possessor-only permissions. -EEXIST: a key of that description is there
 * already and is left as it is. -EDQUOT: the caller's key quota is used
 * up.
 *
 * add_key() into @ring would update a key of the same description in
 * place, and a check before it would race with another process adding
 * one. So the key is made in this thread's own keyring, which nothing
 * else can reach, finished there (timeout; permissions that still let us
 * move it), and moved into @ring with KEYCTL_MOVE_EXCL, which fails with
 * EEXIST instead of displacing a match (Linux 5.1). Only then is the link
 * permission dropped.
 */
int khu_keyring_add(int32_t ring, const char *name, const void *key,
		    size_t len, unsigned int timeout, int32_t *out)
{
	char desc[KH_DESC_LEN];
	key_serial_t id;
	int ret;

	snprintf(desc, sizeof(desc), "%s%s", KHU_KEYRING_PREFIX, name);
	id = add_key("user", desc, key, len, KEY_SPEC_THREAD_KEYRING);
	if (id < 0)
		return -errno;
	if (keyctl_set_timeout(id, timeout) < 0 ||
	    keyctl_setperm(id, KHU_KEY_PERM | KEY_POS_LINK) < 0) {
		ret = -errno;
		goto out_thread;
	}
	ret = khu_keyring_move(id, ring);
	if (ret)
		goto out_thread;
	if (keyctl_setperm(id, KHU_KEY_PERM) < 0) {
		ret = -errno;
		goto out_ring;
	}
	*out = id;
	return 0;

out_ring:
	khu_keyring_revoke(ring, id);
	return ret;
out_thread:
	khu_keyring_revoke(KEY_SPEC_THREAD_KEYRING, id);
	return ret;
}

/* Revoked first: a process holding a reference can no longer read it. */
int khu_keyring_revoke(int32_t ring, int32_t id)
{
	int ret = 0;

	if (keyctl_revoke(id) < 0)
		ret = -errno;
	keyctl_unlink(id, ring);
	return ret;
}

/* The errors that mean "no key the caller may take": 0, else -errno. */
static int khu_keyring_absent(int err)
{
	switch (err) {
	case ENOKEY:
	case EKEYREVOKED:
	case EKEYEXPIRED:
	case EACCES:
		return 0;
	}
	return -err;
}

/* Is @gid this process's group, or one of its supplementary groups? */
static bool khu_keyring_in_group(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (gid == getegid())
		return true;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * May this process read key @id, as the module's lookup_user_key()
 * decides? Not keyctl_read(): it also lets a possessor with search
 * permission read, which the module does not. So the bits from the key's
 * description (@uid, @gid, @perm): the owner's, else the group's, else
 * everyone's; and the possessor's, as the key is in our thread keyring.
 */
static bool khu_keyring_may_read(unsigned int uid, unsigned int gid,
				 unsigned int perm)
{
	unsigned int mine;

	if (uid == geteuid())
		mine = perm >> 16;
	else if (khu_keyring_in_group(gid))
		mine = perm >> 8;
	else
		mine = perm;
	mine |= perm >> 24;
	return mine & KEY_OTH_READ;
}

/*
 * Would the module take key @id as the volume's key? Root's: systemd-
 * cryptsetup and restore link as root, so another owner planted it. One
 * we may view (the describe itself needs that) and, a user key, read; a
 * user key also @size bytes long (0: not known), learnt without reading
 * it. A logon key's size only the module sees: EKEYREJECTED at the arm.
 * 1, 0 or -errno.
 */
static int khu_keyring_usable(key_serial_t id, uint32_t type, uint32_t size)
{
	unsigned int uid, gid, perm;
	char *d = NULL;
	long len;
	int n;

	if (keyctl_describe_alloc(id, &d) < 0)
		return khu_keyring_absent(errno);
	/* "type;uid;gid;perm;description", perm in hex */
	n = sscanf(d, "%*[^;];%u;%u;%x;", &uid, &gid, &perm);
	free(d);
	if (n != 3)
		return -EINVAL;
	if (uid)
		return 0;
	if (type != KH_KEY_USER)
		return 1;
	if (!khu_keyring_may_read(uid, gid, perm))
		return 0;
	if (!size)
		return 1;
	len = keyctl_read(id, NULL, 0);
	if (len < 0)
		return khu_keyring_absent(errno);
	return len == (long)size;
}

/* Is @id linked in @ring itself, not in a keyring nested in it? */
static bool khu_keyring_holds(int32_t ring, key_serial_t id)
{
	key_serial_t *ids = NULL;
	bool found = false;
	long len, i;

	len = keyctl_read_alloc(ring, (void **)&ids);
	for (i = 0; !found && i < len / (long)sizeof(*ids); i++)
		found = ids[i] == id;
	free(ids);
	return found;
}

/*
 * Take the key crypttab's link-volume-key= names for the module: @type
 * key @desc linked in the well-known keyring @special or, when @name is
 * set, in the keyring of that description, and nowhere else; root's, and
 * of the volume's key size @size where that can be told (0: not known).
 * The payload is never read.
 *
 * The module looks with request_key() over the caller's whole search
 * chain. Under sudo without pam_keyinit that chain is the invoking
 * user's session keyring, where a process of theirs could plant a key of
 * this description; from cron, or a service with a private session
 * keyring, root's @u is not in it at all. So the key is looked for here,
 * in the named keyring only: keyctl_search() from it (@u as
 * KEY_SPEC_USER_KEYRING, which this process possesses in any session)
 * links what it finds into this thread's own keyring in the same step,
 * so the key checked is the key linked. It stays linked there for the
 * arm: request_key() searches the thread keyring first (then the process
 * and session ones; search_cred_keyrings_rcu()), so the module takes
 * exactly this key, whatever the caller's session. khu_keyring_drop()
 * unlinks it; nothing in the caller's own keyrings changes.
 *
 * 1, *@id the key; 0: not there, or not one to take; -errno: cannot tell.
 */
int khu_keyring_take(int32_t special, const char *name, uint32_t type,
		     const char *desc, uint32_t size, int32_t *id)
{
	int32_t ring = special;
	key_serial_t key;
	int ret;

	if (name && *name) {
		ret = khu_keyring_find_ring(0, name, &ring);
		if (ret)
			return khu_keyring_absent(-ret);
	}
	key = keyctl_search(ring, khu_keyring_type_name(type), desc,
			    KEY_SPEC_THREAD_KEYRING);
	if (key < 0)
		return khu_keyring_absent(errno);
	ret = khu_keyring_holds(ring, key) ?
	      khu_keyring_usable(key, type, size) : 0;
	if (ret != 1) {
		khu_keyring_drop(key);
		return ret;
	}
	*id = key;
	return 1;
}

/* A key khu_keyring_take() linked into this thread's keyring: unlinked. */
void khu_keyring_drop(int32_t id)
{
	keyctl_unlink(id, KEY_SPEC_THREAD_KEYRING);
}

/*
 * Is the kernel locked down for confidentiality, where the module refuses
 * logon keys (kmod/keyring.c)? 1 or 0 from the lockdown LSM's file
 * @path; -errno when it cannot be read (no securityfs mounted, no
 * lockdown LSM: the module's -EPERM then says it).
 */
int khu_keyring_sealed(const char *path)
{
	char *text = NULL;
	int ret;

	ret = khu_text_read(path, 4096, &text);
	if (ret)
		return ret;
	ret = !!strstr(text, "[confidentiality]");
	free(text);
	return ret;
}

/*
 * The keyring link-volume-key= names, as libcryptsetup finds it: a
 * well-known @special one that exists now (never made here: an @s or @p
 * made for this process would go with it), or, when @name is set, a
 * keyring of that description this process reaches.
 */
int khu_keyring_find_ring(int32_t special, const char *name, int32_t *ring)
{
	key_serial_t id;

	if (name && *name)
		id = request_key("keyring", name, NULL, 0);
	else
		id = keyctl_get_keyring_ID(special, 0);
	if (id < 0)
		return -errno;
	*ring = id;
	return 0;
}

/*
 * Link @key into @ring as @type key @desc, as libcryptsetup links a volume
 * key for link-volume-key=: no timeout, and add_key()'s own permissions,
 * which are libcryptsetup's too: the possessor may view, search, link,
 * set attributes and write (update), and read a user key; the owner may
 * view. -EEXIST: a key of that description is there, left as it is (made
 * in this thread's keyring and moved, as in khu_keyring_add).
 */
int khu_keyring_link(int32_t ring, uint32_t type, const char *desc,
		     const void *key, size_t len, int32_t *out)
{
	key_serial_t id;
	int ret;

	id = add_key(khu_keyring_type_name(type), desc, key, len,
		     KEY_SPEC_THREAD_KEYRING);
	if (id < 0)
		return -errno;
	ret = khu_keyring_move(id, ring);
	if (ret) {
		khu_keyring_revoke(KEY_SPEC_THREAD_KEYRING, id);
		return ret;
	}
	*out = id;
	return 0;
}
