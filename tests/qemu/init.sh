#!/bin/sh
# shellcheck disable=SC2034 # FIXTURES, NAME: used by the stage files
# /init of the test guest (busybox sh). One boot runs one stage, named by
# kh.stage= on the kernel command line; a first-boot stage ends in kexec
# into the stage that checks the result.
#
# This file is the core every stage shares: the mounts, the guest's
# kernel modules and keyhandover's, the markers, the checks, and the
# dispatcher. The stages themselves live in tests/qemu/guest/, copied to
# /lib/kh-guest/ by mkinitramfs.sh, one file per concern; each file adds
# the stages it holds to KH_STAGES:
#
#   kexec.sh    the hand-over across a real kexec and its failures: arm,
#               restore, noarm, negative, nomodule, rearm, stale, foreign,
#               passon, passon2, resetarm, armthen, probe, probe2
#   keyring.sh  keyring mode and the cross-version chain: krarm, kr27arm,
#               kr27restore, hop
#   distro.sh   Debian's own initramfs in boot 2: distroarm
#   planted.sh  the threat model's cases without kexec: planted (a table
#               of cases in one boot), efi (under OVMF)
#   tool.sh     the tool's commands that change nothing (planted's cases)
#   cryptreboot.sh  cryptreboot --keep-key's calls (docs/cryptreboot.md):
#               crarm
#   debug.sh    the module under the debug kernel: debug
#   bench.sh    timings for `make bench`: bench
#
# Markers. Human output goes to the console (ttyS0), with "KH-STAGE stage
# step uptime" lines that let the host time each step. The verdict goes
# ONLY to the second serial port as one line "KH-RESULT ...": the host
# passes on the positive marker alone, so a crash or hang can never look
# like a pass. Beside it there: "KH-CHECK ok|not-ok WHAT", one line per
# check the guest makes (gcheck), each counted by the host; KH-HOLD, the
# guest waiting for the host to look at its memory; and the stages' own
# (KH-DUMP in planted.sh, KH-ARMED and KH-GOING in kexec.sh,
# KH-PARAM and KH-BENCH in bench.sh).
#
# No "set -e": init must never exit (the kernel would panic without a
# verdict); every failure goes through fail().
set -u
export PATH=/sbin:/usr/sbin:/bin:/usr/bin

# What every stage works with: the second serial port, the fixtures
# (passphrase, content), the LUKS volume and its mapping's name, and the
# boot disk (the next kernel, or a stage's own data).
MARKER=/dev/ttyS1
FIXTURES=/etc/kh-test
VOLUME=/dev/vda
BOOTDISK=/dev/vdb
NAME=data
STAGE=unknown
# The stage files (tests/qemu/guest/), and the stages they hold.
GUEST=/lib/kh-guest
KH_STAGES=
CHECKS_FAILED=0

say() {
	printf 'kh-init: %s\n' "$*"
}

mark_stage() {
	read -r up _ </proc/uptime
	printf 'KH-STAGE %s %s %s\n' "$STAGE" "$1" "$up"
}

# The host may hold the guest after the verdict to inspect its memory
# (kh.hold=N: wait up to N seconds for the host to stop QEMU).
finish() {
	hold=$(cmdline_arg kh.hold)
	if [ -n "$hold" ]; then
		echo KH-HOLD >"$MARKER"
		sleep "$hold"
	fi
	sync
	poweroff -f
	reboot -f # without ACPI; -no-reboot turns it into an exit
}

result() {
	printf 'KH-RESULT %s\n' "$1" >"$MARKER"
}

fail() {
	say "FAIL: $*"
	result "fail: $STAGE: $*"
	finish
}

# Value of NAME=value on the kernel command line (last one wins).
cmdline_arg() {
	v=
	read -r line </proc/cmdline
	for w in $line; do
		case $w in "$1="*) v=${w#*=} ;; esac
	done
	printf '%s\n' "$v"
}

mount_all() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs -o mode=0755 tmpfs /run
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mkdir -p /run/cryptsetup # libcryptsetup's lock directory
}

