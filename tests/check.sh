#!/bin/bash
# Static checks as a suite (`make check`, and part of `make test`): the
# module built with W=1 and sparse (C=2: every file) must print no warning,
# the tool must be clean under gcc -Wall -Wextra -Werror and cppcheck.
# The module is built from a copy, so the tree's own objects stay as built.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/qemu/lib.sh"
kver=$(kh_kernel_version)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() {
	local desc=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then
		pass=$((pass + 1)); echo "ok $((pass + fail)) - $desc"
	else
		fail=$((fail + 1)); echo "not ok $((pass + fail)) - $desc"
		sed 's/^/# /' "$tmp/out" | tail -30
	fi
}

# A build whose output has no warning at all; BTF's note is not one.
quiet_build() {
	local log=$tmp/build.log
	"$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	! grep -E 'warning|error' "$log" | grep -v 'Skipping BTF'
}

cp -r "$top/kmod" "$tmp/kmod"
make -s -C "$tmp/kmod" clean KERNELRELEASE="$kver" >/dev/null 2>&1
check "module: W=1 and sparse (C=2) report nothing ($kver)" \
	quiet_build make -C "/lib/modules/$kver/build" M="$tmp/kmod" W=1 C=2 modules
cp -r "$top/userspace" "$tmp/userspace"
make -s -C "$tmp/userspace" clean >/dev/null 2>&1
check "tool: gcc -Wall -Wextra -Werror" \
	make -s -C "$tmp/userspace" all tests CFLAGS="-O2 -g -Werror"
check "tool: cppcheck reports nothing" make -s -C "$top/userspace" lint

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
