// SPDX-License-Identifier: GPL-2.0
/*
 * A small JSON writer (RFC 8259): see json.h for the rules. The text is
 * built in one growing buffer, so that a command prints its document
 * whole or not at all: a failure half-way never leaves half an object on
 * stdout for a program to misread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void khu_json_init(struct khu_json *j)
{
	memset(j, 0, sizeof(*j));
}

void khu_json_free(struct khu_json *j)
{
	free(j->buf);
	khu_json_init(j);
}

/* Keep the first error; every later call gives it back. */
static int khu_json_fail(struct khu_json *j, int err)
{
	if (!j->err)
		j->err = err;
	return j->err;
}

/* Room for @n more bytes and the NUL, the buffer doubling as it grows. */
static int khu_json_reserve(struct khu_json *j, size_t n)
{
	size_t cap = j->cap ? j->cap : 256;
	char *buf;

	if (n > SIZE_MAX / 2 - j->len)
		return khu_json_fail(j, -EOVERFLOW);
	while (cap < j->len + n + 1)
		cap *= 2;
	if (cap == j->cap)
		return 0;
	buf = realloc(j->buf, cap);
	if (!buf)
		return khu_json_fail(j, -ENOMEM);
	j->buf = buf;
	j->cap = cap;
	return 0;
}

static int khu_json_put(struct khu_json *j, const char *s, size_t n)
{
	if (j->err || khu_json_reserve(j, n))
		return j->err;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
	return 0;
}

/* A continuation byte, 10xxxxxx. */
static bool khu_json_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * The length of the valid UTF-8 sequence at @s (@len bytes left), or 0.
 * RFC 3629's table: the second byte's range rules out overlong forms,
 * UTF-16 surrogates (ED A0..BF) and code points past U+10FFFF.
 */
static size_t khu_json_utf8(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (!khu_json_cont(s[i]))
			return 0;
	return n;
}

/* The escape RFC 8259 requires for byte @c, or NULL: none needed. */
static const char *khu_json_escape(unsigned char c, char *buf, size_t len)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (c >= 0x20)
		return NULL;
	snprintf(buf, len, "\\u%04x", c);
	return buf;
}

/* @s as a JSON string, quotes included (the rules: json.h). */
static int khu_json_quote(struct khu_json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0;

	khu_json_put(j, "\"", 1);
	while (i < len && !j->err) {
		const char *e = khu_json_escape(p[i], esc, sizeof(esc));
		size_t n;

		if (e) {
			khu_json_put(j, e, strlen(e));
			i++;
			continue;
		}
		n = khu_json_utf8(p + i, len - i);
		if (!n) {
			/* Not UTF-8: say so in the text, never pass it on. */
			khu_json_put(j, "\\ufffd", 6);
			i++;
			continue;
		}
		khu_json_put(j, s + i, n);
		i += n;
	}
	return khu_json_put(j, "\"", 1);
}

/*
 * Before any value: is one allowed here, with or without @key? Then the
 * comma that separates it from the one before, and its key.
 */
static int khu_json_value(struct khu_json *j, const char *key)
{
	bool in_object = j->depth && j->open[j->depth - 1] == '{';

	if (j->err)
		return j->err;
	if (j->done || in_object != !!key)
		return khu_json_fail(j, -EINVAL);
	if (!j->depth)
		return 0;
	if (!j->empty[j->depth - 1])
		khu_json_put(j, ",", 1);
	j->empty[j->depth - 1] = false;
	if (key) {
		khu_json_quote(j, key, strlen(key));
		khu_json_put(j, ":", 1);
	}
	return j->err;
}

/* A value is written: at the top, the document is whole. */
static int khu_json_written(struct khu_json *j)
{
	if (!j->err && !j->depth)
		j->done = true;
	return j->err;
}

static int khu_json_begin(struct khu_json *j, const char *key, char open)
{
	if (khu_json_value(j, key))
		return j->err;
	if (j->depth == KHU_JSON_DEPTH)
		return khu_json_fail(j, -E2BIG);
	j->open[j->depth] = open;
	j->empty[j->depth] = true;
	j->depth++;
	return khu_json_put(j, &open, 1);
}

static int khu_json_end(struct khu_json *j, char open, char close)
{
	if (j->err)
		return j->err;
	if (!j->depth || j->open[j->depth - 1] != open)
		return khu_json_fail(j, -EINVAL);
	j->depth--;
	khu_json_put(j, &close, 1);
	return khu_json_written(j);
}

int khu_json_begin_object(struct khu_json *j, const char *key)
{
	return khu_json_begin(j, key, '{');
}

int khu_json_end_object(struct khu_json *j)
{
	return khu_json_end(j, '{', '}');
}

int khu_json_begin_array(struct khu_json *j, const char *key)
{
	return khu_json_begin(j, key, '[');
}

int khu_json_end_array(struct khu_json *j)
{
	return khu_json_end(j, '[', ']');
}

/* @len bytes of @s, which may hold NUL bytes (written \u0000). */
int khu_json_string_len(struct khu_json *j, const char *key, const char *s,
			size_t len)
{
	if (khu_json_value(j, key))
		return j->err;
	khu_json_quote(j, s, len);
	return khu_json_written(j);
}

/* A C string; NULL is written as null, for a field not known. */
int khu_json_string(struct khu_json *j, const char *key, const char *s)
{
	if (!s)
		return khu_json_null(j, key);
	return khu_json_string_len(j, key, s, strlen(s));
}

/* A value spelled by the caller: a number or a literal. */
static int khu_json_raw(struct khu_json *j, const char *key, const char *text)
{
	if (khu_json_value(j, key))
		return j->err;
	khu_json_put(j, text, strlen(text));
	return khu_json_written(j);
}

int khu_json_int(struct khu_json *j, const char *key, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	return khu_json_raw(j, key, num);
}

int khu_json_uint(struct khu_json *j, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return khu_json_raw(j, key, num);
}

int khu_json_bool(struct khu_json *j, const char *key, bool v)
{
	return khu_json_raw(j, key, v ? "true" : "false");
}

/* true (@v > 0), false (0) or null (< 0: not known). */
int khu_json_tristate(struct khu_json *j, const char *key, int v)
{
	return v < 0 ? khu_json_null(j, key) : khu_json_bool(j, key, v);
}

int khu_json_null(struct khu_json *j, const char *key)
{
	return khu_json_raw(j, key, "null");
}

/*
 * The document, once its value is whole and every object and array is
 * closed: @text stays valid until khu_json_free(). Or the first error.
 */
int khu_json_finish(struct khu_json *j, const char **text, size_t *len)
{
	if (j->err)
		return j->err;
	if (!j->done)
		return khu_json_fail(j, -EINVAL);
	*text = j->buf;
	*len = j->len;
	return 0;
}
