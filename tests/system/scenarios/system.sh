# shellcheck shell=bash
# system: `keyhandover reboot` on a whole Debian 12 system, no second prompt
# Boot 1: Debian's cryptroot asks for the passphrase, typed over the
# serial console; at the root shell (autologin on ttyS0, as a person at
# the console): a file is written, setup --check, setup/load/reboot
# --dry-run, then `keyhandover reboot`, its passphrase typed at its
# prompt, which ends in `systemctl kexec`. Boot 2 must reach multi-user
# with root unlocked by the hand-over, the file there, and no prompt (the
# run stops at once if cryptroot asks).
# Left out of make test: Debian 13 (trixie, trixie-dracut) shows the same
# whole-system path on the current stable release, and the QEMU lane's
# distro scenario boots Debian 12's own cryptroot initramfs.
DEFAULT=no
WHY_NOT_DEFAULT="Debian 12, now oldstable (10 min with its install); make test's 25 min hold Debian 13 with initramfs-tools and with dracut, and Debian 12's initramfs in the QEMU lane (distro): docs/testing.md"

scenario_run() {
	start_qemu "$WORK/system" -no-reboot
	boot_with_passphrase 1 || return 0
	guest_ok "boot 1: a file written to the encrypted root" \
		"echo $TOKEN >/root/kh-boot1 && sync"
	guest_ok "boot 1: setup --check: reservation in effect, module holds it" \
		'keyhandover setup --check'
	check "$SCENARIO: boot 1: setup --check names the module's device" \
		said 'ok: the module holds it (/dev/keyhandover)'
	guest_ok "boot 1: setup --dry-run shows the GRUB drop-in and changes nothing" \
		'keyhandover setup --dry-run && test ! -e /etc/default/grub.d/keyhandover.cfg'
	check "$SCENARIO: boot 1: setup --dry-run: the drop-in's escaped memmap=" \
		said "memmap=4K\\\\\\\$0x7000000"
	# The real setup: the drop-in, then Debian's update-grub regenerates
	# grub.cfg, whose default entry load then takes (QEMU's -append
	# stands for what GRUB passed at this boot).
	guest_ok "boot 1: setup writes the drop-in and runs update-grub" \
		'keyhandover setup' 300
	check "$SCENARIO: boot 1: setup says what it wrote" \
		said 'wrote /etc/default/grub.d/keyhandover.cfg'
	guest_ok "boot 1: update-grub put the escaped region on GRUB's linux lines" \
		"grep -F 'memmap=4K\\\$0x7000000 keyhandover.region=4K\\\$0x7000000' /boot/grub/grub.cfg"
	guest_ok "boot 1: setup again changes nothing" 'keyhandover setup'
	check "$SCENARIO: boot 1: ... and says so" said 'already set up'
	guest_ok "boot 1: load --dry-run takes GRUB's default entry" \
		'keyhandover load --dry-run'
	check "$SCENARIO: boot 1: load --dry-run: GRUB's entry, its kernel, initrd and command line with the region" \
		said_all "chosen from: GRUB" "kernel: /boot/vmlinuz-$VER" \
		"initrd: /boot/initrd.img-$VER" console=ttyS0 "memmap=$KH_REGION" \
		"keyhandover.region=$KH_REGION"
	guest_ok "boot 1: reboot --dry-run" 'keyhandover reboot --dry-run </dev/null'
	check "$SCENARIO: boot 1: reboot --dry-run names the volume, GRUB's entry and systemctl kexec" \
		said_all 'would stash' 'as cryptroot' 'chosen from: GRUB' 'then: systemctl kexec'
	check "$SCENARIO: boot 1: the dry runs armed nothing" guest_rc0 \
		'keyhandover status | grep -x "state: empty"' 30
	# The real thing: it asks the passphrase of crypttab's volume, stashes,
	# loads, and hands over to systemd.
	send 'keyhandover reboot'
	check "$SCENARIO: boot 1: keyhandover reboot asks for cryptroot's passphrase" \
		wait_for 'Enter passphrase for cryptroot'
	[ "$LAST_OK" = 1 ] || return 0
	type_passphrase
	check "$SCENARIO: boot 1: systemd shuts down and the module keeps the stash for kexec" \
		wait_for 'kexec: keeping 1 volume(s) for the next kernel'
	check "$SCENARIO: boot 1: the kernel jumps to the next one" \
		wait_for 'Linux version'
	local boot2=$POS
	reach_shell 2 || return 0
	check "$SCENARIO: boot 2: cryptroot never asked for the passphrase" \
		never_prompted_after_boot1
	check "$SCENARIO: boot 2: the initramfs script opened the root from the hand-over" \
		console_has_since "$boot2" 'keyhandover: volumes opened from the hand-over'
	guest_ok "boot 2: boot 1's file is on the root" 'cat /root/kh-boot1'
	check "$SCENARIO: boot 2: boot 1's file holds what boot 1 wrote" said "$TOKEN"
	guest_ok "boot 2: root is the unlocked LUKS volume" \
		'findmnt -no SOURCE / | grep -x /dev/mapper/cryptroot'
	guest_ok "boot 2: booted through keyhandover load (nonce on the command line)" \
		'grep -q "keyhandover.nonce=" /proc/cmdline'
	# update-grub's order (GRUB_CMDLINE_LINUX, where the drop-in puts the
	# region, then GRUB_CMDLINE_LINUX_DEFAULT) is not QEMU's -append's.
	guest_ok "boot 2: with GRUB's command line (update-grub's, not QEMU's)" \
		"cat /proc/cmdline; grep -qF 'keyhandover.region=$KH_REGION console=ttyS0' /proc/cmdline"
	guest_ok "boot 2: the hand-over was read, once (state consumed)" \
		'keyhandover status | grep -x "state: consumed"'
	check "$SCENARIO: boot 2: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.after"
}

# Exactly one cryptroot prompt in the whole console: boot 1's.
never_prompted_after_boot1() {
	[ "$(console_text | grep -c 'Please unlock disk cryptroot')" = 1 ]
}
