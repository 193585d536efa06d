/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One verdict of `keyhandover setup --check` (see check.c): its name, as
 * docs/json.md lists them, whether it passed, whether it fails the
 * command, what was found and what to do about it. Made by the checks,
 * written as a JSON object or a text line by cmd_setup_check.c.
 */
#ifndef KHU_CHECK_H
#define KHU_CHECK_H

#include <stdbool.h>
#include <stddef.h>

struct khu_json;

/* A detail may name a path under --root (KHU_BOOT_STR) and more. */
#define KHU_CHECK_DETAIL	1536

struct khu_check {
	const char *name;	/* docs/json.md's name: stable */
	int ok;			/* 1 passed, 0 did not, -1 not known */
	bool required;		/* not passed: setup --check fails */
	char detail[KHU_CHECK_DETAIL];	/* what is checked or found */
	char fix[512];		/* what to do next; "" when nothing */
};

void __attribute__((format(printf, 2, 3)))
khu_check_detail(struct khu_check *c, const char *fmt, ...);
void __attribute__((format(printf, 2, 3)))
khu_check_fix(struct khu_check *c, const char *fmt, ...);
int khu_check_json(struct khu_json *j, const struct khu_check *c);
void khu_check_text(const struct khu_check *c, char *buf, size_t len);

#endif /* KHU_CHECK_H */
