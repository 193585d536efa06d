// SPDX-License-Identifier: GPL-2.0
/* keyhandover.nonce= on the kernel command line: see cmdline.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* x86's COMMAND_LINE_SIZE; a longer line would be cut by the kernel. */
#define KH_CMDLINE_LIMIT	2048

static int kh_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int kh_is_nonce_word(const char *w)
{
	return !strncmp(w, KH_CMDLINE_NONCE_KEY,
			sizeof(KH_CMDLINE_NONCE_KEY) - 1);
}

static int kh_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kh_cmdline_set_nonce(const char *in, const uint8_t nonce[KH_NONCE_LEN],
			 char **out)
{
	size_t cap = strlen(in) + sizeof(KH_CMDLINE_NONCE_KEY) +
		     2 * KH_NONCE_LEN + 2;
	size_t len = 0, wlen;
	char *buf;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (*in) {
		while (kh_is_space(*in))
			in++;
		for (wlen = 0; in[wlen] && !kh_is_space(in[wlen]); wlen++)
			;
		if (wlen && !kh_is_nonce_word(in)) {
			memcpy(buf + len, in, wlen);
			len += wlen;
			buf[len++] = ' ';
		}
		in += wlen;
	}
	if (!nonce) {
		/* Strip only: drop the separator after the last word. */
		len -= len > 0;
		buf[len] = '\0';
	} else {
		len += snprintf(buf + len, cap - len, KH_CMDLINE_NONCE_KEY);
		for (int i = 0; i < KH_NONCE_LEN; i++)
			len += snprintf(buf + len, cap - len, "%02x",
					nonce[i]);
	}
	if (len >= KH_CMDLINE_LIMIT) {
		free(buf);
		return -E2BIG;
	}
	*out = buf;
	return 0;
}

static int kh_parse_nonce(const char *hex, size_t len, uint8_t *nonce)
{
	uint8_t tmp[KH_NONCE_LEN];
	int i;

	if (len != 2 * KH_NONCE_LEN)
		return -EINVAL;
	for (i = 0; i < KH_NONCE_LEN; i++) {
		int hi = kh_hex_digit(hex[2 * i]);
		int lo = kh_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[i] = hi << 4 | lo;
	}
	memcpy(nonce, tmp, sizeof(tmp));
	return 0;
}

int kh_cmdline_get_nonce(const char *cmdline, uint8_t nonce[KH_NONCE_LEN])
{
	const char *word = NULL, *p = cmdline;
	size_t wlen = 0, n;

	while (*p) {
		while (kh_is_space(*p))
			p++;
		for (n = 0; p[n] && !kh_is_space(p[n]); n++)
			;
		if (n && kh_is_nonce_word(p)) {
			word = p + sizeof(KH_CMDLINE_NONCE_KEY) - 1;
			wlen = n - (sizeof(KH_CMDLINE_NONCE_KEY) - 1);
		}
		p += n;
	}
	if (!word)
		return -ENOENT;
	return kh_parse_nonce(word, wlen, nonce);
}

bool kh_cmdline_has_word(const char *cmdline, const char *word)
{
	size_t n, wlen = strlen(word);
	const char *p = cmdline;

	while (*p) {
		while (kh_is_space(*p))
			p++;
		for (n = 0; p[n] && !kh_is_space(p[n]); n++)
			;
		if (n == wlen && !strncmp(p, word, n))
			return true;
		p += n;
	}
	return false;
}

/* Remove every KEY=... word (and a bare KEY) from @cmdline, in place. */
void kh_cmdline_strip_word(char *cmdline, const char *key)
{
	size_t klen = strlen(key), n;
	char *p = cmdline, *w = cmdline;

	while (*p) {
		while (kh_is_space(*p))
			p++;
		for (n = 0; p[n] && !kh_is_space(p[n]); n++)
			;
		if (n && !(n >= klen && !strncmp(p, key, klen) &&
			   (n == klen || p[klen] == '='))) {
			if (w != cmdline)
				*w++ = ' ';
			memmove(w, p, n);
			w += n;
		}
		p += n;
	}
	*w = '\0';
}

/* @word appended to the malloc()ed *@cmdline, unless it is there. */
int kh_cmdline_add_word(char **cmdline, const char *word)
{
	size_t len = strlen(*cmdline);
	char *buf;

	if (kh_cmdline_has_word(*cmdline, word))
		return 0;
	buf = realloc(*cmdline, len + strlen(word) + 2);
	if (!buf)
		return -ENOMEM;
	sprintf(buf + len, "%s%s", len ? " " : "", word);
	*cmdline = buf;
	return 0;
}
