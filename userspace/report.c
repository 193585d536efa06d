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
#include "json.h"
#include "kexec.h"
#include "secmem.h"
#include "setup.h"
#include "tool.h"

/*
 * --json: the lines khu_err() writes are kept for the document's
 * "messages" too, so that a program reading stdout alone learns why. At
 * most KHU_MESSAGES_MAX; past that the last slot takes each new line, so
 * that the last one kept is always the last one said.
 */
#define KHU_MESSAGES_MAX	64

static struct {
	bool on;
	unsigned int count;
	char *line[KHU_MESSAGES_MAX];
} khu_messages;

static void __attribute__((format(printf, 1, 0)))
khu_message_keep(const char *fmt, va_list ap)
{
	unsigned int i = khu_messages.count;
	char *line;

	if (!khu_messages.on || vasprintf(&line, fmt, ap) < 0)
		return;
	if (i == KHU_MESSAGES_MAX)
		free(khu_messages.line[--i]);
	khu_messages.line[i] = line;
	khu_messages.count = i + 1;
}

static void khu_messages_free(void)
{
	while (khu_messages.count)
		free(khu_messages.line[--khu_messages.count]);
	khu_messages.on = false;
}

void khu_err(const char *fmt, ...)
{
	va_list ap, keep;

	fputs("keyhandover: ", stderr);
	va_start(ap, fmt);
	va_copy(keep, ap);
	vfprintf(stderr, fmt, ap);
	khu_message_keep(fmt, keep);
	va_end(keep);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * A --json document's start: the schema (docs/json.md) and the command;
 * from here on khu_err()'s lines are kept for its end.
 */
void khu_report_json_begin(struct khu_json *j, const char *command)
{
	khu_messages.on = true;
	khu_json_init(j);
	khu_json_begin_object(j, NULL);
	khu_json_int(j, "schema", KHU_JSON_SCHEMA);
	khu_json_string(j, "command", command);
}

/*
 * Its end, the same for every command: the verdict and what was said on
 * stderr. Then the document goes to stdout whole, one line; if it cannot
 * be made, nothing goes there and the command fails. Returns the exit
 * code.
 */
int khu_report_json_end(struct khu_json *j, int exit_code)
{
	unsigned int i, n = khu_messages.count;
	const char *text;
	size_t len;
	int ret;

	khu_json_bool(j, "ok", exit_code == KHU_EXIT_OK);
	khu_json_int(j, "exit", exit_code);
	khu_json_string(j, "error", exit_code != KHU_EXIT_OK && n ?
			khu_messages.line[n - 1] : NULL);
	khu_json_begin_array(j, "messages");
	for (i = 0; i < n; i++)
		khu_json_string(j, NULL, khu_messages.line[i]);
	khu_json_end_array(j);
	khu_json_end_object(j);
	khu_messages_free();
	ret = khu_json_finish(j, &text, &len);
	if (!ret) {
		fwrite(text, 1, len, stdout);
		putchar('\n');
	}
	khu_json_free(j);
	if (!ret)
		return exit_code;
	khu_err("cannot make the JSON output: %s", strerror(-ret));
	return KHU_EXIT_FAILURE;
}

/* The backend as --json names it (docs/json.md): stable words. */
const char *khu_backend_id(uint32_t backend)
{
	if (backend == KH_BACKEND_MEMMAP)
		return "memmap";
	if (backend == KH_BACKEND_KHO)
		return "kho";
	return "unknown";
}

/*
 * No /dev/keyhandover: what a first user does next, in one line, from
 * what is true here (handover.c): the module needs region=, which
 * modprobe finds on a kernel booted with keyhandover.region= (the GRUB
 * drop-in of keyhandover setup puts it there), or Kexec HandOver.
 */
const char *khu_module_missing(char *buf, size_t len)
{
	static const char *const next[] = {
		[KHU_ABSENT_NO_NODE] = "module loaded, but " KH_DEVICE_PATH " missing (udev or devtmpfs did not make it): run 'udevadm trigger', or 'rmmod keyhandover' and 'modprobe keyhandover'",
		[KHU_ABSENT_BOOTED] = "module not loaded (" KH_DEVICE_PATH " missing): this kernel was booted with the region: run 'modprobe keyhandover' (dmesg says why if it fails)",
		[KHU_ABSENT_REBOOT] = "module not loaded (" KH_DEVICE_PATH " missing): keyhandover setup reserved the region, but this kernel was booted without it: reboot once, normally",
		[KHU_ABSENT_SETUP] = "module not loaded (" KH_DEVICE_PATH " missing): run 'keyhandover setup' and reboot once (the initramfs then loads it), or 'modprobe keyhandover' on a kernel with Kexec HandOver (kho=on)",
	};
	char *cmdline = NULL;
	enum khu_absent why;

	if (khu_kexec_read_cmdline(&cmdline))
		cmdline = NULL;
	why = khu_handover_absent(KHU_MODULE_SYSFS, cmdline, KHU_SETUP_DROPIN);
	free(cmdline);
	snprintf(buf, len, "%s", next[why]);
	return buf;
}

/* The errors every request to /dev/keyhandover can meet. */
void khu_device_error(const char *what, int err)
{
	char hint[512];

	switch (-err) {
	case ENOENT:
		khu_err("%s", khu_module_missing(hint, sizeof(hint)));
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
