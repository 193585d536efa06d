# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# Image making for the system scenarios (tests/system/run.sh), with no
# keyhandover at all: sourced by /init (tests/qemu/init.sh).
#
#   mkroot   the system scenarios' encrypted root, written through the
#            guest's dm-crypt because the host has none. The LUKS volume on
#            /dev/vda was made on the host (luksFormat needs no
#            device-mapper); /dev/vdb is either an ext4 image copied into
#            the volume whole (kh.mkroot=image) or a tar unpacked onto the
#            file system in it (kh.mkroot=delta), whose ./.kh-whiteouts
#            lists what to delete

KH_STAGES="$KH_STAGES mkroot"

stage_mkroot() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" mkroot ||
		fail "cryptsetup open with the passphrase"
	case $(cmdline_arg kh.mkroot) in
	image)
		dd if="$BOOTDISK" of=/dev/mapper/mkroot bs=1M 2>/dev/null ||
			fail "copying the root file system into the volume" ;;
	delta) mkroot_delta ;;
	*) fail "kh.mkroot= is neither image nor delta" ;;
	esac
	cryptsetup close mkroot || fail "cryptsetup close"
	sync
	mark_stage copied
	result mkroot-ok
}

mkroot_delta() {
	mkdir -p /mnt
	mount -t ext4 /dev/mapper/mkroot /mnt || fail "mounting the root file system"
	tar -x -f "$BOOTDISK" -C /mnt || fail "unpacking the change onto the root"
	if [ -f /mnt/.kh-whiteouts ]; then
		while IFS= read -r f; do
			rm -rf "/mnt/$f" || fail "deleting $f"
		done </mnt/.kh-whiteouts
		rm -f /mnt/.kh-whiteouts
	fi
	umount /mnt || fail "unmounting the root file system"
}
