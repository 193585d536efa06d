#!/bin/bash
# Runs each unit test under valgrind's memcheck (any invalid access, use
# of uninitialised memory or leak fails the test) and sums their
# "N passed, N failed" lines into one.
set -uo pipefail
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
	s=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$s" ] || [ "$rc" = 99 ]; then
		echo "not ok - $t: exit $rc${s:+ (memcheck errors)}"
		fail=$((fail + 1))
		continue
	fi
	p=${s%% passed*}; f=${s#*passed, }; f=${f%% failed*}
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
