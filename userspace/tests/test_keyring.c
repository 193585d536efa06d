// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of keyring.c: the spelling of key and keyring names, and the
 * new kernel's side against the real kernel keyring of this machine, in a
 * session keyring of the test's own (nothing outside it is touched). Where
 * the keyring syscalls are not permitted (some container sandboxes), those
 * checks are skipped and say so.
 */
#include <errno.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyring.h"
#include "uapi/keyhandover.h"
#include "tap.h"

static void test_parse_ref(void)
{
	const char *d = NULL;
	char big[KH_DESC_LEN + 8];
	uint32_t t = 0;

	check(!khu_keyring_parse_ref("%logon:cryptsetup:vk", &t, &d) &&
	      t == KH_KEY_LOGON && !strcmp(d, "cryptsetup:vk"),
	      "%logon:DESC is a logon key");
	check(!khu_keyring_parse_ref("%user:plain", &t, &d) &&
	      t == KH_KEY_USER && !strcmp(d, "plain"),
	      "%user:DESC is a user key, no prefix needed");
	check(!khu_keyring_parse_ref("svc:name", &t, &d) && t == KH_KEY_LOGON &&
	      !strcmp(d, "svc:name"), "a bare description is a logon key");
	check(khu_keyring_parse_ref("plain", &t, &d) == -EINVAL,
	      "a logon description without SERVICE: is refused");
	check(khu_keyring_parse_ref(":name", &t, &d) == -EINVAL,
	      "a logon description with an empty service is refused");
	check(khu_keyring_parse_ref("%user:", &t, &d) == -EINVAL,
	      "an empty description is refused");
	check(khu_keyring_parse_ref("%keyring:x", &t, &d) == -EPROTOTYPE,
	      "another key type is refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[3] = ':';
	check(khu_keyring_parse_ref(big, &t, &d) == -ENAMETOOLONG,
	      "a description past KH_DESC_LEN is refused");
}

static void test_parse_parent(void)
{
	int32_t id = 0;

	check(!khu_keyring_parse_parent("@u", &id) &&
	      id == KEY_SPEC_USER_KEYRING, "@u");
	check(!khu_keyring_parse_parent("@us", &id) &&
	      id == KEY_SPEC_USER_SESSION_KEYRING, "@us");
	check(!khu_keyring_parse_parent("@s", &id) &&
	      id == KEY_SPEC_SESSION_KEYRING, "@s");
	check(!khu_keyring_parse_parent("42", &id) && id == 42, "a serial");
	check(khu_keyring_parse_parent("0", &id) == -EINVAL,
	      "serial 0 refused");
	check(khu_keyring_parse_parent("-3", &id) == -EINVAL,
	      "a negative serial refused");
	check(khu_keyring_parse_parent("4294967296", &id) == -EINVAL,
	      "a serial past int32 refused");
	check(khu_keyring_parse_parent("@g", &id) == -EINVAL,
	      "an unknown special keyring refused");
}

/* The payload of @id equals @want (@len bytes). */
static int payload_is(int32_t id, const void *want, size_t len)
{
	void *got = NULL;
	long n = keyctl_read_alloc(id, &got);
	int ok = n == (long)len && !memcmp(got, want, len);

	free(got);
	return ok;
}

static unsigned int perm_of(int32_t id)
{
	char *d = NULL;
	unsigned int perm = 0;

	/* "type;uid;gid;perm;description", perm in hex */
	if (keyctl_describe_alloc(id, &d) >= 0)
		sscanf(d, "%*[^;];%*[^;];%*[^;];%x", &perm);
	free(d);
	return perm;
}

static void test_store(void)
{
	static const unsigned char key[64] = { 1, 2, 3, 4, 0, 0xff };
	static const char other[] = "unrelated";
	int32_t ring = 0, ring2 = 0, id = 0, id2 = 0, foreign;
	int ret;

	check(!khu_keyring_open_ring(KEY_SPEC_SESSION_KEYRING, &ring) &&
	      ring > 0, "the keyhandover keyring is made in @s");
	check(!khu_keyring_open_ring(KEY_SPEC_SESSION_KEYRING, &ring2) &&
	      ring2 == ring, "... and found again, not made twice");
	check(perm_of(ring) == (KEY_POS_VIEW | KEY_POS_READ | KEY_POS_WRITE |
				KEY_POS_SEARCH | KEY_POS_SETATTR),
	      "... with possessor-only permissions");

	ret = khu_keyring_add(ring, "vol", key, sizeof(key), 60, &id);
	check(!ret && id > 0, "a key is added as keyhandover:vol");
	check(payload_is(id, key, sizeof(key)), "... holding the key");
	check(keyctl_search(ring, "user", "keyhandover:vol", 0) == id,
	      "... found by cryptsetup's kind of lookup (%user:keyhandover:vol)");
	check(perm_of(id) == (KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH |
			      KEY_POS_SETATTR),
	      "... with possessor-only permissions");

	check(khu_keyring_add(ring, "vol", other, sizeof(other), 60, &id2) ==
	      -EEXIST, "30: the same name again is refused");
	check(payload_is(id, key, sizeof(key)), "30: ... the first key unchanged");

	foreign = add_key("user", "keyhandover:theirs", other, sizeof(other),
			  ring);
	check(foreign > 0 &&
	      khu_keyring_add(ring, "theirs", key, sizeof(key), 60, &id2) ==
	      -EEXIST, "30: an unrelated key of that description is refused");
	check(payload_is(foreign, other, sizeof(other)),
	      "30: ... and left exactly as it was");

	check(!khu_keyring_revoke(ring, id), "revoke");
	check(keyctl_read_alloc(id, &(void *){ NULL }) < 0,
	      "... the key can no longer be read");
	check(keyctl_search(ring, "user", "keyhandover:vol", 0) < 0,
	      "... nor found");
}

/* The lockdown LSM's file, as securityfs shows it, in a temporary file. */
static int sealed_by(const char *text)
{
	char path[] = "/tmp/kh-lockdown.XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ?
	      khu_keyring_sealed(path) : -EIO;
	close(fd);
	unlink(path);
	return ret;
}

static void test_sealed(void)
{
	check(sealed_by("[none] integrity confidentiality\n") == 0 &&
	      sealed_by("none [integrity] confidentiality\n") == 0,
	      "lockdown none or integrity: logon keys are taken");
	check(sealed_by("none integrity [confidentiality]\n") == 1,
	      "lockdown confidentiality: sealed");
	check(khu_keyring_sealed("/nonexistent/lockdown") == -ENOENT,
	      "no lockdown file (no securityfs): -ENOENT, not a guess");
}

/* Is @id linked in this thread's keyring, where the module looks first? */
static int in_thread(int32_t id, const char *type, const char *desc)
{
	return keyctl_search(KEY_SPEC_THREAD_KEYRING, type, desc, 0) == id;
}

/* take(@type, @desc) from @s, the test's session keyring, with @size. */
static int take_s(uint32_t type, const char *desc, uint32_t size,
		  int32_t *id)
{
	return khu_keyring_take(KEY_SPEC_SESSION_KEYRING, NULL, type, desc,
				size, id);
}

/* The key of link-volume-key=: found where the line says, never read. */
static void test_take(void)
{
	static const unsigned char key[32] = { 7 };
	int32_t u, l, id = 0;

	check(take_s(KH_KEY_LOGON, "khtest:none", 32, &id) == 0 &&
	      take_s(KH_KEY_USER, "khtest:none", 32, &id) == 0,
	      "take: no such key: 0");
	u = add_key("user", "khtest:u", key, sizeof(key),
		    KEY_SPEC_SESSION_KEYRING);
	l = add_key("logon", "khtest:l", key, sizeof(key),
		    KEY_SPEC_SESSION_KEYRING);
	check(u > 0 && take_s(KH_KEY_USER, "khtest:u", 32, &id) == 1 &&
	      id == u && in_thread(u, "user", "khtest:u"),
	      "take: a user key of the volume's size: 1, linked into our thread keyring");
	khu_keyring_drop(u);
	check(!in_thread(u, "user", "khtest:u") &&
	      keyctl_search(KEY_SPEC_SESSION_KEYRING, "user", "khtest:u", 0) == u,
	      "drop: gone from the thread keyring, still where the user put it");
	check(take_s(KH_KEY_USER, "khtest:u", 64, &id) == 0 &&
	      !in_thread(u, "user", "khtest:u"),
	      "take: a user key of another size than the volume's: 0, nothing left linked");
	check(l > 0 && take_s(KH_KEY_LOGON, "khtest:l", 64, &id) == 1 &&
	      id == l,
	      "take: a logon key, whose size only the module sees: 1");
	khu_keyring_drop(l);
	check(take_s(KH_KEY_LOGON, "khtest:u", 32, &id) == 0,
	      "take: a user key is no logon key of that description");
	check(!keyctl_setperm(u, KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK) &&
	      take_s(KH_KEY_USER, "khtest:u", 32, &id) == 0,
	      "take: a user key we may not read is not ours to take: 0");
	check(!keyctl_revoke(l) && take_s(KH_KEY_LOGON, "khtest:l", 32, &id) == 0,
	      "take: a revoked key: 0");
	keyctl_unlink(u, KEY_SPEC_SESSION_KEYRING);
	keyctl_unlink(l, KEY_SPEC_SESSION_KEYRING);
}

/*
 * A key planted where the caller's search chain reaches it, but not in the
 * keyring link-volume-key= names, or not root's: never taken; and the one
 * taken is the one request_key() finds first, as the module's does.
 */
static void test_take_planted(void)
{
	static const unsigned char real[32] = { 1 }, fake[32] = { 2 };
	int32_t ring, inner, planted, good, id = 0;

	ring = add_key("keyring", "khtest-named", NULL, 0,
		       KEY_SPEC_SESSION_KEYRING);
	planted = add_key("logon", "khtest:vol", fake, sizeof(fake),
			  KEY_SPEC_SESSION_KEYRING);
	check(ring > 0 && planted > 0 &&
	      khu_keyring_take(0, "khtest-named", KH_KEY_LOGON, "khtest:vol",
			       32, &id) == 0,
	      "planted: in the session keyring, not in the one named: 0");
	inner = add_key("keyring", "khtest-inner", NULL, 0, ring);
	good = add_key("logon", "khtest:vol", real, sizeof(real), inner);
	check(inner > 0 && good > 0 &&
	      khu_keyring_take(0, "khtest-named", KH_KEY_LOGON, "khtest:vol",
			       32, &id) == 0,
	      "planted: in a keyring nested in the named one: 0 (that keyring only)");
	check(!keyctl_link(good, ring) && !keyctl_unlink(good, inner) &&
	      khu_keyring_take(0, "khtest-named", KH_KEY_LOGON, "khtest:vol",
			       32, &id) == 1 && id == good &&
	      request_key("logon", "khtest:vol", NULL, 0) == good,
	      "planted: the named keyring's own key taken, and request_key() finds it before the session's");
	khu_keyring_drop(good);
	check(!keyctl_chown(good, 1, (gid_t)-1) &&
	      khu_keyring_take(0, "khtest-named", KH_KEY_LOGON, "khtest:vol",
			       32, &id) == 0 &&
	      !in_thread(good, "logon", "khtest:vol"),
	      "planted: a key root does not own (another user's): 0");
	keyctl_unlink(good, ring);
	keyctl_unlink(inner, ring);
	keyctl_unlink(planted, KEY_SPEC_SESSION_KEYRING);
	keyctl_unlink(ring, KEY_SPEC_SESSION_KEYRING);
}

/* What add_key() gives a key of a type that can be updated. */
#define KHT_DEFAULT_PERM	(KEY_POS_VIEW | KEY_POS_WRITE | KEY_POS_SEARCH | \
				 KEY_POS_LINK | KEY_POS_SETATTR | KEY_USR_VIEW)

