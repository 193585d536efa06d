# shellcheck shell=sh
# The one reader of the summary line every suite ends with, "N passed,
# N failed" (tests/lib/report.sh writes it; the C unit tests' tap.h too):
# tests/run-all.sh sums the suites with it, userspace/tests/run.sh the
# unit tests.

# kh_summary_read RC: read a suite's output on stdin; set KH_PASSED and
# KH_FAILED from its last summary line. A suite with no summary line
# counts as one failure, and so does one that failed (RC not 0) while
# its summary said nothing failed. Returns 1 when there was no summary.
kh_summary_read() {
	kh_s=$(grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$kh_s" ]; then
		KH_PASSED=0 KH_FAILED=1
		return 1
	fi
	KH_PASSED=${kh_s%% passed*}
	KH_FAILED=${kh_s#*passed, }
	KH_FAILED=${KH_FAILED%% failed*}
	[ "$1" = 0 ] || [ "$KH_FAILED" != 0 ] || KH_FAILED=1
	return 0
}
