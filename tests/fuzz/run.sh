#!/bin/bash
# The fuzzer as a test suite: a bounded run (FUZZ_SECONDS, default 30)
# that passes when libFuzzer finds no crash, leak or sanitizer report.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${FUZZ_SECONDS:-30}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if make -s -C "$here" run FUZZ_SECONDS="$secs" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "ok 1 - format codec fuzzed for ${secs}s (${runs:-?} inputs), nothing found"
	echo "1 passed, 0 failed"
else
	tail -40 "$log" | sed 's/^/# /'
	echo "not ok 1 - the fuzzer found a problem (crash input under build/fuzz)"
	echo "0 passed, 1 failed"
	exit 1
fi
