# shellcheck shell=bash
# trixie-chain: Debian 13, link-volume-key=: one passphrase after the cold boot, then none
# Root's crypttab line carries link-volume-key=@u::%logon:keyhandover:cryptroot.
# Boot 1 (cold): Debian's cryptroot asks and links nothing (it ignores the
# option), so `keyhandover reboot` asks once. Boot 2: restore opened root
# in the initramfs and linked its key into root's user keyring as the line
# says; `keyhandover reboot` with no terminal takes it in the kernel
# (keyring mode): no prompt. Boot 3: the same again. Files written before
# each reboot are there after it; the region is zero after each restore.
SYSTEM=trixie

KEY_DESC=keyhandover:cryptroot

scenario_run() {
	start_qemu "$WORK/trixie-chain" -no-reboot
	boot_with_passphrase 1 || return 0
	guest_ok "boot 1: the cold boot linked no key (Debian's cryptroot ignores link-volume-key=)" \
		"! keyctl search @u logon $KEY_DESC"
	guest_ok "boot 1: setup writes the drop-in and runs update-grub" \
		'keyhandover setup' 300
	guest_ok "boot 1: setup --check says the key is not linked yet" \
		'keyhandover setup --check'
	check "$SCENARIO: boot 1: ... and that the next reboot asks once" \
		said 'not in the keyring'
	guest_ok "boot 1: a file written to the encrypted root" \
		"echo $TOKEN-1 >/root/kh-chain-1 && sync"
	send 'keyhandover reboot'
	check "$SCENARIO: boot 1: keyhandover reboot asks for cryptroot's passphrase (no key linked)" \
		wait_for 'Enter passphrase for cryptroot'
	[ "$LAST_OK" = 1 ] || return 0
	type_passphrase
	chain_boot 2 || return 0
	chain_reboot 2 || return 0
	chain_boot 3 || return 0
	check "$SCENARIO: one passphrase in three boots: cryptroot's at the cold boot, reboot's once" \
		one_prompt_each
}

# chain_boot N: the kexec into boot N, its shell, and what restore did.
chain_boot() {
	local n=$1 prev=$(($1 - 1))
	check "$SCENARIO: boot $prev: systemd shuts down and the module keeps the stash" \
		wait_for 'kexec: keeping 1 volume(s) for the next kernel' "$WAIT" 'Please unlock disk'
	check "$SCENARIO: boot $prev: the kernel jumps to the next one" \
		wait_for 'Linux version'
	reach_shell "$n" || return 1
	guest_ok "boot $n: boot $prev's file is on the root" "grep -x $TOKEN-$prev /root/kh-chain-$prev"
	guest_ok "boot $n: booted through keyhandover load" \
		'grep -q "keyhandover.nonce=" /proc/cmdline'
	guest_ok "boot $n: restore linked root's key as link-volume-key= names it" \
		"keyctl search @u logon $KEY_DESC"
	guest_ok "boot $n: the hand-over was read, once" \
		'keyhandover status | grep -x "state: consumed"'
	check "$SCENARIO: boot $n: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.boot$n"
}

# chain_reboot N: boot N writes its file and reboots with no terminal to
# ask on: keyring mode, or a clean failure, never a prompt.
chain_reboot() {
	local n=$1
	guest_ok "boot $n: a file written to the encrypted root" \
		"echo $TOKEN-$n >/root/kh-chain-$n && sync"
	guest_ok "boot $n: setup --check: the key is in the keyring" \
		'keyhandover setup --check'
	send 'keyhandover reboot </dev/null'
	check "$SCENARIO: boot $n: keyhandover reboot takes the key from the keyring, no prompt" \
		wait_for 'key taken from the keyring' "$WAIT" 'Enter passphrase'
}

one_prompt_each() {
	[ "$(console_text | grep -c 'Please unlock disk cryptroot')" = 1 ] &&
		[ "$(console_text | grep -c 'Enter passphrase for')" = 1 ]
}
