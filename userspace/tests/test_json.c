// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the JSON writer (json.c): the exact text for each kind
 * of value, RFC 8259's escapes, UTF-8 passed through and every kind of
 * invalid byte replaced, nesting and its limit, misuse refused and the
 * first error kept. The nasty strings are also read back by python3's
 * json module (pyjson.h), a real parser, and compared with what they
 * must decode to.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "tap.h"
#include "pyjson.h"

static struct khu_json j;
static char tmp[] = "/tmp/kh-json-test.XXXXXX";

/* The document so far ends well and is exactly @want. */
static int is(const char *want)
{
	const char *text;
	size_t len;

	if (khu_json_finish(&j, &text, &len)) {
		printf("#   error %d\n", j.err);
		return 0;
	}
	if (len != strlen(want) || memcmp(text, want, len)) {
		printf("#   got  %.*s\n#   want %s\n", (int)len, text, want);
		return 0;
	}
	return 1;
}

/* A fresh document. */
static void start(void)
{
	khu_json_free(&j);
	khu_json_init(&j);
}

/* @len bytes of @s as the document, a string: exactly @want. */
static int string_is(const char *s, size_t len, const char *want)
{
	start();
	khu_json_string_len(&j, NULL, s, len);
	return is(want);
}

static void test_values(void)
{
	start();
	check(khu_json_finish(&j, &(const char *){ NULL }, &(size_t){ 0 }) ==
	      -EINVAL, "an empty document is refused");
	start();
	khu_json_begin_object(&j, NULL);
	khu_json_string(&j, "s", "x");
	khu_json_string(&j, "n", NULL);
	khu_json_int(&j, "i", -42);
	khu_json_uint(&j, "u", 117440512);
	khu_json_bool(&j, "t", true);
	khu_json_bool(&j, "f", false);
	khu_json_null(&j, "z");
	khu_json_tristate(&j, "t1", 1);
	khu_json_tristate(&j, "t0", 0);
	khu_json_tristate(&j, "tn", -1);
	khu_json_end_object(&j);
	check(is("{\"s\":\"x\",\"n\":null,\"i\":-42,\"u\":117440512,\"t\":true,\"f\":false,\"z\":null,\"t1\":true,\"t0\":false,\"tn\":null}"),
	      "an object of every kind of value, compact, in order");
	start();
	khu_json_begin_array(&j, NULL);
	khu_json_int(&j, NULL, INT64_MIN);
	khu_json_uint(&j, NULL, UINT64_MAX);
	khu_json_int(&j, NULL, 0);
	khu_json_end_array(&j);
	check(is("[-9223372036854775808,18446744073709551615,0]"),
	      "numbers at the ends of their ranges");
	start();
	khu_json_begin_object(&j, NULL);
	khu_json_begin_array(&j, "a");
	khu_json_end_array(&j);
	khu_json_begin_object(&j, "o");
	khu_json_end_object(&j);
	khu_json_begin_array(&j, "l");
	khu_json_begin_object(&j, NULL);
	khu_json_string(&j, "k", "v");
	khu_json_end_object(&j);
	khu_json_begin_array(&j, NULL);
	khu_json_end_array(&j);
	khu_json_end_array(&j);
	khu_json_end_object(&j);
	check(is("{\"a\":[],\"o\":{},\"l\":[{\"k\":\"v\"},[]]}"),
	      "nesting, empty objects and arrays");
	start();
	khu_json_string(&j, NULL, "top");
	check(is("\"top\""), "a string alone is a document");
}

static void test_escapes(void)
{
	check(string_is("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\""),
	      "quote and backslash escaped, '/' not");
	check(string_is("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\""),
	      "the five short escapes");
	check(string_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\""),
	      "other control characters as \\u00XX; DEL as it is");
	check(string_is("a\0b", 3, "\"a\\u0000b\""),
	      "a NUL inside a counted string: \\u0000");
	start();
	khu_json_begin_object(&j, NULL);
	khu_json_bool(&j, "k\"\n", true);
	khu_json_end_object(&j);
	check(is("{\"k\\\"\\n\":true}"), "keys are escaped too");
}

