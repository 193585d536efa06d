// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel command lines as the kernel reads them (see cmdline.h): words
 * split by its next_arg(), parameters ending at "--".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* x86's COMMAND_LINE_SIZE; a longer line would be cut by the kernel. */
#define KHU_CMDLINE_LIMIT	2048

/*
 * The kernel's isspace(): its ctype table also counts \v, \f, \r and
 * Latin-1's no-break space (0xa0), so a word must end where it does.
 */
static bool khu_is_space(char c)
{
	unsigned char u = c;

	return u == ' ' || (u >= '\t' && u <= '\r') || u == 0xa0;
}

/*
 * The next word at or after @p, as the kernel's next_arg() splits it:
 * whitespace ends a word only outside double quotes, and every '"'
 * toggles quoting ("foo=a b" is one word). NULL at the end of @p; else
 * the word's start, its length in *@len.
 */
static const char *khu_cmdline_word(const char *p, size_t *len)
{
	bool quoted = false;
	size_t n;

	while (khu_is_space(*p))
		p++;
	if (!*p)
		return NULL;
	for (n = 0; p[n] && (quoted || !khu_is_space(p[n])); n++)
		if (p[n] == '"')
			quoted = !quoted;
	*len = n;
	return p;
}

/*
 * "--" ends the kernel's parameters: what follows goes to init, and the
 * kernel ignores it. next_arg() strips a leading quote, and then a
 * trailing one, first: "--" (quoted) ends them too.
 */
static bool khu_cmdline_is_end(const char *w, size_t n)
{
	if (n && w[0] == '"') {
		w++;
		n--;
		if (n && w[n - 1] == '"')
			n--;
	}
	return n == 2 && w[0] == '-' && w[1] == '-';
}

/* The next kernel parameter at or after @p: NULL at "--" or the end. */
static const char *khu_cmdline_param(const char *p, size_t *len)
{
	const char *w = khu_cmdline_word(p, len);

	return w && !khu_cmdline_is_end(w, *len) ? w : NULL;
}

/* Where the kernel's parameters end: the "--" word, or the final NUL. */
static const char *khu_cmdline_end(const char *cmdline)
{
	const char *w, *p = cmdline;
	size_t n;

	while ((w = khu_cmdline_word(p, &n))) {
		if (khu_cmdline_is_end(w, n))
			return w;
		p = w + n;
	}
	return p + strlen(p);
}

/* The last parameter that starts with @prefix; NULL if none. */
static const char *khu_cmdline_last(const char *cmdline, const char *prefix,
				    size_t *len)
{
	size_t plen = strlen(prefix), n;
	const char *w, *last = NULL;

	for (w = khu_cmdline_param(cmdline, &n); w;
	     w = khu_cmdline_param(w + n, &n)) {
		if (n >= plen && !strncmp(w, prefix, plen)) {
			last = w;
			*len = n;
		}
	}
	return last;
}

static bool khu_is_nonce_word(const char *w, size_t n)
{
	size_t klen = sizeof(KHU_CMDLINE_NONCE_KEY) - 1;

	return n >= klen && !strncmp(w, KHU_CMDLINE_NONCE_KEY, klen);
}

static int khu_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The kernel's parameters of @in without nonce words, each then a space. */
static size_t khu_cmdline_copy_params(const char *in, char *buf)
{
	size_t len = 0, n;
	const char *w;

	for (w = khu_cmdline_param(in, &n); w;
	     w = khu_cmdline_param(w + n, &n)) {
		if (khu_is_nonce_word(w, n))
			continue;
		memcpy(buf + len, w, n);
		len += n;
		buf[len++] = ' ';
	}
	return len;
}

