#!/bin/bash
# Runs each unit test under valgrind's memcheck (any invalid access, use
# of uninitialised memory or leak fails the test) and sums their
# "N passed, N failed" lines into one.
set -uo pipefail
# shellcheck source=../../tests/lib/summary.sh
. "$(dirname "$0")/../../tests/lib/summary.sh"
pass=0 fail=0
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
if ! command -v valgrind >/dev/null; then
	echo "# SKIP valgrind: not installed, tests run without memcheck"
	vg=()
fi
for t in "$@"; do
	echo "# $t"
	out=$("${vg[@]}" "./$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed'
	if ! kh_summary_read "$rc" <<<"$out" || [ "$rc" = 99 ]; then
		[ "$rc" = 99 ] && why=" (memcheck errors)" || why=" (no summary)"
		echo "not ok - $t: exit $rc$why"
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + KH_PASSED)); fail=$((fail + KH_FAILED))
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
