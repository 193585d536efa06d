/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every command of the tool, one line each, in the order of the usage
 * text: main.c makes its dispatcher from it, gen_man.c the man page and
 * the bash completion. No include guard: the includer defines
 * KHU_COMMAND and includes this where it wants a list.
 *
 * KHU_COMMAND(name, bit, help)
 *   name  the command as typed; khu_cmd_<name>() runs it (tool.h)
 *   bit   KHU_CMD_<bit> (cli.h): the options that name it in
 *         cli_options.h are this command's
 *   help  its one line in the usage text
 */
KHU_COMMAND(stash, STASH, "derive the volume keys of LUKS DEVICEs (or take them from the keyring) and arm the hand-over")
KHU_COMMAND(load, LOAD, "load the next kernel; wipes an armed hand-over if that fails")
KHU_COMMAND(reboot, REBOOT, "stash (crypttab by default), load what the boot loader would boot, and kexec into it")
KHU_COMMAND(restore, RESTORE, "in the new kernel: read the hand-over once and open the volumes (or put the keys into a keyring)")
KHU_COMMAND(setup, SETUP, "reserve the region at boot: a GRUB drop-in with memmap= and keyhandover.region=")
KHU_COMMAND(status, STATUS, "show the state of the hand-over region (never a key)")
KHU_COMMAND(wipe, WIPE, "wipe the hand-over region")
