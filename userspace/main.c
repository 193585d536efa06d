// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover: hand LUKS volume keys to the next kernel across kexec.
 *
 * In the running system:
 *   keyhandover setup                      once: reserve the region at boot
 *   keyhandover reboot                     stash + load + systemctl kexec
 *   keyhandover stash [...] [DEVICE...]    (crypttab when no DEVICE)
 *   keyhandover load [--kernel FILE --initrd FILE] [...]
 * In the new kernel's initramfs:
 *   keyhandover restore [--to-keyring [KEYRING] [--open]]
 * At any time: keyhandover status, keyhandover wipe.
 *
 * Exit codes: 0 success, 1 failure, 2 usage error, 3 (restore) nothing
 * was handed over.
 *
 * This file: the messages every command shares, the command table, and
 * main(). The commands are in cmd_*.c (tool.h); the library modules they
 * use return negative errno values and never print. No key byte is ever
 * printed, here or anywhere.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "handover.h"
#include "luks.h"
#include "secmem.h"
#include "tool.h"

/* The top-level VERSION file, through the Makefile: one for all parts. */
#ifndef KH_VERSION
#error "KH_VERSION is the top-level VERSION file (userspace/Makefile)"
#endif

void kh_err(const char *fmt, ...)
{
	va_list ap;

	fputs("keyhandover: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The errors every request to /dev/keyhandover can meet. */
void kh_device_error(const char *what, int err)
{
	switch (-err) {
	case ENOENT:
		kh_err("module not loaded: %s missing", KH_DEVICE_PATH);
		break;
	case EPERM:
	case EACCES:
		kh_err("permission denied: %s needs root (CAP_SYS_ADMIN)",
		       KH_DEVICE_PATH);
		break;
	case EBUSY:
		kh_err("device busy: another keyhandover is running");
		break;
	case ENOTTY:
		kh_err("%s: %s does not know this request (module and tool versions differ?)",
		       what, KH_DEVICE_PATH);
		break;
	default:
		kh_err("%s: %s", what, strerror(-err));
	}
}

int kh_device_open(void)
{
	int fd = kh_handover_open();

	if (fd < 0)
		kh_device_error("cannot open " KH_DEVICE_PATH, fd);
	return fd;
}

/*
 * The hand-over's status, the device opened and closed around the query.
 * -ENOENT (no module) is left for the caller to word; other errors are
 * said here.
 */
int kh_device_status(struct kh_status *st)
{
	int fd = kh_handover_open(), ret;

	if (fd < 0) {
		if (fd != -ENOENT)
			kh_device_error("cannot open " KH_DEVICE_PATH, fd);
		return fd;
	}
	ret = kh_handover_status(fd, st);
	kh_handover_close(fd);
	if (ret)
		kh_device_error("cannot query the hand-over", ret);
	return ret;
}

/* Keys from the previous kernel that nobody has restored yet. */
void kh_pending_error(void)
{
	kh_err("keys handed over by the previous kernel are pending: run 'keyhandover restore' or 'keyhandover wipe' first");
}

/* The dispatcher and the usage text: one line per command. */
static const struct kh_cli_cmd kh_commands[] = {
	{ "stash", kh_cmd_stash, KH_CLI_STASH,
	  "derive the volume keys of LUKS DEVICEs (or take them from the keyring) and arm the hand-over" },
	{ "load", kh_cmd_load, KH_CLI_LOAD,
	  "load the next kernel; wipes an armed hand-over if that fails" },
	{ "reboot", kh_cmd_reboot, KH_CLI_REBOOT,
	  "stash (crypttab by default), load what the boot loader would boot, and kexec into it" },
	{ "restore", kh_cmd_restore, KH_CLI_RESTORE,
	  "in the new kernel: read the hand-over once and open the volumes (or put the keys into a keyring)" },
	{ "setup", kh_cmd_setup, KH_CLI_SETUP,
	  "reserve the region at boot: a GRUB drop-in with memmap= and keyhandover.region=" },
	{ "status", kh_cmd_status, KH_CLI_STATUS,
	  "show the state of the hand-over region (never a key)" },
	{ "wipe", kh_cmd_wipe, KH_CLI_WIPE, "wipe the hand-over region" },
	{ NULL, NULL, 0, NULL },
};

static int kh_show(const struct kh_opts *o)
{
	if (o->action == KH_CLI_VERSION)
		printf("keyhandover %s (handover format %d)\n", KH_VERSION,
		       KH_FORMAT_VERSION);
	else if (o->cmd)
		kh_cli_cmd_usage(stdout, o->cmd);
	else
		kh_cli_usage(stdout, kh_commands);
	return KH_EXIT_OK;
}

/* KEYHANDOVER_DEBUG_SECMEM=1: how many secret buffers this run made. */
static void kh_debug_secmem(void)
{
	size_t count, bytes;

	if (!getenv("KEYHANDOVER_DEBUG_SECMEM"))
		return;
	kh_secmem_stats(&count, &bytes);
	fprintf(stderr, "keyhandover: debug: %zu secret buffers, %zu bytes\n",
		count, bytes);
}

int main(int argc, char **argv)
{
	char err[KH_CLI_ERR_LEN];
	struct kh_opts o;
	int ret;

	/* A closed stdout must end in a wipe, not in death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = kh_secmem_harden_process();
	if (ret) {
		kh_err("cannot disable core dumps: %s", strerror(-ret));
		return KH_EXIT_FAILURE;
	}
	if (kh_cli_parse(argc, argv, kh_commands, &o, err, sizeof(err))) {
		kh_err("%s", err);
		return KH_EXIT_USAGE;
	}
	if (o.action != KH_CLI_RUN) {
		ret = kh_show(&o);
	} else {
		kh_luks_set_verbose(o.verbose);
		ret = o.cmd->run(&o);
	}
	kh_debug_secmem();
	/* A lost "stashed ..." line must not look like success. */
	if (fflush(stdout) && ret == KH_EXIT_OK) {
		kh_err("cannot write output: %s", strerror(errno));
		ret = KH_EXIT_FAILURE;
	}
	return ret;
}
