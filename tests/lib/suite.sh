# shellcheck shell=bash
# What a QEMU suite's driver sources (tests/qemu/run.sh, tests/system/
# run.sh): the libraries, and its scenarios, one file each in
# $SCENARIO_DIR, named and listed from the directory alone.

# shellcheck source=debian.sh
. "$KH_TOP/tests/lib/debian.sh"
# shellcheck source=report.sh
. "$KH_TOP/tests/lib/report.sh"
# shellcheck source=leak.sh
. "$KH_TOP/tests/lib/leak.sh"
# shellcheck source=qemu.sh
. "$KH_TOP/tests/lib/qemu.sh"

all_scenarios() {
	local f
	for f in "$SCENARIO_DIR"/*.sh; do
		f=${f##*/}
		printf '%s\n' "${f%.sh}"
	done
}

# scenario_setting NAME SETTING: the value of a scenario's simple setting
# (SETTING=VALUE at the start of a line), without running its file.
scenario_setting() {
	sed -n "s/^$2=//p" "$SCENARIO_DIR/$1.sh" | tail -n 1
}

# Each with what it shows: its file's second line, "# NAME: ...".
list_scenarios() {
	local s
	for s in $(all_scenarios); do
		printf '%-16s %s\n' "$s" \
			"$(sed -n "2s/^# $s: //p" "$SCENARIO_DIR/$s.sh")"
	done
}
