/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON writer (RFC 8259) for the tool's --json output: one value
 * built in memory, compact, then printed whole. Nothing here prints.
 *
 * Every call returns 0 or a negative errno, and the first error sticks:
 * each later call returns it and writes nothing, so that a caller may
 * write a whole document and look only at khu_json_finish()'s answer.
 * A member of an object has a @key; a value in an array, or the document
 * itself, has none (NULL).
 *
 * Strings are copied as UTF-8. '"', '\\' and the control characters
 * U+0000..U+001F are escaped (\b \f \n \r \t, else \u00XX); any other
 * valid UTF-8 sequence goes through as it is. A byte that is not part of
 * a valid sequence (a stray continuation byte, a truncated, overlong or
 * surrogate sequence, a code point past U+10FFFF) becomes U+FFFD, written
 * \ufffd, so the output is always valid UTF-8 and always parses; such a
 * string is no longer the bytes it was made from.
 */
#ifndef KHU_JSON_H
#define KHU_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Objects and arrays nested deeper than this are refused (-E2BIG). */
#define KHU_JSON_DEPTH	16

struct khu_json {
	char *buf;			/* the text so far, NUL-terminated */
	size_t len;
	size_t cap;
	int err;			/* the first error, or 0 */
	unsigned int depth;		/* objects and arrays open */
	char open[KHU_JSON_DEPTH];	/* '{' or '[' for each */
	bool empty[KHU_JSON_DEPTH];	/* nothing in it yet: no comma */
	bool done;			/* the document's value is whole */
};

void khu_json_init(struct khu_json *j);
void khu_json_free(struct khu_json *j);
int khu_json_finish(struct khu_json *j, const char **text, size_t *len);

int khu_json_begin_object(struct khu_json *j, const char *key);
int khu_json_end_object(struct khu_json *j);
int khu_json_begin_array(struct khu_json *j, const char *key);
int khu_json_end_array(struct khu_json *j);

int khu_json_string(struct khu_json *j, const char *key, const char *s);
int khu_json_string_len(struct khu_json *j, const char *key, const char *s,
			size_t len);
int khu_json_int(struct khu_json *j, const char *key, int64_t v);
int khu_json_uint(struct khu_json *j, const char *key, uint64_t v);
int khu_json_bool(struct khu_json *j, const char *key, bool v);
int khu_json_tristate(struct khu_json *j, const char *key, int v);
int khu_json_null(struct khu_json *j, const char *key);

#endif /* KHU_JSON_H */
