#!/bin/bash
# DKMS: `dkms add/build/install` of the module as a user's machine would
# run them, against the installed Debian headers. Everything goes into
# private trees (--sourcetree/--dkmstree/--installtree), so the test
# leaves the host's /usr/src, /var/lib/dkms and /lib/modules untouched.
set -euo pipefail

KH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
top=$KH_TOP
# shellcheck source=../lib/host.sh
. "$KH_TOP/tests/lib/host.sh"

kver=$(kh_kernel_version)
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/inst")
# dkms refuses to install for a kernel whose module tree it cannot see.
mkdir -p "$tmp/src" "$tmp/dkms" "$tmp/inst/$kver"

check_output "dkms-src copies the explicit source list" make -C "$top" -s dkms-src DESTDIR="$tmp/root"
cp -r "$tmp/root/usr/src/keyhandover-$version" "$tmp/src/"

check_output "the tree's dkms.conf says VERSION ($version), as \`dkms add\` of a checkout reads it" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$top/dkms.conf"
check_output "debian/changelog's version is VERSION ($version): the packages' too" \
	bash -c "dpkg-parsechangelog -l '$top/debian/changelog' -S Version | grep -qx '$version'"
check_output "the DKMS tree's dkms.conf says it too" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/src/keyhandover-$version/dkms.conf"
check_output "the DKMS tree carries no build products (*.mod.c, *.o, *.ko)" \
	bash -c "! find '$tmp/src' -name '*.mod.c' -o -name '*.o' -o -name '*.ko' | grep -q ."
check_output "the DKMS source tree carries no tests or userspace" bash -c "! find '$tmp/src' -path '*tests*' -o -path '*userspace*' | grep -q ."

# A machine without the running kernel's headers: `make` says so in one
# line, naming the package and the releases that have theirs, and fails
# (tool.md's first contact). Run as a user types it, in the directory,
# with no make of ours around it (MAKEFLAGS would add directory lines).
no_headers() {
	local dir=$1 out rc=0
	shift
	out=$(cd "$dir" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		make "$@" KERNELRELEASE=0.0-none 2>&1) || rc=$?
	printf '%s\n' "$out"
	[ "$rc" != 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		grep -q 'no kernel headers for 0.0-none (/lib/modules/0.0-none/build is missing): apt install linux-headers-0.0-none or build for a release that has them: make KERNELRELEASE=' <<<"$out" &&
		grep -qE "headers for: ([^)]* )?$kver[ )]" <<<"$out"
}
check_output "make module, no headers for KERNELRELEASE: one line, the package to install and the releases that have headers ($kver), exit non-zero" \
	no_headers "$top" module
check_output "make (all), no headers: the same line before anything is built" \
	no_headers "$top"
check_output "make in kmod/, no headers: the same line" no_headers "$top/kmod"
# On a copy: the tree's own module may be in use by another suite.
mkdir -p "$tmp/clean" && cp -r "$top/kmod" "$tmp/clean/kmod" && touch "$tmp/clean/kmod/x.o"
check_output "make clean in kmod/, no headers: no build tree needed, the objects gone" \
	bash -c "cd '$tmp/clean/kmod' && env -u MAKEFLAGS -u MAKELEVEL make -s clean KERNELRELEASE=0.0-none && [ ! -e x.o ]"

check_output "dkms add" dkms add -m keyhandover -v "$version" "${trees[@]}"
check_output "dkms build against $kver" dkms build -m keyhandover -v "$version" -k "$kver" "${trees[@]}"
check_output "dkms install for $kver" dkms install -m keyhandover -v "$version" -k "$kver" "${trees[@]}" --no-depmod
check_output "the installed module is keyhandover $version for $kver" bash -c "ko=\$(find '$tmp/inst' -name 'keyhandover.ko*' | head -1) &&
	[ -n \"\$ko\" ] && modinfo -F version \"\$ko\" | grep -qx '$version' &&
	modinfo -F vermagic \"\$ko\" | grep -q '^$kver '"
check_output "dkms remove" dkms remove -m keyhandover -v "$version" --all "${trees[@]}" --no-depmod

finish
