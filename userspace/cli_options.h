/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every option and operand of the tool, one line each; the parser's
 * getopt tables, the usage text, the man page and the bash completion
 * (gen_man.c) come from here.
 * Modelled on cryptsetup's src/cryptsetup_arg_list.h. No include guard:
 * the includer defines KHU_OPTION and includes this where it wants a list.
 *
 * KHU_OPTION(id, name, short, arg, store, field, commands, synopsis, help)
 *   id        KHU_OPT_<id>, its index in the table
 *   name      the long option without "--"; NULL: an operand
 *   short     its one-letter form, or 0
 *   arg       its argument's placeholder; NULL: it takes none
 *   store     how it is kept: khu_cli_store_<store>() in cli.c
 *   field     where: the member of struct khu_opts
 *   commands  the KHU_CMD_* that take it (KHU_CMD_GLOBAL: before COMMAND)
 *   synopsis  its part of a command's usage line; NULL: another's covers it
 *   help      its line in `keyhandover COMMAND --help`
 *
 * The order is the order of the usage text.
 */
KHU_OPTION(NAME, "name", 0, "NAME", volume, n_names, KHU_CMD_STASH | KHU_CMD_REBOOT, "[--name NAME]...", "map the i-th DEVICE as /dev/mapper/NAME (default: luks-UUID)")
KHU_OPTION(KEY_FILE, "key-file", 0, "FILE", once, key_file, KHU_CMD_STASH | KHU_CMD_REBOOT, "[--key-file FILE]", "read the passphrase for every DEVICE from FILE ('-': stdin)")
KHU_OPTION(KEYRING, "keyring", 0, "KEY", keyring, n_keyrings, KHU_CMD_STASH | KHU_CMD_REBOOT, "[--keyring KEY]...", "take the i-th DEVICE's volume key from the kernel keyring, in the kernel: KEY is [%logon:|%user:]DESCRIPTION (bare: logon)")
KHU_OPTION(CRYPTTAB, "crypttab", 0, "FILE", once, crypttab, KHU_CMD_STASH | KHU_CMD_REBOOT | KHU_CMD_RESTORE, "[--crypttab FILE]", "stash with no DEVICE: every LUKS entry of FILE (default /etc/crypttab), under its crypttab name; restore: the dm-crypt options (discard, ...) and link-volume-key= of FILE (default /etc/keyhandover/crypttab, else /etc/crypttab)")
KHU_OPTION(NO_ASK, "no-ask", 0, NULL, flag, no_ask, KHU_CMD_STASH | KHU_CMD_REBOOT, "[--no-ask]", "never ask for a passphrase (terminal or stdin): fail, naming the volume, if one is needed; nothing is armed")
KHU_OPTION(IF_NEWER, "if-newer", 0, NULL, flag, if_newer, KHU_CMD_REBOOT, "[--if-newer]", "only when the boot loader's next kernel is newer than the running one; otherwise say so and exit 0")
KHU_OPTION(TIMEOUT, "timeout", 0, "SECONDS", seconds, timeout, KHU_CMD_STASH | KHU_CMD_REBOOT, "[--timeout SECONDS]", "wipe the stash if no kexec comes within SECONDS (default: module's)")
KHU_OPTION(TO_KEYRING, "to-keyring", 0, NULL, flag, to_keyring, KHU_CMD_RESTORE, "[--to-keyring [KEYRING]]", "add each key as user key keyhandover:NAME to the keyring keyhandover in KEYRING (default @u) instead of opening")
KHU_OPTION(KEY_TIMEOUT, "key-timeout", 0, "SECONDS", seconds, key_timeout, KHU_CMD_RESTORE, "[--key-timeout SECONDS]", "with --to-keyring: the keys expire after SECONDS (default 300)")
KHU_OPTION(OPEN, "open", 0, NULL, flag, open, KHU_CMD_RESTORE, "[--open]", "with --to-keyring: also open the volumes, and revoke the keys of those opened")
KHU_OPTION(JOBS, "jobs", 0, "N", jobs, jobs, KHU_CMD_RESTORE, "[--jobs N]", "open (or check) up to N volumes at once, each in a process of its own; output in the hand-over's order (default: one per online CPU; 1: one after another)")
KHU_OPTION(KERNEL, "kernel", 0, "FILE", once, kernel, KHU_CMD_LOAD | KHU_CMD_REBOOT, "[--kernel FILE --initrd FILE]", "the kernel image to boot next (default: what the boot loader would boot)")
KHU_OPTION(INITRD, "initrd", 0, "FILE", once, initrd, KHU_CMD_LOAD | KHU_CMD_REBOOT, NULL, "its initramfs, which runs 'keyhandover restore'")
KHU_OPTION(ROOT, "root", 0, "DIR", once, root, KHU_CMD_LOAD | KHU_CMD_REBOOT | KHU_CMD_SETUP, "[--root DIR]", "the installed system's files (boot/grub, boot/loader, etc/default/grub.d) under DIR, not /")
KHU_OPTION(APPEND, "append", 0, "STR", once, append, KHU_CMD_LOAD | KHU_CMD_REBOOT, "[--append STR | --reuse-cmdline]", "the command line of the next kernel (default: empty)")
KHU_OPTION(REUSE_CMDLINE, "reuse-cmdline", 0, NULL, flag, reuse_cmdline, KHU_CMD_LOAD | KHU_CMD_REBOOT, NULL, "reuse this kernel's command line (/proc/cmdline)")
KHU_OPTION(CHECK, "check", 0, NULL, flag, check, KHU_CMD_SETUP, "[--check]", "report whether the running kernel has the reservation and the module holds it")
KHU_OPTION(DRY_RUN, "dry-run", 0, NULL, flag, dry_run, KHU_CMD_LOAD | KHU_CMD_REBOOT | KHU_CMD_SETUP, "[--dry-run]", "say what would be loaded, with which command line; load nothing")
KHU_OPTION(JSON, "json", 0, NULL, flag, json, KHU_CMD_STATUS | KHU_CMD_SETUP | KHU_CMD_LOAD | KHU_CMD_REBOOT, "[--json]", "print one JSON object on stdout instead of text (setup: with --check; load, reboot: with --dry-run); docs/json.md")
KHU_OPTION(VERBOSE, "verbose", 0, NULL, flag, verbose, KHU_CMD_STASH | KHU_CMD_REBOOT | KHU_CMD_RESTORE, "[--verbose]", "show libcryptsetup's messages (restore: also why it linked no key)")
KHU_OPTION(HELP, "help", 'h', NULL, action, action, KHU_CMD_ALL, NULL, "show this help")
KHU_OPTION(VERSION, "version", 'V', NULL, action, action, KHU_CMD_GLOBAL, NULL, "show the version of the tool and of the handover format")
KHU_OPTION(ARG_KEYRING, NULL, 0, "KEYRING", operand, keyring, KHU_CMD_RESTORE, NULL, "with --to-keyring: @u (default), @us, @s, @p, @t or a key serial number")
KHU_OPTION(ARG_DEVICE, NULL, 0, "DEVICE", volume, n_devices, KHU_CMD_STASH | KHU_CMD_REBOOT, "[DEVICE...]", "a LUKS1 or LUKS2 device or image (at most 16); none: crypttab")
