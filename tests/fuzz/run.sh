#!/bin/bash
# The fuzzer as a test suite: a bounded run (FUZZ_SECONDS, default 30)
# that passes when libFuzzer finds no crash, leak or sanitizer report.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KH_TOP=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/report.sh
. "$KH_TOP/tests/lib/report.sh"
secs=${FUZZ_SECONDS:-30}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if make -s -C "$here" run FUZZ_SECONDS="$secs" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	ok "format codec fuzzed for ${secs}s (${runs:-?} inputs), nothing found"
else
	tail -40 "$log" | note_lines fuzz
	not_ok "the fuzzer found a problem (crash input under build/fuzz)"
fi
finish