load_modules() {
	kver=$(uname -r)
	while read -r m; do
		insmod "/lib/modules/$kver/$m" || fail "insmod $m"
	done <"/lib/modules/$kver/load-order"
	# virtio_blk probes asynchronously; wait for the disks.
	i=0
	while [ ! -b "$VOLUME" ] || [ ! -b "$BOOTDISK" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || fail "no $VOLUME or $BOOTDISK"
		sleep 0.1
	done
}

# The region parameter is the memmap= reservation itself, so the two can
# never disagree. Without memmap= (the kho scenario) the module gets its
# region from Kexec HandOver. keyhandover.nonce= goes along as modprobe
# would pass it from the command line (busybox insmod does not read
# /proc/cmdline); KH_BARE=1 leaves it out, as a plain insmod would.
load_keyhandover() {
	region=$(cmdline_arg memmap)
	nonce=$(cmdline_arg keyhandover.nonce)
	case " $* " in *" nonce="*) nonce= ;; esac
	[ "${KH_BARE:-0}" = 0 ] || nonce=
	[ -z "$nonce" ] || set -- "nonce=$nonce" "$@"
	ko=/lib/modules/$(uname -r)/extra/keyhandover.ko
	[ -f "$ko" ] || fail "no keyhandover.ko in the initramfs"
	if [ -n "$region" ]; then
		insmod "$ko" "region=$region" "$@" ||
			fail "insmod keyhandover region=$region $*"
	else
		insmod "$ko" "$@" || fail "insmod keyhandover (no memmap=) $*"
	fi
	[ -c /dev/keyhandover ] || fail "no /dev/keyhandover after insmod"
	mark_stage module-loaded
}

ko_path() {
	echo "/lib/modules/$(uname -r)/extra/keyhandover.ko"
}

# The region's state as `keyhandover status` names it (a regex).
status_is() {
	keyhandover status | grep -qE "^state: *($1)\$"
}

one_line() {
	[ "$(printf '%s\n' "$1" | wc -l)" = 1 ]
}

# --- checks: the lines the host counts ---------------------------------

# gcheck DESCRIPTION COMMAND...: one result line for the host to count.
gcheck() {
	what=$1
	shift
	if "$@"; then
		say "ok - $what"
		printf 'KH-CHECK ok %s\n' "$what" >"$MARKER"
	else
		say "not ok - $what"
		printf 'KH-CHECK not-ok %s\n' "$what" >"$MARKER"
		CHECKS_FAILED=$((CHECKS_FAILED + 1))
	fi
}

# The end of a stage's checks: any failed one fails the stage.
checks_passed() {
	[ "$CHECKS_FAILED" = 0 ] || fail "$CHECKS_FAILED checks failed"
}

# The reserved range's first page in /dev/mem's 4 KiB blocks.
region_block() {
	r=$(cmdline_arg memmap)
	echo $((${r#*\$} / 4096))
}

# Write a region image into the reserved range through /dev/mem (only
# while no module holds it), as a previous kernel would have left it.
plant() {
	dd if="$1" of=/dev/mem bs=4096 seek="$(region_block)" count=1 \
		conv=notrunc 2>/dev/null
}

# The reserved range as /dev/mem shows it (only while no module holds
# it): a full page read, and not one byte of it non-zero. A failed read
# must not pass for an empty region.
# The copy may hold a stash (a key): overwritten in place before it goes,
# so that no test leaves a key in the guest's RAM for the host to find.
region_is_zero() {
	dd if=/dev/mem bs=4096 skip="$(region_block)" count=1 \
		of=/tmp/region.bin 2>/dev/null &&
		[ "$(wc -c </tmp/region.bin)" = 4096 ] &&
		[ "$(tr -d '\000' </tmp/region.bin | wc -c)" = 0 ]
	rz=$?
	dd if=/dev/zero of=/tmp/region.bin bs=4096 count=1 conv=notrunc 2>/dev/null
	rm -f /tmp/region.bin
	return $rz
}

# --- the dispatcher ----------------------------------------------------

# Every stage file, whatever the stage: one file's stages use another's
# helpers (planted uses keyring.sh's, debug planted.sh's). A missing
# directory must still end in a verdict, not in init exiting.
source_stages() {
	for f in "$GUEST"/*.sh; do
		[ -r "$f" ] || fail "no stage files in $GUEST"
		# shellcheck source=/dev/null # the files under tests/qemu/guest/
		. "$f"
	done
}

# Only a stage some file named runs: kh.stage= picks a function by name.
run_stage() {
	[ -n "$1" ] || fail "unknown kh.stage='$1'"
	case " $KH_STAGES " in
	*" $1 "*) "stage_$1" ;;
	*) fail "unknown kh.stage='$1'" ;;
	esac
}

main() {
	mount_all
	exec </dev/console >/dev/console 2>&1
	STAGE=$(cmdline_arg kh.stage)
	mark_stage init
	printf 'KH-KERNEL %s %s\n' "$STAGE" "$(uname -r)"
	source_stages
	load_modules
	mark_stage modules-loaded
	run_stage "$STAGE"
	finish
}

main
