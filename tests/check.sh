#!/bin/bash
# Static checks as a suite (`make check`, and part of `make test`): the
# module built with W=1 and sparse (C=2: every file) must print no warning,
# and the kernel's own scripts/checkpatch.pl --strict (from Debian's
# linux-source-7.3, the tree tests/lib/debian.sh builds the KHO and debug
# test kernel in: unpacked once, cached) must report nothing on it; the
# tool must be clean under gcc -Wall -Wextra -Werror and cppcheck.
# The man pages and the bash completion must be lint-clean and list what
# the tool and the module have (tests/man.sh).
# The module is built from a copy, so the tree's own objects stay as built.
set -uo pipefail

KH_TOP=$(cd "$(dirname "$0")/.." && pwd)
top=$KH_TOP
# shellcheck source=lib/host.sh
. "$KH_TOP/tests/lib/host.sh"
# shellcheck source=man.sh
. "$KH_TOP/tests/man.sh"
kver=$(kh_kernel_version)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A build whose output has no warning at all; BTF's note is not one.
quiet_build() {
	local log=$tmp/build.log
	"$@" >"$log" 2>&1 || { cat "$log"; return 1; }
	! grep -E 'warning|error' "$log" | grep -v 'Skipping BTF'
}

# Beside VERSION, as in the tree: Kbuild and the tool's Makefile read it.
cp "$top/VERSION" "$tmp/"
cp -r "$top/kmod" "$tmp/kmod"
make -s -C "$tmp/kmod" clean KERNELRELEASE="$kver" >/dev/null 2>&1
check_output "module: W=1 and sparse (C=2) report nothing ($kver)" \
	quiet_build make -C "/lib/modules/$kver/build" M="$tmp/kmod" W=1 C=2 modules
# checkpatch's verdict is its report: any ERROR, WARNING or CHECK line
# fails, whatever its exit status.
#
# One override, with its reason: format_types.h is the header that bridges
# the codec shared with userspace (format.c runs in the module, the unit
# tests and the fuzzer) to each side's fixed-width types, so its typedefs
# (NEW_TYPEDEFS) and its userspace branch's uint8_t (PREFER_KERNEL_TYPES)
# are its whole point; every other check applies to it too.
checkpatch() {
	local script=$1
	local f files=() rc=0
	# The sources, not what a build left beside them (*.mod.c).
	for f in "$top"/kmod/*.c "$top"/kmod/*.h "$top"/kmod/uapi/*.h; do
		case $f in
		*.mod.c | */format_types.h) ;;
		*) files+=("${f#"$top"/}") ;;
		esac
	done
	(cd "$top" && perl "$script" --strict --no-tree --terse --show-types \
		-f "${files[@]}" &&
		perl "$script" --strict --no-tree --terse --show-types \
			--ignore NEW_TYPEDEFS,PREFER_KERNEL_TYPES \
			-f kmod/format_types.h) >"$tmp/checkpatch.out" 2>&1 || rc=$?
	grep -v ' 0 errors, 0 warnings, 0 checks,' "$tmp/checkpatch.out"
	[ "$rc" = 0 ] && ! grep -qE ': (ERROR|WARNING|CHECK):' "$tmp/checkpatch.out"
}

# The RFC series (upstream/, docs/upstream.md) as a maintainer would run
# it: each patch file, --strict, nothing reported.
checkpatch_series() {
	local script=$1 p rc=0
	: >"$tmp/checkpatch-series.out"
	for p in "$top"/upstream/[0-9][0-9][0-9][1-9]-*.patch; do
		[ -f "$p" ] || return 1
		perl "$script" --strict --no-tree --terse --show-types "$p" \
			>>"$tmp/checkpatch-series.out" 2>&1 || rc=$?
	done
	grep -v ' 0 errors, 0 warnings, 0 checks,' "$tmp/checkpatch-series.out"
	[ "$rc" = 0 ] && ! grep -qE ': (ERROR|WARNING|CHECK):' "$tmp/checkpatch-series.out"
}

# The source tree lives in the trixie chroot (its apt, chroot(8)): root
# only. Without root this check is skipped, and says so.
if [ "$(id -u)" = 0 ]; then
	if src=$(kh_kho_source); then
		check_output "module: checkpatch.pl --strict --no-tree reports nothing (linux-source-7.3)" \
			checkpatch "${src% *}${src#* }/scripts/checkpatch.pl"
		check_output "upstream: checkpatch.pl --strict reports nothing on each patch of the RFC series" \
			checkpatch_series "${src% *}${src#* }/scripts/checkpatch.pl"
	else
		check_output "module: linux-source-7.3 unpacked for checkpatch.pl" false
	fi
else
	echo "# skip: checkpatch.pl --strict: not root (linux-source-7.3 is in the trixie chroot)"
fi
cp -r "$top/userspace" "$tmp/userspace"
cp -r "$top/man" "$tmp/man"
make -s -C "$tmp/userspace" clean >/dev/null 2>&1
check_output "tool: gcc -Wall -Wextra -Werror" \
	make -s -C "$tmp/userspace" all tests CFLAGS="-O2 -g -Werror"
check_output "tool: cppcheck reports nothing" make -s -C "$top/userspace" lint
man_checks "$top" "$tmp/userspace"

finish
