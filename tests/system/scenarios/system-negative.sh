# shellcheck shell=bash
# system-negative: a plain reboot wipes the stash; boot 2 asks as ever
# Boot 1: `keyhandover stash`, then a plain `systemctl reboot`: the
# region, dumped by QEMU at the reset, must be zero (and was not while
# armed), and boot 2's cryptroot must ask for the passphrase.

scenario_run() {
	# A reset stops the guest where it is, so the region can be read at
	# the moment of the reset; then the test resets it for boot 2.
	start_qemu "$WORK/system-negative" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/system-negative/qmp"
	boot_with_passphrase 1 || return 0
	send 'keyhandover stash; echo KH-STASHED-$((0 + 0))-rc-$?-end'
	check "$SCENARIO: boot 1: keyhandover stash asks for cryptroot's passphrase" \
		wait_for 'Enter passphrase for cryptroot'
	[ "$LAST_OK" = 1 ] || return 0
	type_passphrase
	check "$SCENARIO: boot 1: keyhandover stash took it" wait_for 'KH-STASHED-0-rc-0-end'
	guest_ok "boot 1: the stash is armed" 'keyhandover status | grep -x "state: armed"'
	check "$SCENARIO: boot 1: while armed, the region holds the stash (control)" \
		region_nonzero "$DIR/region.armed"
	send 'systemctl reboot'
	check "$SCENARIO: boot 1: the module wipes the region on the way down" \
		wait_for 'keyhandover: region wiped'
	check "$SCENARIO: boot 1: systemd reboots (QEMU holds the guest at the reset)" \
		vm_paused
	check "$SCENARIO: at the reset: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.reset"
	check "$SCENARIO: the guest reset and running again for boot 2" resume_after_reset
	boot_with_passphrase 2 || return 0
	guest_ok "boot 2: no keyhandover.nonce= on the command line, nothing to restore" \
		'! grep -q "keyhandover.nonce=" /proc/cmdline && keyhandover status | grep -x "state: empty"'
}
