# shellcheck shell=bash
# trixie-dracut: Debian 13 with dracut (systemd in the initramfs), root and a data disk: the passphrase at the cold boot only, then a kexec with none, a stash from the keyring and a wipe
# Boot 1 (cold): systemd-cryptsetup in dracut's initramfs asks for root
# and, as root's rd.luks.options= says, links its volume key at unlock;
# the data disk's is linked after the switch to the real root. So the
# first `keyhandover reboot`, with no terminal, needs no passphrase at
# all. Boot 2: keyhandover-restore.service opened both volumes before
# systemd-cryptsetup ran (which found them open) and linked both keys;
# a stash from them needs nothing typed either, and `keyhandover wipe`
# leaves the region zero. (A chain of kexecs and the plain reboot that
# wipes are trixie's: restore, the keyring and the module are the same
# programs here; what dracut changes is who runs restore, and when.)
SYSTEM=trixie-dracut

scenario_run() {
	start_qemu "$WORK/trixie-dracut" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/trixie-dracut/qmp"
	boot_with_passphrase 1 || return 0
	guest_ok "boot 1: keyhandover-early.service ran in the initramfs (the module loaded before any unlock)" \
		'journalctl -b -o cat | grep -F "Finished keyhandover-early.service"'
	guest_ok "boot 1: systemd-cryptsetup linked root's key at unlock (rd.luks.options= link-volume-key=)" \
		"keyctl search @u logon $KEY_DESC"
	guest_ok "boot 1: and the data volume's, after the switch to the real root" \
		"keyctl search @u logon $DATA_KEY_DESC"
	guest_ok "boot 1: setup writes the drop-in and runs update-grub" \
		'keyhandover setup' 300
	reboot_no_terminal 1 || return 0
	chain_boot 2 "$VER" || return 0
	check "$SCENARIO: one passphrase in two boots: systemd's at the cold boot" \
		prompts_were 1 0
	# The plain reboot that wipes is trixie's (the same module and
	# systemd shutdown; dracut's prompt after it is boot 1's): here the
	# stash is wiped by hand, which make test's time allows.
	stash_from_keyring 2
	guest_ok "boot 2: keyhandover wipe" \
		'keyhandover wipe && keyhandover status | grep -x "state: empty"'
	check "$SCENARIO: boot 2: after the wipe, the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.wiped"
}
