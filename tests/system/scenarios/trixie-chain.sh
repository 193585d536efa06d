# shellcheck shell=bash
# trixie-chain: Debian 13, link-volume-key=: one passphrase after the cold boot, then kexecs with none, and a plain reboot that wipes
# Root's crypttab line carries link-volume-key=@u::%logon:keyhandover:cryptroot.
# Boot 1 (cold): Debian's cryptroot asks and links nothing (it ignores the
# option), so `keyhandover reboot` asks once. Boot 2: restore opened root
# in the initramfs and linked its key as the line says; `keyhandover
# reboot` with no terminal takes it in the kernel (keyring mode). Boot 3:
# the same once more; then a stash and a plain `systemctl reboot`: the
# region is zero at the reset and cryptroot asks again after it. Files
# written before each reboot are there after it; the region is zero after
# each restore. The kernel upgrade is trixie-upgrade's.
SYSTEM=trixie

scenario_run() {
	start_qemu "$WORK/trixie-chain" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/trixie-chain/qmp"
	cold_boot_then_reboot || return 0
	reboot_no_terminal 2
	chain_boot 3 "$VER" || return 0
	check "$SCENARIO: one passphrase in three boots: cryptroot's at the cold boot, reboot's once" \
		prompts_were 1 1
	plain_reboot_wipes 3
}

# Boot N: a stash, then a plain reboot: the module wipes on the way down,
# the region is zero at the reset, and the next boot asks as ever.
plain_reboot_wipes() {
	local n=$1
	guest_ok "boot $n: keyhandover stash (keyring mode, no prompt)" \
		'keyhandover stash </dev/null && keyhandover status | grep -x "state: armed"'
	check "$SCENARIO: boot $n: while armed, the region holds the stash (control)" \
		region_nonzero "$DIR/region.armed"
	send 'systemctl reboot'
	check "$SCENARIO: boot $n: the module wipes the region on the way down" \
		wait_for 'keyhandover: region wiped'
	check "$SCENARIO: boot $n: systemd reboots (QEMU holds the guest at the reset)" \
		vm_paused
	check "$SCENARIO: at the reset: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.reset"
	check "$SCENARIO: the guest reset and running again" resume_after_reset
	# The prompt is the point: nothing was handed over, and the way back
	# is the passphrase.
	check "$SCENARIO: boot $((n + 1)): Debian's cryptroot asks for the passphrase again" \
		wait_for 'Please unlock disk cryptroot'
}
