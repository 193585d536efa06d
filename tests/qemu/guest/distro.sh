# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# Boot 1 of the distro scenario, whose boot 2 is Debian's own initramfs
# (initramfs-tools, cryptsetup-initramfs, keyhandover's hook), not this
# one: sourced by /init (tests/qemu/init.sh).
#
#   distroarm  put a root file system on the volume, stash it as crypttab's
#            cryptroot, kexec into Debian's own initramfs: its local-top
#            script restores, cryptroot finds the volume open, root
#            mounts, and the root's /sbin/init (rootfs-init.sh) reports
#
# Its control, Debian's cryptroot asking when nothing was handed over, is
# the whole Debian systems' (tests/system: the plain reboot at the end of
# each Debian 13 chain, and Debian 12's cold boot).

KH_STAGES="$KH_STAGES distroarm"

# The root file system for boot 2, on the LUKS volume as crypttab's
# "cryptroot": ext2 with busybox, the content line, and a /sbin/init
# (kh-rootfs-init) that reports whether it runs from the unlocked volume.
make_rootfs() {
	say "putting a root file system on $VOLUME (opened with the passphrase)"
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" cryptroot ||
		fail "cryptsetup open"
	# LUKS2 volumes use 4 KiB sectors: the file system blocks must match.
	mke2fs -q -b 4096 /dev/mapper/cryptroot >/dev/null || fail "mke2fs"
	mkdir -p /mnt/root
	mount -t ext4 /dev/mapper/cryptroot /mnt/root || fail "mount the new root"
	for d in bin sbin dev proc sys run tmp etc; do
		mkdir -p "/mnt/root/$d"
	done
	cp /bin/busybox /mnt/root/bin/busybox &&
		cp /bin/kh-rootfs-init /mnt/root/sbin/init &&
		cp "$FIXTURES/content" /mnt/root/etc/kh-content &&
		cp "$FIXTURES/content" /mnt/root/etc/kh-content.expected ||
		fail "filling the new root"
	umount /mnt/root || fail "umount the new root"
	cryptsetup close cryptroot || fail "cryptsetup close"
	mark_stage volume-written
}

# Boot 1 of distro: `keyhandover reboot`, as a user runs it, with no
# DEVICE: it stashes from /etc/crypttab, as on an installed system (the
# root volume under its crypttab name, by UUID=, found by a scan: this
# guest has no udev; and three entries it must list as not handed over:
# swap, a missing device, a second line with the root's name, and a
# name whose first line is not handed over (noauto) and whose second line
# is not either: restore would take the first line's options),
# loads Debian's initramfs (the boot disk's initrd.img) and, with no
# systemd here, kexecs at once. The host checks its output on the console.
stage_distroarm() {
	load_keyhandover
	make_rootfs
	uuid=$(cryptsetup luksUUID "$VOLUME") || fail "cryptsetup luksUUID"
	printf '%s\n' "# <target> <source> <key file> <options>" \
		"cryptroot UUID=$uuid none luks,discard" \
		"swap $BOOTDISK /dev/urandom swap,cipher=aes-xts-plain64,size=256" \
		"gone UUID=00000000-0000-4000-8000-0000000000aa none luks" \
		"cryptroot UUID=$uuid none luks" \
		"twice UUID=00000000-0000-4000-8000-0000000000bb none luks,noauto" \
		"twice UUID=00000000-0000-4000-8000-0000000000bb none luks" \
		>/etc/crypttab
	unpack_boot
	REST=
	mark_stage loaded
	say "keyhandover reboot (no DEVICE: /etc/crypttab; passphrase on stdin)"
	pass=$(cat "$FIXTURES/passphrase")
	printf '%s\n' "$pass" | keyhandover reboot --kernel /tmp/boot/vmlinuz \
		--initrd /tmp/boot/initrd.img --append "$(next_cmdline distro)"
	fail "keyhandover reboot returned $?"
}
