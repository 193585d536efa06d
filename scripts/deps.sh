#!/bin/sh
# Install, idempotently, the Debian packages that building, testing or
# demonstrating keyhandover needs. Only what is missing is installed, and
# `apt-get update` runs only when something is.
#
#   scripts/deps.sh build	the module and the tool
#   scripts/deps.sh deb	+ what make deb needs (debhelper, dh-dkms, lintian)
#   scripts/deps.sh test	+ QEMU, cryptsetup, busybox, kexec-tools, dkms,
#				python3 (its json module reads --json's output);
#				Ruby with KH_CRYPTREBOOT_SRC set
set -eu

build_pkgs="gcc make libc6-dev pkg-config libcryptsetup-dev libssl-dev
linux-headers-amd64 kmod libkeyutils-dev"
# The module is DKMS's to build on the target: make deb needs no headers.
# Debian 13 has systemd's pkg-config file (the unit directory) in
# systemd-dev, Debian 12 in systemd itself.
deb_pkgs="build-essential pkg-config libcryptsetup-dev libssl-dev
libkeyutils-dev dpkg-dev debhelper dh-dkms lintian"
if apt-cache show systemd-dev >/dev/null 2>&1; then
	deb_pkgs="$deb_pkgs systemd-dev"
else
	deb_pkgs="$deb_pkgs systemd"
fi
test_pkgs="$build_pkgs $deb_pkgs qemu-system-x86 cryptsetup-bin busybox-static
kexec-tools dkms cpio xz-utils zstd keyutils ca-certificates clang
libclang-rt-14-dev valgrind cppcheck sparse debootstrap qemu-utils e2fsprogs
initramfs-tools-core initramfs-tools cryptsetup-initramfs ovmf mandoc python3"

# The real run of the patched cryptreboot (tests/cryptreboot/ruby.sh),
# only when KH_CRYPTREBOOT_SRC names its checkout: Ruby and the two of
# its gems Debian has (tty-option and memory_locker it has not).
[ -z "${KH_CRYPTREBOOT_SRC:-}" ] ||
	test_pkgs="$test_pkgs ruby ruby-tty-command ruby-zeitwerk"

case "${1:-build}" in
build) pkgs=$build_pkgs ;;
deb) pkgs=$deb_pkgs ;;
test) pkgs=$test_pkgs ;;
*) echo "usage: $0 build|deb|test" >&2; exit 2 ;;
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
