// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of keysource.c: which mode stash arms in, given what each
 * volume's crypttab line names, which keys are in the keyring, lockdown,
 * and whether a passphrase may be asked for.
 */
#include <stdio.h>

#include "keysource.h"
#include "tap.h"

/* Linked and in the keyring; linked but not there; not linked. */
#define IN	{ .named = true, .present = true }
#define LOGON	{ .named = true, .present = true, .logon = true }
#define GONE	{ .named = true }
#define PLAIN	{ 0 }
#define KEYFILE	{ .key_file = true }
#define IN_KF	{ .named = true, .present = true, .key_file = true }
#define REFUSED	{ .named = true, .refused = true }
#define REF_KF	{ .named = true, .refused = true, .key_file = true }

static struct khu_ks_choice c;

static void choose(const struct khu_ks_volume *v, unsigned int n, bool sealed,
		   enum khu_ks_ask ask)
{
	c = (struct khu_ks_choice){ .mode = 99, .cause = 99, .prompt = 99 };
	khu_keysource_choose(v, n, sealed, ask, &c);
}

/* Did the last choice take @mode, naming volume @cause for @why? */
static bool chose(enum khu_ks_mode mode, unsigned int cause,
		  enum khu_ks_why why)
{
	return c.mode == mode && c.cause == cause && c.why == why;
}

static void test_why(void)
{
	static const struct khu_ks_volume in = IN, logon = LOGON, gone = GONE,
		plain = PLAIN, kf = KEYFILE;

	check(khu_keysource_why(&in, false) == KHU_KS_IN_KEYRING &&
	      khu_keysource_why(&in, true) == KHU_KS_IN_KEYRING,
	      "a user key that is there: in the keyring, lockdown or not");
	check(khu_keysource_why(&logon, false) == KHU_KS_IN_KEYRING &&
	      khu_keysource_why(&logon, true) == KHU_KS_SEALED,
	      "a logon key: sealed under lockdown=confidentiality");
	check(khu_keysource_why(&gone, true) == KHU_KS_MISSING,
	      "named but not there: missing");
	check(khu_keysource_why(&plain, false) == KHU_KS_NOT_NAMED &&
	      khu_keysource_why(&kf, false) == KHU_KS_NOT_NAMED,
	      "no link-volume-key=: not named, key file or not");
}

static void test_keyring(void)
{
	static const struct khu_ks_volume one[] = { IN },
		two[] = { IN, LOGON }, kf[] = { IN_KF, IN };

	choose(one, 1, false, KHU_KS_ASK);
	check(c.mode == KHU_KS_KEYRING && c.why == KHU_KS_IN_KEYRING,
	      "one volume, its key there: keyring mode");
	choose(two, 2, false, KHU_KS_ASK);
	check(c.mode == KHU_KS_KEYRING, "every key there: keyring mode");
	choose(kf, 2, false, KHU_KS_ASK);
	check(c.mode == KHU_KS_KEYRING,
	      "a key file too: the keyring still wins (nothing read)");
	choose(two, 2, false, KHU_KS_ASK_FORBIDDEN);
	check(c.mode == KHU_KS_KEYRING, "--no-ask: keyring mode asks nothing");
	choose(two, 2, false, KHU_KS_ASK_NOWHERE);
	check(c.mode == KHU_KS_KEYRING,
	      "no terminal: keyring mode needs none");
	choose(one, 1, true, KHU_KS_ASK);
	check(c.mode == KHU_KS_KEYRING,
	      "lockdown=confidentiality: a user key is still taken");
}

static void test_passphrase(void)
{
	static const struct khu_ks_volume gone[] = { IN, GONE, PLAIN },
		plain[] = { PLAIN, IN }, logon[] = { IN, LOGON };

	choose(gone, 3, false, KHU_KS_ASK);
	check(chose(KHU_KS_PASSPHRASE, 1, KHU_KS_MISSING),
	      "one key not there: passphrase mode for all, that volume named");
	choose(plain, 2, false, KHU_KS_ASK);
	check(chose(KHU_KS_PASSPHRASE, 0, KHU_KS_NOT_NAMED),
	      "a volume without link-volume-key=: passphrase mode");
	choose(logon, 2, true, KHU_KS_ASK);
	check(chose(KHU_KS_PASSPHRASE, 1, KHU_KS_SEALED),
	      "a logon key under lockdown=confidentiality: passphrase mode");
	choose(logon, 0, false, KHU_KS_ASK);
	check(c.mode == KHU_KS_PASSPHRASE && c.why == KHU_KS_NOT_NAMED,
	      "no volume at all: never keyring mode");
}

static void test_refuse(void)
{
	static const struct khu_ks_volume kf[] = { KEYFILE, IN_KF },
		second[] = { KEYFILE, GONE, PLAIN }, mixed[] = { IN, KEYFILE };

	choose(kf, 2, false, KHU_KS_ASK_FORBIDDEN);
	check(c.mode == KHU_KS_PASSPHRASE,
	      "--no-ask, every volume with a key file: nothing to ask, passphrase mode");
	choose(second, 3, false, KHU_KS_ASK_FORBIDDEN);
	check(c.mode == KHU_KS_REFUSE && c.prompt == 1 && c.cause == 0 &&
	      c.why == KHU_KS_NOT_NAMED,
	      "--no-ask: refused, naming the first volume to ask for");
	choose(second, 3, false, KHU_KS_ASK_NOWHERE);
	check(c.mode == KHU_KS_REFUSE && c.prompt == 1,
	      "no terminal: refused the same way");
	choose(second, 3, false, KHU_KS_ASK);
	check(c.mode == KHU_KS_PASSPHRASE && c.prompt == 3,
	      "a terminal: passphrase mode, asking");
	choose(mixed, 2, false, KHU_KS_ASK_FORBIDDEN);
	check(c.mode == KHU_KS_REFUSE && c.prompt == 0 && c.cause == 1 &&
	      c.why == KHU_KS_NOT_NAMED,
	      "a key in the keyring but another volume without: refused for the first, the second the cause");
}

/* A key the module refused at the arm (nothing armed): choose again. */
static void test_refused(void)
{
	static const struct khu_ks_volume one[] = { IN, REFUSED },
		kf[] = { IN_KF, REF_KF }, ref = REFUSED;

	check(khu_keysource_why(&ref, false) == KHU_KS_REFUSED,
	      "refused by the module: not taken from the keyring again");
	choose(one, 2, false, KHU_KS_ASK);
	check(chose(KHU_KS_PASSPHRASE, 1, KHU_KS_REFUSED),
	      "refused, a prompt allowed: passphrase mode, that volume named");
	choose(one, 2, false, KHU_KS_ASK_FORBIDDEN);
	check(chose(KHU_KS_REFUSE, 1, KHU_KS_REFUSED) && c.prompt == 0,
	      "refused under --no-ask: refused, nothing to arm");
	choose(kf, 2, false, KHU_KS_ASK_FORBIDDEN);
	check(chose(KHU_KS_PASSPHRASE, 1, KHU_KS_REFUSED),
	      "refused under --no-ask, key files for all: passphrase mode");
}

int main(void)
{
	test_why();
	test_keyring();
	test_passphrase();
	test_refuse();
	test_refused();
	return khu_tap_done();
}
