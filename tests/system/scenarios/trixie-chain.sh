# shellcheck shell=bash
# trixie-chain: Debian 13: one passphrase after the cold boot, then an unattended kernel upgrade and kexecs with none
# Root's crypttab line carries link-volume-key=@u::%logon:keyhandover:cryptroot.
# Boot 1 (cold): Debian's cryptroot asks and links nothing (it ignores the
# option), so `keyhandover reboot` asks once. Boot 2: restore opened root
# in the initramfs and linked its key as the line says; apt installs
# trixie-backports' kernel from a local repository (DKMS, the initramfs
# hook and update-grub run by themselves), and the upgrade timer's service
# kexecs into it with nothing typed. Boot 3 (the new kernel): the service
# finds nothing newer; `keyhandover reboot` with no terminal kexecs again.
# Boot 4: a stash, then a plain `systemctl reboot`: the region is zero at
# the reset and boot 5's cryptroot asks again. Files written before each
# reboot are there after it; the region is zero after each restore.
SYSTEM=trixie

KEY_DESC=keyhandover:cryptroot

scenario_run() {
	start_qemu "$WORK/trixie-chain" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/trixie-chain/qmp"
	boot_with_passphrase 1 || return 0
	guest_ok "boot 1: the cold boot linked no key (Debian's cryptroot ignores link-volume-key=)" \
		"! keyctl search @u logon $KEY_DESC"
	guest_ok "boot 1: setup writes the drop-in and runs update-grub" \
		'keyhandover setup' 300
	guest_ok "boot 1: setup --check" 'keyhandover setup --check'
	check "$SCENARIO: boot 1: setup --check says the key is not in the keyring yet" \
		said 'not in the keyring'
	write_file 1
	send 'keyhandover reboot'
	check "$SCENARIO: boot 1: keyhandover reboot asks for cryptroot's passphrase (no key linked)" \
		wait_for 'Enter passphrase for cryptroot'
	[ "$LAST_OK" = 1 ] || return 0
	type_passphrase
	chain_boot 2 "$VER" || return 0
	upgrade_kernel || return 0
	write_file 2
	# The service's own lines go to the journal: on the console, the
	# module's kexec line says it stashed; chain_boot stops at a prompt.
	send 'systemctl start keyhandover-upgrade.service'
	chain_boot 3 "$KV_NEW" || return 0
	guest_ok "boot 3: the previous boot's service had taken the key from the keyring" \
		'journalctl -b -1 -u keyhandover-upgrade.service | grep -F "key taken from the keyring"'

	guest_ok "boot 3: the upgrade service again: nothing newer, nothing done, success" \
		'systemctl start keyhandover-upgrade.service && journalctl -b -u keyhandover-upgrade.service | grep -F "nothing to do"'
	write_file 3
	guest_ok "boot 3: setup --check: the key is in the keyring" 'keyhandover setup --check'
	send 'keyhandover reboot </dev/null'
	check "$SCENARIO: boot 3: keyhandover reboot with no terminal takes the key from the keyring" \
		wait_for 'key taken from the keyring' "$WAIT" 'Enter passphrase'
	chain_boot 4 "$KV_NEW" || return 0
	check "$SCENARIO: one passphrase in four boots: cryptroot's at the cold boot, reboot's once" \
		one_prompt_each
	plain_reboot_wipes 4
}

write_file() {
	guest_ok "boot $1: a file written to the encrypted root" \
		"echo $TOKEN-$1 >/root/kh-chain-$1 && sync"
}

# chain_boot N KVER: the kexec into boot N on KVER, its shell, and what
# restore did there.
chain_boot() {
	local n=$1 prev=$(($1 - 1))
	check "$SCENARIO: boot $prev: systemd shuts down and the module keeps the stash" \
		wait_for 'kexec: keeping 1 volume(s) for the next kernel' "$WAIT" 'Please unlock disk'
	check "$SCENARIO: boot $prev: the kernel jumps to the next one" \
		wait_for 'Linux version'
	reach_shell "$n" || return 1
	guest_ok "boot $n: running $2" "uname -r | grep -x -- '$2'"
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

# Boot 2: the newer kernel installed as on a box, from the local
# repository; everything after apt's command is Debian's own doing.
upgrade_kernel() {
	guest_rc0 'ts_lines() { while IFS= read -r l; do printf "%s %s\n" "$(date +%s)" "$l"; done; }' 30
	guest_ok "boot 2: apt installs $KV_NEW and its headers (local repository)" \
		"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-image-$KV_NEW linux-headers-$KV_NEW 2>&1 | ts_lines >/root/kh-upgrade.log; [ \${PIPESTATUS[0]} = 0 ] || { tail -n 20 /root/kh-upgrade.log; false; }" 3600
	# Where the upgrade's minutes go (docs/testing.md), from the guest's
	# own clock, and its last lines.
	guest "awk 'NR == 1 { t0 = \$1 } { print \$1 - t0, \$0 }' /root/kh-upgrade.log | grep -E 'Unpacking|Setting up|dkms|update-initramfs|Generating grub|Building|done' | cut -c1-110" 120 &&
		note_lines upgrade <"$OUT"
	[ "$LAST_OK" = 1 ] || return 1
	guest_ok "boot 2: DKMS built and installed keyhandover for $KV_NEW by itself" \
		"dkms status -m keyhandover -k $KV_NEW | grep -q ': installed'"
	guest_ok "boot 2: the new kernel's initramfs holds the module, the tool and the boot script" \
		"lsinitramfs /boot/initrd.img-$KV_NEW >/root/kh-initrd.list && grep -q '/keyhandover.ko' /root/kh-initrd.list && grep -qx usr/sbin/keyhandover /root/kh-initrd.list && grep -qx scripts/local-top/keyhandover /root/kh-initrd.list"
	guest_ok "boot 2: GRUB's default is now $KV_NEW (load --dry-run)" \
		"keyhandover load --dry-run | grep -F 'kernel: /boot/vmlinuz-$KV_NEW'"
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

one_prompt_each() {
	[ "$(console_text | grep -c 'Please unlock disk cryptroot')" = 1 ] &&
		[ "$(console_text | grep -c 'Enter passphrase for')" = 1 ]
}