static void test_utf8(void)
{
	check(string_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", 14,
			"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\""),
	      "valid UTF-8 of 2, 3 and 4 bytes goes through");
	check(string_is("\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7,
			"\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""),
	      "U+FFFF and U+10FFFF go through");
	check(string_is("caf\xe9", 4, "\"caf\\ufffd\""),
	      "a Latin-1 byte becomes U+FFFD");
	check(string_is("\x80\xbf", 2, "\"\\ufffd\\ufffd\""),
	      "stray continuation bytes: one U+FFFD each");
	check(string_is("\xc0\x80\xc1\xbf", 4,
			"\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	      "overlong 2-byte forms (C0, C1)");
	check(string_is("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\""),
	      "an overlong 3-byte form");
	check(string_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""),
	      "a UTF-16 surrogate encoded as UTF-8");
	check(string_is("\xf4\x90\x80\x80", 4,
			"\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
	      "a code point past U+10FFFF");
	check(string_is("\xf5\xff\xfe", 3, "\"\\ufffd\\ufffd\\ufffd\""),
	      "bytes that never start a sequence");
	check(string_is("x\xe2\x82", 3, "\"x\\ufffd\\ufffd\""),
	      "a sequence cut short by the end");
	check(string_is("\xe2\x82x", 3, "\"\\ufffd\\ufffdx\""),
	      "a sequence cut short by ASCII, which is kept");
}

static void test_misuse(void)
{
	start();
	khu_json_begin_object(&j, NULL);
	check(khu_json_string(&j, NULL, "v") == -EINVAL,
	      "a member without a key is refused");
	check(khu_json_string(&j, "k", "v") == -EINVAL &&
	      khu_json_end_object(&j) == -EINVAL,
	      "... and the error sticks: every later call gives it");
	check(khu_json_finish(&j, &(const char *){ NULL }, &(size_t){ 0 }) ==
	      -EINVAL, "... and finish gives it");
	start();
	khu_json_begin_array(&j, NULL);
	check(khu_json_int(&j, "k", 1) == -EINVAL,
	      "a value in an array with a key is refused");
	start();
	check(khu_json_int(&j, "k", 1) == -EINVAL,
	      "the document with a key is refused");
	start();
	khu_json_begin_array(&j, NULL);
	check(khu_json_end_object(&j) == -EINVAL,
	      "closing an array as an object is refused");
	start();
	check(khu_json_end_array(&j) == -EINVAL,
	      "closing what was never opened is refused");
	start();
	khu_json_int(&j, NULL, 1);
	check(khu_json_int(&j, NULL, 2) == -EINVAL,
	      "a second value after the document is refused");
	start();
	khu_json_begin_object(&j, NULL);
	check(khu_json_finish(&j, &(const char *){ NULL }, &(size_t){ 0 }) ==
	      -EINVAL, "an object left open is not a document");
}

static void test_depth(void)
{
	int i, ret = 0;

	start();
	for (i = 0; i < KHU_JSON_DEPTH; i++)
		ret |= khu_json_begin_array(&j, NULL);
	check(!ret, "arrays nested KHU_JSON_DEPTH deep");
	check(khu_json_begin_array(&j, NULL) == -E2BIG,
	      "one deeper is refused (-E2BIG)");
	start();
	for (i = 0; i < KHU_JSON_DEPTH; i++)
		khu_json_begin_array(&j, NULL);
	for (i = 0; i < KHU_JSON_DEPTH; i++)
		khu_json_end_array(&j);
	check(is("[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"), "... and closed again");
}

/* Past the first buffer: the text grows and stays whole. */
static void test_growth(void)
{
	char want[64];
	const char *text;
	size_t len;
	int i, ok = 1;

	start();
	khu_json_begin_array(&j, NULL);
	for (i = 0; i < 5000; i++)
		khu_json_string(&j, NULL, "0123456789");
	khu_json_end_array(&j);
	ok = !khu_json_finish(&j, &text, &len) && len == 2 + 5000 * 13 - 1 &&
	     text[len] == '\0';
	snprintf(want, sizeof(want), "\"0123456789\"]");
	check(ok && !strcmp(text + len - strlen(want), want),
	      "5000 strings: 64 KiB of text, NUL-terminated");
}

/*
 * The nasty strings a device path or crypttab name could hold, through
 * python3's json module: each decodes to what it was, U+FFFD where a
 * byte was not UTF-8.
 */
static void test_python(void)
{
	static const char nasty[] =
		"/dev/disk/by-label/a \"b\" \\c\nd\te\x01\x7f caf\xc3\xa9 caf\xe9 \xed\xa0\x80";
	char path[64];
	const char *text;
	size_t len;

	if (!khu_py_available()) {
		check(0, "python3 is installed (scripts/deps.sh test)");
		return;
	}
	snprintf(path, sizeof(path), "%s/doc.json", tmp);
	start();
	khu_json_begin_object(&j, NULL);
	khu_json_string(&j, "nasty", nasty);
	khu_json_string_len(&j, "nul", "a\0b", 3);
	khu_json_string(&j, "k\"ey\\", "v");
	khu_json_int(&j, "min", INT64_MIN);
	khu_json_uint(&j, "max", UINT64_MAX);
	khu_json_tristate(&j, "unknown", -1);
	khu_json_begin_array(&j, "a");
	khu_json_begin_object(&j, NULL);
	khu_json_end_object(&j);
	khu_json_end_array(&j);
	khu_json_end_object(&j);
	check(!khu_json_finish(&j, &text, &len) &&
	      khu_py_put(path, text, len), "the document written");
	check(khu_py_check(path,
			   "d['nasty'] == '/dev/disk/by-label/a \"b\" \\\\c\\nd\\te\\x01\\x7f caf\\xe9 caf\\ufffd \\ufffd\\ufffd\\ufffd'",
			   NULL),
	      "python3: quotes, backslash, newline, tab, controls, UTF-8 and the bytes that were not");
	check(khu_py_check(path, "d['nul'] == 'a\\x00b' and d['k\"ey\\\\'] == 'v'",
			   NULL), "python3: a NUL, a key with a quote and backslash");
	check(khu_py_check(path,
			   "d['min'] == -2**63 and d['max'] == 2**64 - 1 and d['unknown'] is None and d['a'] == [{}]",
			   NULL), "python3: the numbers, null, nesting");
	check(khu_py_check(path, "d['nasty'] == a[0]",
			   "/dev/disk/by-label/a \"b\" \\c\nd\te\x01\x7f caf\xc3\xa9 caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"),
	      "python3: the same string passed as an argument, U+FFFD as UTF-8");
	unlink(path);
}

int main(void)
{
	if (!mkdtemp(tmp))
		return 1;
	test_values();
	test_escapes();
	test_utf8();
	test_misuse();
	test_depth();
	test_growth();
	test_python();
	khu_json_free(&j);
	rmdir(tmp);
	return khu_tap_done();
}
