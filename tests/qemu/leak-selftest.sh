#!/bin/bash
# leak-selftest.sh: the QEMU suites' leak detector (tests/lib/leak.sh kh_leak_patterns,
# kh_leak_scan) on the host alone, no guest: every form of a fresh random
# key planted into a scratch log must be found, a clean log must stay
# clean. tests/qemu/run.sh and tests/system/run.sh run the same self-test on their own key
# before they trust the detector's silence. Output: "ok N - ..." lines,
# then "N passed, N failed".
set -eu -o pipefail

KH_TOP=$(cd "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/report.sh
. "$KH_TOP/tests/lib/report.sh"
# shellcheck source=../lib/leak.sh
. "$KH_TOP/tests/lib/leak.sh"

KEEP=0
[ "${1:-}" != --keep ] || KEEP=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-leak.XXXXXX")
trap 'keep_or_remove_work $?' EXIT
# A test key as the suites make theirs: 64 bytes, no NUL, no newline.
while :; do
	head -c 64 /dev/urandom >"$WORK/vk.bin"
	case " $(od -An -tx1 -v "$WORK/vk.bin" | tr '\n' ' ') " in
	*" 00 "* | *" 0a "*) ;;
	*) break ;;
	esac
done
check "leak patterns made from the key file" \
	kh_leak_patterns "$WORK/vk.bin" "$WORK/leak"
[ "$LAST_OK" = 1 ] || finish
leak_self_test "$WORK/vk.bin" "$WORK/leak" "$WORK/leak-probe"
finish
