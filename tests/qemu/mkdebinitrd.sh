#!/bin/sh
# mkdebinitrd.sh OUT KVER KROOT MODULE TOOL CRYPTTAB-LINE
#
# A real Debian 12 initramfs, made by Debian's own mkinitramfs with
# cryptsetup-initramfs and keyhandover's initramfs-tools integration
# (integration/initramfs-tools), as `make install` and DKMS would set a
# machine up: the hook and boot script under /etc/initramfs-tools, the
# module under /lib/modules/KVER/updates, the crypttab entry in
# /etc/crypttab.
#
# KH_NO_HOOK=1 leaves keyhandover's hook and boot script out (the same
# initramfs as before the integration, for the benchmark's comparison).
#
# Nothing on the host changes: in a private mount namespace, /etc,
# /boot and /lib/modules are overlays whose upper layers live in a
# scratch directory, and the kernel's module tree (KROOT, an unpacked
# Debian image) is mounted where mkinitramfs looks for it.
set -eu

KH_TOP=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/debian.sh
. "$KH_TOP/tests/lib/debian.sh"

[ $# = 6 ] || {
	echo "usage: ${0##*/} OUT KVER KROOT MODULE TOOL CRYPTTAB-LINE" >&2
	exit 2
}
kh_need_pkgs initramfs-tools cryptsetup-initramfs

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/kh-debinitrd.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

unshare -m sh -eu -c '
	out=$1 kver=$2 kroot=$3 module=$4 tool=$5 crypttab=$6 s=$7 top=$8
	mount --make-rprivate /
	overlay() {
		mkdir -p "$s/$2.u" "$s/$2.w"
		mount -t overlay overlay \
			-o "lowerdir=$1,upperdir=$s/$2.u,workdir=$s/$2.w" "$1"
	}
	overlay /etc etc
	overlay /boot boot
	overlay /lib/modules modules
	mkdir -p "/lib/modules/$kver"
	mkdir -p "$s/kmod.u" "$s/kmod.w"
	mount -t overlay overlay -o "lowerdir=$kroot/lib/modules/$kver,upperdir=$s/kmod.u,workdir=$s/kmod.w" \
		"/lib/modules/$kver"
	cp "$kroot/boot/config-$kver" "/boot/config-$kver"
	mkdir -p "/lib/modules/$kver/updates"
	cp "$module" "/lib/modules/$kver/updates/keyhandover.ko"
	depmod "$kver"
	printf "%s\n" "$crypttab" >/etc/crypttab
	if [ "$9" != 1 ]; then
		mkdir -p /etc/initramfs-tools/hooks /etc/initramfs-tools/scripts/local-top
		cp "$top/integration/initramfs-tools/hooks/keyhandover" /etc/initramfs-tools/hooks/
		cp "$top/integration/initramfs-tools/scripts/local-top/keyhandover" \
			/etc/initramfs-tools/scripts/local-top/
	fi
	KEYHANDOVER_TOOL=$tool mkinitramfs -o "$out.tmp" "$kver"
' sh "$1" "$2" "$3" "$4" "$5" "$6" "$SCRATCH" "$KH_TOP" "${KH_NO_HOOK:-0}"
mv "$1.tmp" "$1"
