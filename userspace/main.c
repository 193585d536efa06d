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
 * This file: the command table and main(). The commands are in cmd_*.c
 * (tool.h), their options in cli_options.h, the messages they share in
 * report.c; the library modules they use return negative errno values
 * and never print. No key byte is ever printed, here or anywhere.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "luks.h"
#include "secmem.h"
#include "tool.h"

/* The dispatcher and the usage text: one line per command. */
static const struct khu_cli_cmd khu_commands[] = {
	{ "stash", khu_cmd_stash, KHU_CMD_STASH,
	  "derive the volume keys of LUKS DEVICEs (or take them from the keyring) and arm the hand-over" },
	{ "load", khu_cmd_load, KHU_CMD_LOAD,
	  "load the next kernel; wipes an armed hand-over if that fails" },
	{ "reboot", khu_cmd_reboot, KHU_CMD_REBOOT,
	  "stash (crypttab by default), load what the boot loader would boot, and kexec into it" },
	{ "restore", khu_cmd_restore, KHU_CMD_RESTORE,
	  "in the new kernel: read the hand-over once and open the volumes (or put the keys into a keyring)" },
	{ "setup", khu_cmd_setup, KHU_CMD_SETUP,
	  "reserve the region at boot: a GRUB drop-in with memmap= and keyhandover.region=" },
	{ "status", khu_cmd_status, KHU_CMD_STATUS,
	  "show the state of the hand-over region (never a key)" },
	{ "wipe", khu_cmd_wipe, KHU_CMD_WIPE, "wipe the hand-over region" },
	{ NULL, NULL, 0, NULL },
};

int main(int argc, char **argv)
{
	char err[KHU_CLI_ERR_LEN];
	struct khu_opts o;
	int ret;

	/* A closed stdout must end in a wipe, not in death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = khu_secmem_harden_process();
	if (ret) {
		khu_err("cannot disable core dumps: %s", strerror(-ret));
		return KHU_EXIT_FAILURE;
	}
	if (khu_cli_parse(argc, argv, khu_commands, &o, err, sizeof(err))) {
		khu_err("%s", err);
		return KHU_EXIT_USAGE;
	}
	if (o.action != KHU_CLI_RUN) {
		khu_cli_show(stdout, &o, khu_commands);
		ret = KHU_EXIT_OK;
	} else {
		khu_luks_set_verbose(o.verbose);
		ret = o.cmd->run(&o);
	}
	khu_debug_secmem();
	/* A lost "stashed ..." line must not look like success. */
	if (fflush(stdout) && ret == KHU_EXIT_OK) {
		khu_err("cannot write output: %s", strerror(errno));
		ret = KHU_EXIT_FAILURE;
	}
	return ret;
}
