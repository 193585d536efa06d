#!/bin/bash
# The README's test command (`make test`) runs this: every suite, in two
# lanes (below), each ending in its own "N passed, N failed" line, then
# the sum of them. A suite that dies without its summary counts as one
# failure.
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

# Two lanes, one per core: each guest is one TCG vCPU, and the machine
# has two. The foreground lane runs the quick suites and the first QEMU
# lane ("qemu"), then takes jobs from the queue below; the background
# lane takes jobs from the queue from the start. The queue holds the
# whole Debian systems (one system run each: tests/system/systems/) and
# the second QEMU lane ("qemu-2"), longest first, so that whichever lane
# is free takes the next. The jobs share nothing but the cache (whose
# builds lock: tests/lib/debian.sh); none needs the KHO and debug kernel
# that lane qemu builds, and the project is built once, here, before
# either lane starts, so no two makes ever run in one tree. Each QEMU
# scenario's file says its lane (LANE=1 or 2).

# The same kernel release run.sh builds for (linux-headers-amd64's).
kver=$(KH_TOP=$top && . "$top/tests/lib/debian.sh" && kh_kernel_version)
make -s -C "$top" module tool KERNELRELEASE="$kver" >&2 ||
	echo "# the project does not build: the QEMU suites will say so"

# The queue: NAME and command, longest first (docs/testing.md has the
# times). Each system job runs the system's default scenarios.
queue=$(mktemp -d)
jobs=(system-trixie system-trixie-dracut qemu-2)
job_cmd() {
	case $1 in
	system-*) "$top/tests/system/run.sh" --system="${1#system-}" ;;
	qemu-2) KH_NO_BUILD=1 "$top/tests/qemu/run.sh" --lane 2 ;;
	esac
}

# take_jobs: run each job no other lane has taken (mkdir is the claim),
# its output into queue/NAME.log, its exit status into queue/NAME.rc.
# Each job runs in the background of its lane and the lane waits for it:
# a wait, unlike a command in the foreground, ends at once when a stop
# comes, and job_pid says whom to pass the stop on to.
job_pid=
take_jobs() {
	local j t0 rc
	for j in "${jobs[@]}"; do
		mkdir "$queue/$j.taken" 2>/dev/null || continue
		t0=$SECONDS
		job_cmd "$j" >"$queue/$j.log" 2>&1 &
		job_pid=$!
		rc=0
		wait "$job_pid" || rc=$?
		job_pid=
		echo "$rc" >"$queue/$j.rc"
		echo "# timing suite $j: $((SECONDS - t0)) s (at $((SECONDS - start)) s)" >>"$queue/$j.log"
	done
}

# stop_job: pass a stop on to the job this lane runs, and wait for it to
# clean up (its guests, mounts and scratch directories).
stop_job() {
	[ -z "$job_pid" ] || { kill -TERM "$job_pid" 2>/dev/null; wait "$job_pid"; }
}

(
	trap 'stop_job; exit 143' TERM
	take_jobs
) &
bg_pid=$!
kho_pid=
# Pass a stop (Ctrl-C, or CI's TERM) on: to the background lane, which
# passes it to its job; to the KHO build's children first (its nested
# build would outlive it); to this lane's own job. A background job
# ignores Ctrl-C, so it must be told.
stop_all() {
	[ -z "$kho_pid" ] || pkill -TERM -P "$kho_pid" 2>/dev/null
	kill -TERM -- "$bg_pid" $kho_pid 2>/dev/null
	stop_job
	wait "$bg_pid" $kho_pid
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

# The KHO and debug kernel with the RFC series (lane qemu's kho, debug and
# upstream scenarios) is a
# build of about 25 minutes on both cores when the cache is cold. It starts
# now, beside the quick suites, whose downloads and debootstraps leave
# the cores idle, instead of after them. Its
# source goes into the trixie chroot first; the suites that use the
# chroot (check) waits for that much, so that only one apt ever
# runs in it, and those that do not (unit, fuzz, dkms) go first.
kho_log=$(mktemp)
kho_ready=$kho_log.ready
# keyhandover's Debian 13 packages (make deb in the same chroot) are made
# next, before the kernel: the Debian 13 system jobs install them, and on
# a cold cache they are ready before those jobs' base system is. A failure
# here is not this lane's: the system job builds again and reports it.
kho_build() {
	(KH_TOP=$top && . "$top/tests/lib/debian.sh" &&
		kh_kho_source >/dev/null && : >"$kho_ready" &&
		{ (kh_debs trixie >/dev/null) || true; } &&
		kh_kho_kernel >/dev/null)
}
kho_build >"$kho_log" 2>&1 &
kho_pid=$!

run_suite unit make -s -C "$top/userspace" check
run_suite cryptreboot "$top/tests/cryptreboot/contract.sh"
run_suite fuzz "$top/tests/fuzz/run.sh"
run_suite dkms "$top/tests/dkms/run.sh"
while [ ! -e "$kho_ready" ] && kill -0 "$kho_pid" 2>/dev/null; do
	sleep 2
done
run_suite check "$top/tests/check.sh"
# The lane starts at once: its scenarios that boot the KHO kernel come
# last (ORDER=) and wait for its build there (tests/lib/debian.sh
# kh_kho_kernel holds a lock while it builds).
run_suite qemu "$top/tests/qemu/run.sh" --lane 1
# A failed build shows here too; run.sh tried once more and said so.
wait "$kho_pid" || { echo "# building the KHO kernel beside the quick suites failed:"; cat "$kho_log"; }
rm -f "$kho_log" "$kho_ready"

# Then this lane helps with the queue.
take_jobs
wait "$bg_pid"
for j in "${jobs[@]}"; do
	echo "# suite: $j (from the queue)"
	: >>"$queue/$j.log"
	cat "$queue/$j.log"
	summarize "$j" "$queue/$j.log" "$(cat "$queue/$j.rc" 2>/dev/null || echo 1)"
done
rm -rf "$queue"

# What no system job ran, and why: each job runs one system, and a system
# with no default scenario has no job (the QEMU lanes say their own).
"$top/tests/system/run.sh" --left-out
[ -z "$failed_suites" ] || echo "# failed suites:$failed_suites"
echo "# timing make test: $((SECONDS - start)) s"
echo "total: $total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
