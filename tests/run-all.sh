#!/bin/bash
# The README's test command (`make test`) runs this: every suite in turn,
# each ending in its own "N passed, N failed" line, then the sum of them.
# A suite that dies without its summary counts as one failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
total_pass=0 total_fail=0 failed_suites=

run_suite() {
	local name=$1 log summary p f
	shift
	log=$(mktemp)
	echo "# suite: $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$summary" ]; then
		echo "# suite $name ended (exit $rc) without a summary"
		p=0 f=1
	else
		p=${summary%% passed*}
		f=${summary#*passed, }
		f=${f%% failed*}
		[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" = 0 ] || failed_suites="$failed_suites $name"
}

run_suite unit make -s -C "$top/userspace" check
run_suite check "$top/tests/check.sh"
run_suite fuzz "$top/tests/fuzz/run.sh"
run_suite dkms "$top/tests/dkms/run.sh"
run_suite dracut "$top/tests/dracut/run.sh"
run_suite qemu "$top/tests/qemu/run.sh"

[ -z "$failed_suites" ] || echo "# failed suites:$failed_suites"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
