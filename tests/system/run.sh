#!/bin/bash
# tests/system/run.sh [--keep] [--list] [--left-out] [--system=NAME] [SCENARIO...]
#
# The real end-to-end test: whole Debian systems, not a test image.
#
# Each system is one file, tests/system/systems/NAME.sh: its Debian suite,
# kernel, extra packages and root crypttab options (bookworm: Debian 12;
# trixie: Debian 13). It is debootstrap'd once (cached, tests/lib/debian.sh
# kh_system_base): systemd, Debian's kernel, initramfs-tools with
# cryptsetup-initramfs, and what DKMS needs. On every run keyhandover is
# installed into a copy of it the way the README tells a user to (make
# dkms-install; make install-tool; /etc/modules; update-initramfs -u), in
# a chroot, its root goes into an ext4 image, and the host encrypts that
# image into a LUKS2 volume (kh-encrypt-image: the host has no
# device-mapper). The system then boots from QEMU's -kernel/-initrd
# taken from its own /boot, with the region's memmap= and
# keyhandover.region= on -append (what `keyhandover setup` puts into
# GRUB's command line; the guest has no GRUB).
#
# Every scenario is one file, tests/system/scenarios/NAME.sh: its second
# line says what it shows (--list), SYSTEM= names the system it boots
# (default bookworm; each system is made once per run, for the first
# scenario that needs it), and its scenario_run drives the system over
# the serial console with the helpers of tests/lib/system.sh (wait_for,
# guest_ok, said, dump_region, ...). This driver names none; the default
# is all of them.
#
# Every log (console, monitor, QMP, QEMU's output, the install's, mke2fs's)
# is searched for the passphrase and the volume key
# (any piece, in any form: see no_secret_in). Output: "ok N - ..." lines,
# then "N passed, N failed".
# Environment: KH_KVER (bookworm's kernel), KH_SYSTEM_TIMEOUT (seconds per wait, default 900: only a failure waits that long).
set -eu -o pipefail