int khu_cmdline_set_nonce(const char *in, const uint8_t nonce[KH_NONCE_LEN],
			  char **out)
{
	const char *tail = khu_cmdline_end(in);
	size_t cap = strlen(in) + sizeof(KHU_CMDLINE_NONCE_KEY) +
		     2 * KH_NONCE_LEN + 4;
	uint8_t got[KH_NONCE_LEN];
	size_t len;
	char *buf;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	len = khu_cmdline_copy_params(in, buf);
	if (nonce) {
		len += snprintf(buf + len, cap - len, KHU_CMDLINE_NONCE_KEY);
		for (int i = 0; i < KH_NONCE_LEN; i++)
			len += snprintf(buf + len, cap - len, "%02x",
					nonce[i]);
		buf[len++] = ' ';
	}
	/* init's arguments stay as they are, after the kernel's. */
	len += snprintf(buf + len, cap - len, "%s", tail);
	if (!*tail)
		len -= len > 0;
	buf[len] = '\0';
	if (len >= KHU_CMDLINE_LIMIT) {
		free(buf);
		return -E2BIG;
	}
	/* An unmatched '"' before it would hide the nonce from the kernel. */
	if (nonce && (khu_cmdline_get_nonce(buf, got) ||
		      memcmp(got, nonce, sizeof(got)))) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	return 0;
}

static int khu_parse_nonce(const char *hex, size_t len, uint8_t *nonce)
{
	uint8_t tmp[KH_NONCE_LEN];
	int i;

	if (len != 2 * KH_NONCE_LEN)
		return -EINVAL;
	for (i = 0; i < KH_NONCE_LEN; i++) {
		int hi = khu_hex_digit(hex[2 * i]);
		int lo = khu_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[i] = hi << 4 | lo;
	}
	memcpy(nonce, tmp, sizeof(tmp));
	return 0;
}

int khu_cmdline_get_nonce(const char *cmdline, uint8_t nonce[KH_NONCE_LEN])
{
	size_t klen = sizeof(KHU_CMDLINE_NONCE_KEY) - 1, n = 0;
	const char *word = khu_cmdline_last(cmdline, KHU_CMDLINE_NONCE_KEY, &n);

	if (!word)
		return -ENOENT;
	return khu_parse_nonce(word + klen, n - klen, nonce);
}

int khu_cmdline_get_value(const char *cmdline, const char *key, char *out,
			  size_t len)
{
	char prefix[128];
	const char *w;
	size_t plen, n = 0;

	plen = snprintf(prefix, sizeof(prefix), "%s=", key);
	if (plen >= sizeof(prefix))
		return -EINVAL;
	w = khu_cmdline_last(cmdline, prefix, &n);
	if (!w)
		return -ENOENT;
	if (n - plen >= len)
		return -E2BIG;
	memcpy(out, w + plen, n - plen);
	out[n - plen] = '\0';
	return 0;
}

bool khu_cmdline_has_word(const char *cmdline, const char *word)
{
	size_t n, wlen = strlen(word);
	const char *w;

	for (w = khu_cmdline_param(cmdline, &n); w;
	     w = khu_cmdline_param(w + n, &n))
		if (n == wlen && !strncmp(w, word, n))
			return true;
	return false;
}

/* Remove every KEY=... word (and a bare KEY) from @cmdline, in place. */
void khu_cmdline_strip_word(char *cmdline, const char *key)
{
	const char *tail = khu_cmdline_end(cmdline), *p;
	size_t klen = strlen(key), n;
	char *w = cmdline;

	for (p = khu_cmdline_param(cmdline, &n); p;
	     p = khu_cmdline_param(p + n, &n)) {
		if (n >= klen && !strncmp(p, key, klen) &&
		    (n == klen || p[klen] == '='))
			continue;
		if (w != cmdline)
			*w++ = ' ';
		memmove(w, p, n);
		w += n;
	}
	/* init's arguments are not ours to edit. */
	if (*tail && w != cmdline)
		*w++ = ' ';
	memmove(w, tail, strlen(tail) + 1);
}

/*
 * @word into the malloc()ed *@cmdline, unless it is there: before "--",
 * where the kernel still reads it.
 */
int khu_cmdline_add_word(char **cmdline, const char *word)
{
	const char *line = *cmdline, *tail;
	size_t head;
	char *buf;

	if (khu_cmdline_has_word(line, word))
		return 0;
	tail = khu_cmdline_end(line);
	head = tail - line;
	while (head && khu_is_space(line[head - 1]))
		head--;
	if (asprintf(&buf, "%.*s%s%s%s%s", (int)head, line, head ? " " : "",
		     word, *tail ? " " : "", tail) < 0)
		return -ENOMEM;
	/* An unmatched '"' before it would make it part of another word. */
	if (!khu_cmdline_has_word(buf, word)) {
		free(buf);
		return -EINVAL;
	}
	free(*cmdline);
	*cmdline = buf;
	return 0;
}
