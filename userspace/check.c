// SPDX-License-Identifier: GPL-2.0
/*
 * A setup --check verdict as --json writes it ({name, ok, required,
 * detail, fix}: docs/json.md) and as its text line: the one place both
 * are made, so that they never tell two stories. Never prints.
 */
#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "json.h"

void khu_check_detail(struct khu_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

void khu_check_fix(struct khu_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

/* Its object in "checks": the fix only when it did not pass. */
int khu_check_json(struct khu_json *j, const struct khu_check *c)
{
	const char *fix = c->ok == 1 || !c->fix[0] ? NULL : c->fix;

	khu_json_begin_object(j, NULL);
	khu_json_string(j, "name", c->name);
	khu_json_tristate(j, "ok", c->ok);
	khu_json_bool(j, "required", c->required);
	khu_json_string(j, "detail", c->detail);
	khu_json_string(j, "fix", fix);
	return khu_json_end_object(j);
}

/*
 * Its text line, without the newline: "ok:", or, when it did not pass,
 * "missing:" (it fails the command) or "note:" (advice), then what was
 * found and, where there is one, "; next: " and what to do: one line
 * that says what is wrong and how to put it right.
 */
void khu_check_text(const struct khu_check *c, char *buf, size_t len)
{
	const char *prefix = c->ok == 1 ? "ok" : c->required ? "missing" :
			     "note";

	if (c->ok == 1 || !c->fix[0])
		snprintf(buf, len, "%s: %s", prefix, c->detail);
	else
		snprintf(buf, len, "%s: %s; next: %s", prefix, c->detail,
			 c->fix);
}