KH_TOP=$(cd "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/suite.sh
. "$KH_TOP/tests/lib/suite.sh"
# shellcheck source=../lib/system.sh
. "$KH_TOP/tests/lib/system.sh"

SCENARIO_DIR=$KH_TOP/tests/system/scenarios
SYSTEM_DIR=$KH_TOP/tests/system/systems
KEEP=0
ONLY_SYSTEM=
SCENARIOS=()
WORK=
RUN_WORK=
SYSTEM=
SYSTEM_OK=0

usage() {
	printf 'usage: %s [--keep] [--list] [--left-out] [--system=NAME] [SCENARIO...]\nscenarios:\n' "${0##*/}" >&2
	list_scenarios >&2
	exit 2
}

# A note for each scenario the default list leaves out, with why.
note_left_out() {
	local a
	for a in $(all_scenarios); do
		[ "$(scenario_setting "$a" DEFAULT)" = no ] || continue
		note "not run by default (name it to run it): $a: $(scenario_setting "$a" WHY_NOT_DEFAULT | tr -d '"')"
	done
}

parse_args() {
	local a
	for a in "$@"; do
		case $a in
		--keep) KEEP=1 ;;
		--list) list_scenarios; exit 0 ;;
		--left-out) note_left_out; exit 0 ;;
		--system=*) ONLY_SYSTEM=${a#--system=}
			[ -f "$SYSTEM_DIR/$ONLY_SYSTEM.sh" ] || usage ;;
		-*) usage ;;
		*) [ -f "$SCENARIO_DIR/$a.sh" ] || usage
			SCENARIOS+=("$a") ;;
		esac
	done
	if [ ${#SCENARIOS[@]} -gt 0 ]; then
		[ -z "$ONLY_SYSTEM" ] || usage
		return 0
	fi
	for a in $(all_scenarios); do
		[ -z "$ONLY_SYSTEM" ] || [ "$(scenario_system "$a")" = "$ONLY_SYSTEM" ] ||
			continue
		[ "$(scenario_setting "$a" DEFAULT)" = no ] || SCENARIOS+=("$a")
	done
	# One system's run (make test's job) leaves that to make test's end.
	[ -n "$ONLY_SYSTEM" ] || note_left_out
	# A system (make test's job) or a default list that runs nothing
	# would pass in silence.
	[ ${#SCENARIOS[@]} -gt 0 ] || kh_die "no scenario to run${ONLY_SYSTEM:+ for system $ONLY_SYSTEM}"
}

# run_scenario NAME: the scenario's file defines scenario_run, which
# starts the system (start_qemu) and drives it; then the checks every
# scenario shares.
run_scenario() {
	SCENARIO=$1
	local t0=$SECONDS
	unset -f scenario_run
	# shellcheck source=/dev/null
	. "$SCENARIO_DIR/$1.sh"
	scenario_run
	qemu_stop "$DIR"
	check "$SCENARIO: passphrase and volume key in no log" \
		no_secret_in "$DIR"/console.log "$DIR"/monitor.log "$DIR"/qmp.log \
		"$DIR"/qemu.out "$DIR"/out.* "$WORK"/install.log "$WORK"/mke2fs.log
	note "timing $SCENARIO: $((SECONDS - t0)) s"
	if [ "$FAILED" != 0 ]; then
		console_text | tail -n 25 | note_lines console
	fi
}

# --- main -----------------------------------------------------------------

cleanup() {
	local rc=$?
	qemu_stop "$DIR"
	WORK=$RUN_WORK
	# An interrupted chroot run leaves its proc mounted inside.
	[ -z "${MERGED:-}" ] || umount "$MERGED/proc" 2>/dev/null || true
	[ -z "${MERGED:-}" ] || umount "$MERGED" 2>/dev/null || true
	keep_or_remove_work "$rc"
}

# load_system NAME: the system's settings (tests/system/systems/NAME.sh)
# and its working directory; made (base, install, image) on first use.
load_system() {
	if [ "$SYSTEM" = "$1" ]; then
		[ "$SYSTEM_OK" = 1 ]
		return
	fi
	SYSTEM=$1 SYSTEM_OK=0
	local f=$SYSTEM_DIR/$1.sh t0=$SECONDS
	[ -f "$f" ] || { not_ok "no system $1 ($f)"; return 1; }
	system_settings "$f"
	WORK=$RUN_WORK/$1
	mkdir -p "$WORK"
	VER=$(system_kernel) ||
		{ not_ok "$DESCRIPTION: cannot tell its kernel"; return 1; }
	# shellcheck disable=SC2086 # one package a word
	BASE=$(kh_system_base "$SUITE" "$VER" $EXTRA_PKGS) ||
		{ not_ok "a $DESCRIPTION system with $VER"; return 1; }
	# shellcheck disable=SC2086 # one package a word
	[ -z "$VARIANT_PKGS" ] || BASE=$(kh_system_variant "$BASE" "$1" $VARIANT_PKGS) ||
		{ not_ok "a $DESCRIPTION system with $VER"; return 1; }
	VOLUMES=1
	[ "$DATA" != yes ] || VOLUMES=2
	if declare -F system_upgrade_kernel >/dev/null && wants_upgrade "$1"; then
		KV_NEW=$(system_upgrade_kernel) &&
			REPO=$(kh_upgrade_repo "$BASE" "$KV_NEW") ||
			{ not_ok "$DESCRIPTION: the upgrade's local repository"; return 1; }
	fi
	note "timing $1 base (cached): $((SECONDS - t0)) s"
	system_secrets || return 1
	t0=$SECONDS
	check "install keyhandover into the $DESCRIPTION system (apt install of make deb's packages; DKMS and $INITRAMFS through their maintainer scripts) and encrypt its volumes" \
		prepare_system
	[ "$LAST_OK" = 1 ] || return 1
	check "$DESCRIPTION: DKMS signed the module; the initramfs ($INITRAMFS) holds it, the tool, keyhandover's copy of /etc/crypttab and the generator's own parts" \
		installed_right
	[ "$PURGE_TEST" != yes ] ||
		check "$DESCRIPTION: apt purge leaves nothing of keyhandover, its DKMS module or setup's drop-in; the initramfs without it" \
			purge_leaves_nothing
	note "timing $1 install: $((SECONDS - t0)) s"
	SYSTEM_OK=1
}

# Does a scenario of system $1 that runs now upgrade its kernel
# (UPGRADE=yes)? Only then is the local repository made and put in.
wants_upgrade() {
	local s
	for s in "${SCENARIOS[@]}"; do
		[ "$(scenario_system "$s")" = "$1" ] &&
			[ "$(scenario_setting "$s" UPGRADE)" = yes ] && return 0
	done
	return 1
}

scenario_system() {
	local v
	v=$(scenario_setting "$1" SYSTEM)
	printf '%s\n' "${v:-bookworm}"
}

main() {
	parse_args "$@"
	kh_need_pkgs qemu-system-x86 cryptsetup-bin e2fsprogs \
		debootstrap gcc libc6-dev libssl-dev xz-utils binutils
	RUN_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-system.XXXXXX")
	WORK=$RUN_WORK
	trap cleanup EXIT
	# Killed (run-all.sh stops it when it is stopped): clean up all the same.
	trap 'exit 143' TERM INT
	local s sys systems=()
	# Each system once, in the order its first scenario comes.
	for s in "${SCENARIOS[@]}"; do
		sys=$(scenario_system "$s")
		case " ${systems[*]} " in *" $sys "*) ;;
		*) systems+=("$sys") ;;
		esac
	done
	for sys in "${systems[@]}"; do
		for s in "${SCENARIOS[@]}"; do
			[ "$(scenario_system "$s")" = "$sys" ] || continue
			if load_system "$sys"; then
				run_scenario "$s"
			else
				not_ok "$s: its system $sys could not be made"
			fi
		done
	done
	finish
}

main "$@"
