#!/bin/bash
# DKMS: `dkms add/build/install` of the module as a user's machine would
# run them, against the installed Debian headers. Everything goes into
# private trees (--sourcetree/--dkmstree/--installtree), so the test
# leaves the host's /usr/src, /var/lib/dkms and /lib/modules untouched.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/qemu/lib.sh"

kver=$(kh_kernel_version)
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() {
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1)); echo "ok $((pass + fail)) - $desc"
	else
		fail=$((fail + 1)); echo "not ok $((pass + fail)) - $desc"
		sed 's/^/# /' "$tmp/out" | tail -20
	fi
}

trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/inst")
# dkms refuses to install for a kernel whose module tree it cannot see.
mkdir -p "$tmp/src" "$tmp/dkms" "$tmp/inst/$kver"

desc="dkms-src copies the explicit source list"
check make -C "$top" -s dkms-src DESTDIR="$tmp/root"
cp -r "$tmp/root/usr/src/keyhandover-$version" "$tmp/src/"

desc="its dkms.conf names VERSION ($version), filled in from dkms.conf's #MODULE_VERSION#"
check grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/src/keyhandover-$version/dkms.conf"

desc="the DKMS source tree carries no tests or userspace"
check bash -c "! find '$tmp/src' -path '*tests*' -o -path '*userspace*' | grep -q ."

desc="dkms add"
check dkms add -m keyhandover -v "$version" "${trees[@]}"
desc="dkms build against $kver"
check dkms build -m keyhandover -v "$version" -k "$kver" "${trees[@]}"
desc="dkms install for $kver"
check dkms install -m keyhandover -v "$version" -k "$kver" "${trees[@]}" --no-depmod
desc="the installed module is keyhandover $version for $kver"
check bash -c "ko=\$(find '$tmp/inst' -name 'keyhandover.ko*' | head -1) &&
	[ -n \"\$ko\" ] && modinfo -F version \"\$ko\" | grep -qx '$version' &&
	modinfo -F vermagic \"\$ko\" | grep -q '^$kver '"
desc="dkms remove"
check dkms remove -m keyhandover -v "$version" --all "${trees[@]}" --no-depmod

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
