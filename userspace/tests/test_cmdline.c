// SPDX-License-Identifier: GPL-2.0
/* Unit tests of keyhandover.nonce= handling on kernel command lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "tap.h"


static const uint8_t nonce[KH_NONCE_LEN] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
#define HEX "00112233445566778899aabbccddeeff"

static void check_set(const char *in, const char *want, const char *what)
{
	char *out = NULL;
	int ret = khu_cmdline_set_nonce(in, nonce, &out);

	check(!ret && out && !strcmp(out, want), what);
	if (out && strcmp(out, want))
		printf("#   got '%s'\n", out);
	free(out);
}

static void test_set(void)
{
	char *out = NULL, *big;

	check_set("", "keyhandover.nonce=" HEX, "empty command line");
	check_set("ro quiet", "ro quiet keyhandover.nonce=" HEX,
		  "appended to a command line");
	check_set("ro keyhandover.nonce=abc  quiet\n",
		  "ro quiet keyhandover.nonce=" HEX,
		  "an earlier nonce is replaced, spaces and newline tidied");
	check_set("keyhandover.nonce=1 keyhandover.nonce=2",
		  "keyhandover.nonce=" HEX, "every earlier nonce goes");
	check_set("xkeyhandover.nonce=1 memmap=4K$0x7000000",
		  "xkeyhandover.nonce=1 memmap=4K$0x7000000 keyhandover.nonce=" HEX,
		  "only whole words are nonce words; memmap= kept verbatim");
	big = malloc(3000);
	memset(big, 'a', 2999);
	big[2999] = 0;
	check(khu_cmdline_set_nonce(big, nonce, &out) == -E2BIG && !out,
	      "a command line past 2048 bytes is refused");
	free(big);
}

static void test_strip_and_words(void)
{
	char *out = NULL;

	check(!khu_cmdline_set_nonce("ro keyhandover.nonce=" HEX " quiet", NULL,
				     &out) && !strcmp(out, "ro quiet"),
	      "without a nonce to set, an old one is only stripped");
	free(out);
	out = NULL;
	check(!khu_cmdline_set_nonce("", NULL, &out) && !strcmp(out, ""),
	      "stripping an empty command line");
	free(out);
	check(khu_cmdline_has_word("ro memmap=4K$0x7000000 quiet",
				   "memmap=4K$0x7000000"), "a word is found");
	check(!khu_cmdline_has_word("ro memmap=4K$0x70000000",
				    "memmap=4K$0x7000000"),
	      "a longer word is not that word");
	check(!khu_cmdline_has_word("ro xmemmap=4K$0x7000000",
				    "memmap=4K$0x7000000"),
	      "nor one with a prefix");
	check(!khu_cmdline_has_word("", "memmap=4K$0x7000000"),
	      "nothing in an empty command line");
}

static void test_get(void)
{
	uint8_t got[KH_NONCE_LEN];

	memset(got, 0, sizeof(got));
	check(!khu_cmdline_get_nonce("ro keyhandover.nonce=" HEX " quiet", got) &&
	      !memcmp(got, nonce, sizeof(got)), "nonce read back");
	memset(got, 0, sizeof(got));
	check(!khu_cmdline_get_nonce("keyhandover.nonce=" "00112233445566778899AABBCCDDEEFF\n",
				     got) && !memcmp(got, nonce, sizeof(got)),
	      "upper-case hex and a trailing newline");
	check(khu_cmdline_get_nonce("ro quiet", got) == -ENOENT,
	      "no nonce: -ENOENT");
	check(khu_cmdline_get_nonce("", got) == -ENOENT, "empty: -ENOENT");
	memset(got, 0x5a, sizeof(got));
	check(khu_cmdline_get_nonce("keyhandover.nonce=0011", got) == -EINVAL &&
	      got[0] == 0x5a, "short nonce refused, output untouched");
	check(khu_cmdline_get_nonce("keyhandover.nonce=" HEX "00", got) == -EINVAL,
	      "long nonce refused");
	check(khu_cmdline_get_nonce("keyhandover.nonce=g0112233445566778899aabbccddeeff",
				    got) == -EINVAL, "non-hex nonce refused");
	check(khu_cmdline_get_nonce("keyhandover.nonce= ro", got) == -EINVAL,
	      "empty nonce refused");
	check(!khu_cmdline_get_nonce("keyhandover.nonce=zz keyhandover.nonce=" HEX,
				     got) && !memcmp(got, nonce, sizeof(got)),
	      "the last nonce word wins");
}

static void test_edit_words(void)
{
	char line[] = "BOOT_IMAGE=/boot/vmlinuz-6.1 root=UUID=x ro BOOT_IMAGE quiet BOOT_IMAGEX=1";
	char *buf = strdup("root=/dev/vda ro");

	khu_cmdline_strip_word(line, "BOOT_IMAGE");
	check(!strcmp(line, "root=UUID=x ro quiet BOOT_IMAGEX=1"),
	      "strip BOOT_IMAGE= and a bare BOOT_IMAGE, not BOOT_IMAGEX");
	check(buf && !khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") &&
	      !strcmp(buf, "root=/dev/vda ro memmap=4K$0x7000000"),
	      "add a word");
	check(!khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") &&
	      !strcmp(buf, "root=/dev/vda ro memmap=4K$0x7000000"),
	      "a word already there is not added twice");
	free(buf);
	buf = strdup("");
	check(buf && !khu_cmdline_add_word(&buf, "a") && !strcmp(buf, "a"),
	      "add to an empty line: no leading space");
	free(buf);
}

/* "--" ends the kernel's parameters: words after it are init's. */
static void test_separator(void)
{
	char line[] = "BOOT_IMAGE=/vmlinuz ro -- BOOT_IMAGE=x  single";
	uint8_t got[KH_NONCE_LEN];
	char *buf = strdup("root=/dev/x ro -- single"), v[16];

	check(buf && !khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") &&
	      !strcmp(buf, "root=/dev/x ro memmap=4K$0x7000000 -- single"),
	      "a word is added before --, not after it");
	free(buf);
	buf = strdup("ro --\tmemmap=4K$0x7000000");
	check(buf && !khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") &&
	      !strcmp(buf, "ro memmap=4K$0x7000000 --\tmemmap=4K$0x7000000"),
	      "one after -- is init's: added before it all the same");
	free(buf);
	check(!khu_cmdline_has_word("ro -- memmap=4K$0x7000000",
				    "memmap=4K$0x7000000") &&
	      !khu_cmdline_has_word("ro \"--\" memmap=4K$0x7000000",
				    "memmap=4K$0x7000000") &&
	      !khu_cmdline_has_word("ro\t--\vmemmap=4K$0x7000000",
				    "memmap=4K$0x7000000"),
	      "the presence check stops at --, \"--\" and -- between tabs");
	check(khu_cmdline_has_word("ro a--b --x memmap=4K$0x7000000",
				   "memmap=4K$0x7000000"),
	      "a--b and --x are no separator");
	check_set("ro -- keyhandover.nonce=1 single",
		  "ro keyhandover.nonce=" HEX " -- keyhandover.nonce=1 single",
		  "the nonce goes before --; init's words are left alone");
	check(khu_cmdline_get_nonce("ro -- keyhandover.nonce=" HEX, got) == -ENOENT,
	      "a nonce after -- is no nonce");
	check(!khu_cmdline_get_nonce("keyhandover.nonce=" HEX " -- keyhandover.nonce=zz",
				     got) && !memcmp(got, nonce, sizeof(got)),
	      "the last nonce before -- wins");
	khu_cmdline_strip_word(line, "BOOT_IMAGE");
	check(!strcmp(line, "ro -- BOOT_IMAGE=x  single"),
	      "strip: init's words after -- kept verbatim");
	check(!khu_cmdline_get_value("kho=off x kho=on -- kho=off", "kho", v,
				     sizeof(v)) && !strcmp(v, "on"),
	      "the last value before -- wins");
	check(khu_cmdline_get_value("x -- kho=on", "kho", v, sizeof(v)) == -ENOENT,
	      "no value before --: -ENOENT");
}

