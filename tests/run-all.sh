#!/bin/bash
# The README's test command (`make test`) runs this: every suite, one after
# the other except the system suite and the second QEMU lane (below), each
# ending in its own "N passed, N failed" line, then the sum of them.
# A suite that dies without its summary counts as one failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
total_pass=0 total_fail=0 failed_suites=

# shellcheck source=lib/summary.sh
. "$top/tests/lib/summary.sh"

# summarize NAME LOG RC: add a finished suite's summary to the totals.
summarize() {
	kh_summary_read "$3" <"$2" ||
		echo "# suite $1 ended (exit $3) without a summary"
	total_pass=$((total_pass + KH_PASSED))
	total_fail=$((total_fail + KH_FAILED))
	[ "$KH_FAILED" = 0 ] || failed_suites="$failed_suites $1"
}

run_suite() {
	local name=$1 log rc t0=$SECONDS
	shift
	log=$(mktemp)
	echo "# suite: $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	echo "# timing suite $name: $((SECONDS - t0)) s (at $((SECONDS - start)) s)"
	summarize "$name" "$log" "$rc"
	rm -f "$log"
}

start=$SECONDS

# The QEMU scenarios in two lanes, one per core: each guest is one TCG
# vCPU, and the machine has two. Lane "qemu" runs here, after the quick
# suites; lane "qemu-2" runs in the background after the system suite,
# whose whole-Debian guest (and, on a cold cache, its debootstrap and
# encryption) keeps the second core busy first. The lanes share nothing
# but the cache; lane qemu-2 needs no kernel that lane qemu builds (the
# KHO and debug kernel), and the project is built once, here, before
# either starts, so no two makes ever run in one tree. Each scenario's
# file says its lane (LANE=1 or 2).

# The same kernel release run.sh builds for (linux-headers-amd64's).
kver=$(KH_TOP=$top && . "$top/tests/lib/debian.sh" && kh_kernel_version)
make -s -C "$top" module tool KERNELRELEASE="$kver" >&2 ||
	echo "# the project does not build: the QEMU suites will say so"

background() {
	local t0=$SECONDS
	"$top/tests/system/run.sh" >"$bg_log" 2>&1
	echo $? >"$bg_log.rc"
	echo "# timing suite system: $((SECONDS - t0)) s (at $((SECONDS - start)) s)" >>"$bg_log"
	t0=$SECONDS
	KH_NO_BUILD=1 "$top/tests/qemu/run.sh" --lane 2 >"$bg2_log" 2>&1
	echo $? >"$bg2_log.rc"
	echo "# timing suite qemu-2: $((SECONDS - t0)) s (at $((SECONDS - start)) s)" >>"$bg2_log"
}

bg_log=$(mktemp)
bg2_log=$(mktemp)
background &
bg_pid=$!
kho_pid=
# A background job ignores the Ctrl-C or the stop that ends this script:
# pass it on, so that its guests and mounts go too.
trap 'kill -TERM -- "$bg_pid" "$kho_pid" 2>/dev/null
	pkill -TERM -P "$bg_pid" 2>/dev/null; pkill -TERM -P "$kho_pid" 2>/dev/null
	wait "$bg_pid" "$kho_pid"; exit 130' INT TERM

# The KHO and debug kernel (lane qemu's kho and debug scenarios) is a
# build of ten minutes on both cores when the cache is cold. It starts
# now, beside the quick suites, whose downloads and debootstraps leave
# the cores idle, instead of after them. Its
# source goes into the trixie chroot first; the suites that use the
# chroot (check, dracut) wait for that much, so that only one apt ever
# runs in it, and those that do not (unit, fuzz, dkms) go first.
kho_log=$(mktemp)
kho_ready=$kho_log.ready
kho_build() {
	(KH_TOP=$top && . "$top/tests/lib/debian.sh" &&
		kh_kho_source >/dev/null && : >"$kho_ready" &&
		kh_kho_kernel >/dev/null)
}
kho_build >"$kho_log" 2>&1 &
kho_pid=$!

run_suite unit make -s -C "$top/userspace" check
run_suite fuzz "$top/tests/fuzz/run.sh"
run_suite dkms "$top/tests/dkms/run.sh"
while [ ! -e "$kho_ready" ] && kill -0 "$kho_pid" 2>/dev/null; do
	sleep 2
done
run_suite check "$top/tests/check.sh"
run_suite dracut "$top/tests/dracut/run.sh"
# The lane starts at once: its scenarios that boot the KHO kernel come
# last (ORDER=) and wait for its build there (tests/lib/debian.sh
# kh_kho_kernel holds a lock while it builds).
run_suite qemu "$top/tests/qemu/run.sh" --lane 1
# A failed build shows here too; run.sh tried once more and said so.
wait "$kho_pid" || { echo "# building the KHO kernel beside the quick suites failed:"; cat "$kho_log"; }
rm -f "$kho_log" "$kho_ready"

wait "$bg_pid"
echo "# suite: system (ran beside the others)"
cat "$bg_log"
summarize system "$bg_log" "$(cat "$bg_log.rc" 2>/dev/null || echo 1)"
echo "# suite: qemu-2 (ran beside the others, after system)"
cat "$bg2_log"
summarize qemu-2 "$bg2_log" "$(cat "$bg2_log.rc" 2>/dev/null || echo 1)"
rm -f "$bg_log" "$bg_log.rc" "$bg2_log" "$bg2_log.rc"

[ -z "$failed_suites" ] || echo "# failed suites:$failed_suites"
echo "# timing make test: $((SECONDS - start)) s"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