/* /proc/keys says "perm" where a key has no expiry. */
static int never_expires(int32_t id)
{
	char line[512], want[16], expiry[32];
	int found = 0;
	FILE *f = fopen("/proc/keys", "re");

	if (!f)
		return 0;
	snprintf(want, sizeof(want), "%08x ", id);
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want)) &&
			sscanf(line, "%*s %*s %*s %31s", expiry) == 1 &&
			!strcmp(expiry, "perm");
	fclose(f);
	return found;
}

static void test_link(void)
{
	static const unsigned char key[64] = { 9, 8, 7 }, other[64] = { 1 };
	int32_t ring = 0, named, id = 0, id2 = 0;

	check(!khu_keyring_find_ring(KEY_SPEC_SESSION_KEYRING, NULL, &ring) &&
	      ring == keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0),
	      "find ring: @s, the one there");
	named = add_key("keyring", "khtest-ring", NULL, 0,
			KEY_SPEC_SESSION_KEYRING);
	check(named > 0 && !khu_keyring_find_ring(0, "khtest-ring", &ring) &&
	      ring == named, "find ring: %:NAME, by its description");
	check(khu_keyring_find_ring(0, "khtest-none", &ring) == -ENOKEY,
	      "find ring: no keyring of that name: -ENOKEY, none made");
	check(!khu_keyring_link(named, KH_KEY_LOGON, "khtest:vol", key,
				sizeof(key), &id) && id > 0 &&
	      keyctl_search(named, "logon", "khtest:vol", 0) == id,
	      "link: a logon key lands in the named keyring");
	check(perm_of(id) == KHT_DEFAULT_PERM && never_expires(id),
	      "link: add_key()'s own permissions (no read: logon), no timeout");
	check(!khu_keyring_link(named, KH_KEY_USER, "khtest:uvol", key,
				sizeof(key), &id2) &&
	      payload_is(id2, key, sizeof(key)) &&
	      perm_of(id2) == (KHT_DEFAULT_PERM | KEY_POS_READ),
	      "link: a user key, its payload the key, readable by its possessor");
	check(khu_keyring_link(named, KH_KEY_USER, "khtest:uvol", other,
			       sizeof(other), &id) == -EEXIST &&
	      payload_is(id2, key, sizeof(key)),
	      "link: the same description again: -EEXIST, the first left as it was");
	keyctl_unlink(named, KEY_SPEC_SESSION_KEYRING);
}

int main(void)
{
	test_parse_ref();
	test_parse_parent();
	test_sealed();
	/* A session keyring of our own: nothing of the caller's is touched. */
	if (keyctl_join_session_keyring(NULL) < 0) {
		printf("# skip: the keyring checks: keyctl not permitted here (%s)\n",
		       strerror(errno));
	} else {
		test_store();
		test_take();
		test_take_planted();
		test_link();
	}
	return khu_tap_done();
}
