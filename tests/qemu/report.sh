# shellcheck shell=bash
# The QEMU suites' result lines: "ok N - ..." / "not ok N - ...", counted
# in PASSED, FAILED and CHECK, which the sourcing script sets to 0 and
# sums up at the end as "N passed, N failed". Source it.

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
		LAST_OK=1
		ok "$what"
	else
		not_ok "$what"
	fi
}

note() {
	printf '# %s\n' "$*"
}