/* Double quotes hold spaces, as in the kernel's next_arg(). */
static void test_quotes(void)
{
	char *buf = strdup("root=x \"foo=a -- b\"");
	char *out = NULL;

	check(buf && !khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") &&
	      !strcmp(buf, "root=x \"foo=a -- b\" memmap=4K$0x7000000"),
	      "a -- inside double quotes is no separator");
	free(buf);
	check_set("\"foo=a  b\" ro", "\"foo=a  b\" ro keyhandover.nonce=" HEX,
		  "a quoted word keeps its spaces");
	buf = strdup("root=x \"foo=a b");
	check(buf && khu_cmdline_add_word(&buf, "memmap=4K$0x7000000") == -EINVAL &&
	      !strcmp(buf, "root=x \"foo=a b"),
	      "an unmatched quote would swallow the word: -EINVAL, unchanged");
	free(buf);
	check(khu_cmdline_set_nonce("root=x \"foo", nonce, &out) == -EINVAL && !out,
	      "nor is a nonce hidden in an unmatched quote");
	check(!khu_cmdline_has_word("\"a memmap=4K$0x7000000\"",
				    "memmap=4K$0x7000000"),
	      "a word inside quotes is not a parameter");
}

int main(void)
{
	test_separator();
	test_quotes();
	test_set();
	test_strip_and_words();
	test_edit_words();
	test_get();
	return khu_tap_done();
}
