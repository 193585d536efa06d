# shellcheck shell=bash
# Every suite's result lines: "ok N - ..." / "not ok N - ...", counted in
# PASSED, FAILED and CHECK and summed up by finish as "N passed, N failed",
# the line tests/run-all.sh reads (tests/lib/summary.sh). Source it
# before anything is checked.

PASSED=0
FAILED=0
CHECK=0
# shellcheck disable=SC2034 # read by the sourcing scripts after check
LAST_OK=0

ok() {
	CHECK=$((CHECK + 1)) PASSED=$((PASSED + 1))
	printf 'ok %d - %s\n' "$CHECK" "$*"
}

not_ok() {
	CHECK=$((CHECK + 1)) FAILED=$((FAILED + 1))
	printf 'not ok %d - %s\n' "$CHECK" "$*"
}

# check DESCRIPTION COMMAND...: one numbered result line for a command.
# Never fails itself (set -e); LAST_OK tells a caller that must stop.
check() {
	local what=$1
	shift
	LAST_OK=0
	if "$@"; then
		# shellcheck disable=SC2034 # read by the sourcing scripts
		LAST_OK=1
		ok "$what"
	else
		not_ok "$what"
	fi
}

# check_output DESCRIPTION COMMAND...: check, with the command's output
# kept out of the result lines and shown, its last 30 lines as notes,
# only when it fails.
check_output() {
	local what=$1
	shift
	KH_OUTPUT=$(mktemp)
	check "$what" output_to "$KH_OUTPUT" "$@"
	[ "$LAST_OK" = 1 ] || tail -n 30 "$KH_OUTPUT" | note_lines output
	rm -f "$KH_OUTPUT"
}

output_to() {
	local f=$1
	shift
	"$@" >"$f" 2>&1
}

note() {
	printf '# %s\n' "$*"
}

# note_lines WHAT: standard input as "# WHAT: line" notes. awk ends every
# line, a log's unfinished last one too, so that whatever is printed next
# (a result or the summary line the runner reads) starts a line.
note_lines() {
	awk -v p="# $1: " '{ print p $0 }'
}

# keep_or_remove_work RC [WHAT]: the scratch directory $WORK stays, for its
# logs, with --keep (KEEP=1) or after any failure; else it goes.
keep_or_remove_work() {
	[ -n "$WORK" ] || return 0
	if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ] || [ "$1" != 0 ]; then
		note "logs kept in $WORK${2:-}"
	else
		rm -rf "$WORK"
	fi
}

# The summary line the test runner reads, and the exit status.
finish() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" = 0 ] || exit 1
	exit 0
}
