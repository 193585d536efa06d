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
 * This file: the dispatcher and main(). The commands are in cmd_*.c
 * (tool.h), listed in cli_commands.h, their options in cli_options.h, the
 * messages they share in report.c; the library modules they use return
 * negative errno values and never print. No key byte is ever printed,
 * here or anywhere.
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
#define KHU_COMMAND(name, bit, help) \
	{ #name, khu_cmd_##name, KHU_CMD_##bit, help },
#include "cli_commands.h"
#undef KHU_COMMAND
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
