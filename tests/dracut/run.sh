#!/bin/bash
# The dracut integration (integration/dracut/90keyhandover), built into a
# real initramfs by Debian 13's dracut for Debian 13's kernel, in the
# cached trixie chroot (Debian 12's host has no dracut 106 and the
# module's headers need gcc-14). The image is inspected with lsinitrd; it
# is not booted (see docs/integration.md). Everything put into the chroot
# for the build is taken out again.
set -uo pipefail

KH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
top=$KH_TOP
# shellcheck source=../lib/host.sh
. "$KH_TOP/tests/lib/host.sh"

make -s -C "$top" tool >&2 || { not_ok "the tool builds"; finish; }
kv=$(kh_trixie_kvers | awk '{ print $1 }') || { not_ok "trixie's kernel version"; finish; }
croot=$(kh_kernel_chroot "linux-headers-$kv" "linux-image-$kv" dracut systemd \
	systemd-sysv systemd-cryptsetup) ||
	{ not_ok "the trixie chroot with dracut and systemd"; finish; }
work=$(mktemp -d)
cleanup() {
	rm -rf "$work" "$croot/usr/lib/dracut/modules.d/90keyhandover" \
		"$croot/usr/sbin/keyhandover" "$croot/tmp/kh-dracut.img" \
		"$croot/lib/modules/$kv/updates/keyhandover.ko"
	chroot "$croot" depmod "$kv" 2>/dev/null
}
trap cleanup EXIT
# Kept for a look when a check fails: KH_KEEP=1.
[ "${KH_KEEP:-0}" = 0 ] || trap 'echo "# kept $work and $croot/tmp/kh-dracut.img"' EXIT

check "module builds for $kv in the chroot" \
	kh_build_module_chroot "$croot" "$kv" "$work/keyhandover.ko"
mkdir -p "$croot/lib/modules/$kv/updates"
cp "$work/keyhandover.ko" "$croot/lib/modules/$kv/updates/keyhandover.ko"
chroot "$croot" depmod "$kv"
install -m 0755 "$top/userspace/keyhandover" "$croot/usr/sbin/keyhandover"
cp -r "$top/integration/dracut/90keyhandover" "$croot/usr/lib/dracut/modules.d/"

# --no-hostonly: the chroot is not the machine the image is for.
check "dracut builds an initramfs with the keyhandover module" \
	kh_chroot_run "$croot" dracut --quiet --force --no-hostonly \
	--add keyhandover --kver "$kv" /tmp/kh-dracut.img
chroot "$croot" lsinitrd /tmp/kh-dracut.img >"$work/list" 2>/dev/null
unit=$(chroot "$croot" lsinitrd -f usr/lib/systemd/system/keyhandover-restore.service \
	/tmp/kh-dracut.img 2>/dev/null)
has() { grep -qE "$1" "$work/list"; }
has_text() { grep -qF "$1" "$work/list"; }
check "the image holds the tool" has ' usr/sbin/keyhandover$'
check "the image holds keyhandover.ko for $kv" has_text "lib/modules/$kv/updates/keyhandover.ko"
check "the image holds dm-crypt" has 'dm-crypt\.ko'
check "the unit is enabled before cryptsetup-pre.target" \
	has 'cryptsetup-pre\.target\.wants/keyhandover-restore\.service'
check "the image holds systemd-cryptsetup (what finds the volume open)" \
	has 'systemd-cryptsetup'
check "the unit runs only after a keyhandover load, before cryptsetup-pre.target" \
	grep -qx 'ConditionKernelCommandLine=keyhandover.nonce' <<<"$unit"
check "... and is ordered before cryptsetup-pre.target" \
	grep -qx 'Before=cryptsetup-pre.target' <<<"$unit"
early=$(chroot "$croot" lsinitrd -f usr/lib/systemd/system/keyhandover-early.service \
	/tmp/kh-dracut.img 2>/dev/null)
check "the early unit (loads the module, which wipes a stash not for this kernel) is enabled" \
	has 'cryptsetup-pre\.target\.wants/keyhandover-early\.service'
check "... on every boot with the region or Kexec HandOver, not only after keyhandover load" \
	eval 'grep -qx "ConditionKernelCommandLine=|keyhandover.region" <<<"$early" &&
		grep -qx "ConditionKernelCommandLine=|kho" <<<"$early"' 
# The tool's libraries resolve inside the image's own tree.
rm -rf "$work/img" && mkdir -p "$work/img"
(cd "$work/img" && chroot "$croot" sh -c 'cd /tmp && rm -rf kh-x && mkdir kh-x && cd kh-x && lsinitrd --unpack /tmp/kh-dracut.img >/dev/null 2>&1' &&
	cp -a "$croot/tmp/kh-x/." . && rm -rf "$croot/tmp/kh-x")
check "the tool runs from the unpacked image (its libraries are all there)" \
	chroot "$work/img" /usr/sbin/keyhandover --version
finish
