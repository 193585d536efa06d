#!/bin/bash
# The README's test command (`make test`) runs this: every suite, one after
# the other except the system suite (below), each ending in its own "N passed, N failed" line, then the sum of them.
# A suite that dies without its summary counts as one failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
total_pass=0 total_fail=0 failed_suites=

# summarize NAME LOG RC: add a finished suite's summary to the totals.
summarize() {
	local name=$1 log=$2 rc=$3 summary p f
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
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

run_suite() {
	local name=$1 log rc
	shift
	log=$(mktemp)
	echo "# suite: $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	summarize "$name" "$log" "$rc"
	rm -f "$log"
}

# The system suite boots one single-CPU guest for most of its ten minutes
# and shares nothing with the others (its own cached Debian 12, its own
# scratch directory; every host package is installed by deps.sh before):
# it runs beside them on the second core, and its output follows theirs.
bg_log=$(mktemp)
"$top/tests/qemu/system.sh" >"$bg_log" 2>&1 &
bg_pid=$!
# A background job ignores the Ctrl-C or the stop that ends this script:
# pass it on, so that its guest and mounts go too.
trap 'kill -TERM "$bg_pid" 2>/dev/null; wait "$bg_pid"; exit 130' INT TERM

run_suite unit make -s -C "$top/userspace" check
run_suite check "$top/tests/check.sh"
run_suite fuzz "$top/tests/fuzz/run.sh"
run_suite dkms "$top/tests/dkms/run.sh"
run_suite dracut "$top/tests/dracut/run.sh"
run_suite qemu "$top/tests/qemu/run.sh"

echo "# suite: system (ran beside the others)"
wait "$bg_pid"
bg_rc=$?
cat "$bg_log"
summarize system "$bg_log" "$bg_rc"
rm -f "$bg_log"

[ -z "$failed_suites" ] || echo "# failed suites:$failed_suites"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
