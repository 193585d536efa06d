/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The next kernel's command line carries the stash's nonce as
 * keyhandover.nonce=HEX: the new kernel accepts only the stash made for
 * it. The nonce is not a secret; it binds one arming to one kexec.
 *
 * Words are split as the kernel splits them (double quotes hold spaces),
 * and only the kernel's own parameters count: everything after a "--"
 * word goes to init, so nothing is looked for, added or removed there.
 */
#ifndef KHU_CMDLINE_H
#define KHU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uapi/keyhandover.h"

#define KHU_CMDLINE_NONCE_KEY	"keyhandover.nonce="

/*
 * @in without any keyhandover.nonce= word, plus one for @nonce (none if
 * @nonce is NULL), before any "--", into a malloc()ed *@out. -ENOMEM;
 * -E2BIG past the kernel's usual limit; -EINVAL when an unmatched '"'
 * would hide the nonce from the kernel.
 */
int khu_cmdline_set_nonce(const char *in, const uint8_t nonce[KH_NONCE_LEN],
			  char **out);

/*
 * The last keyhandover.nonce= of @cmdline into @nonce. -ENOENT: none;
 * -EINVAL: not 32 hex digits (@nonce untouched in both cases).
 */
int khu_cmdline_get_nonce(const char *cmdline, uint8_t nonce[KH_NONCE_LEN]);

/*
 * The value of the last KEY= parameter into @out. -ENOENT: none; -E2BIG:
 * longer than @len - 1.
 */
int khu_cmdline_get_value(const char *cmdline, const char *key, char *out,
			  size_t len);

/* Whether @word is one of @cmdline's parameters (before any "--"). */
bool khu_cmdline_has_word(const char *cmdline, const char *word);

/* Drop every KEY=... word of @cmdline, in place (BOOT_IMAGE, say). */
void khu_cmdline_strip_word(char *cmdline, const char *key);

/*
 * Add @word to the malloc()ed *@cmdline unless it has it, before any
 * "--". -ENOMEM; -EINVAL when an unmatched '"' would swallow it.
 */
int khu_cmdline_add_word(char **cmdline, const char *word);

#endif /* KHU_CMDLINE_H */
