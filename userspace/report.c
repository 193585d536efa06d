// SPDX-License-Identifier: GPL-2.0
/*
 * How the commands report: one line on stderr per error, the errors of
 * /dev/keyhandover worded once for all of them. No key byte is ever
 * printed, here or anywhere.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handover.h"
#include "secmem.h"
#include "tool.h"

void khu_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keyhandover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The errors every request to /dev/keyhandover can meet. */
void khu_device_error(const char *what, int err)
{
	switch (-err) {
	case ENOENT:
		khu_err("module not loaded: %s missing", KH_DEVICE_PATH);
		break;
	case EPERM:
	case EACCES:
		khu_err("permission denied: %s needs root (CAP_SYS_ADMIN)",
			KH_DEVICE_PATH);
		break;
	case EBUSY:
		khu_err("device busy: another keyhandover is running");
		break;
	case ENOTTY:
		khu_err("%s: %s does not know this request (module and tool versions differ?)",
			what, KH_DEVICE_PATH);
		break;
	default:
		khu_err("%s: %s", what, strerror(-err));
	}
}

int khu_device_open(void)
{
	int fd = khu_handover_open();

	if (fd < 0)
		khu_device_error("cannot open " KH_DEVICE_PATH, fd);
	return fd;
}

/*
 * The hand-over's status, the device opened and closed around the query.
 * -ENOENT (no module) is left for the caller to word; other errors are
 * said here.
 */
int khu_device_status(struct kh_status *st)
{
	int fd = khu_handover_open(), ret;

	if (fd < 0) {
		if (fd != -ENOENT)
			khu_device_error("cannot open " KH_DEVICE_PATH, fd);
		return fd;
	}
	ret = khu_handover_status(fd, st);
	khu_handover_close(fd);
	if (ret)
		khu_device_error("cannot query the hand-over", ret);
	return ret;
}

/* Keys from the previous kernel that nobody has restored yet. */
void khu_pending_error(void)
{
	khu_err("keys handed over by the previous kernel are pending: run 'keyhandover restore' or 'keyhandover wipe' first");
}

/* KEYHANDOVER_DEBUG_SECMEM=1: how many secret buffers this run made. */
void khu_debug_secmem(void)
{
	size_t count, bytes;

	if (!getenv("KEYHANDOVER_DEBUG_SECMEM"))
		return;
	khu_secmem_stats(&count, &bytes);
	fprintf(stderr, "keyhandover: debug: %zu secret buffers, %zu bytes\n",
		count, bytes);
}
