# shellcheck shell=bash
# trixie-dracut: Debian 13 with dracut (systemd in the initramfs), root and a data disk: the passphrase at the cold boot only, then a kexec with none, a plain reboot that wipes
# Boot 1 (cold): systemd-cryptsetup in dracut's initramfs asks for root
# and, as root's rd.luks.options= says, links its volume key at unlock;
# the data disk's is linked after the switch to the real root. So the
# first `keyhandover reboot`, with no terminal, needs no passphrase at
# all. Boot 2: keyhandover-restore.service opened both volumes before
# systemd-cryptsetup ran (which found them open) and linked both keys;
# a stash from them needs nothing typed either, and a plain `systemctl
# reboot` after it leaves the region zero at the reset and systemd asks
# again. (A chain of three kexecs is trixie's: restore and the keyring
# are the same program here; what dracut changes is who runs it, and when.)
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
	plain_reboot_wipes 2 || return 0
}
