#!/bin/sh
# Install, idempotently, the Debian packages that building, testing or
# demonstrating keyhandover needs. Only what is missing is installed, and
# `apt-get update` runs only when something is.
#
#   scripts/deps.sh build	the module and the tool
#   scripts/deps.sh test	+ QEMU, cryptsetup, busybox, kexec-tools, dkms,
#				python3 (its json module reads --json's output)
set -eu

build_pkgs="gcc make libc6-dev pkg-config libcryptsetup-dev libssl-dev
linux-headers-amd64 kmod libkeyutils-dev"
test_pkgs="$build_pkgs qemu-system-x86 cryptsetup-bin busybox-static
kexec-tools dkms cpio xz-utils zstd keyutils ca-certificates clang
libclang-rt-14-dev valgrind cppcheck sparse debootstrap qemu-utils e2fsprogs
initramfs-tools-core initramfs-tools cryptsetup-initramfs ovmf python3"

case "${1:-build}" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "keyhandover: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "keyhandover: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
