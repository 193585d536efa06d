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

int main(void)
{
	test_parse_ref();
	test_parse_parent();
	/* A session keyring of our own: nothing of the caller's is touched. */
	if (keyctl_join_session_keyring(NULL) < 0)
		printf("# skip: the keyring checks: keyctl not permitted here (%s)\n",
		       strerror(errno));
	else
		test_store();
	return khu_tap_done();
}
