# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, BOOTDISK and the rest: init.sh's
# Restore's volumes at once (scenarios/parallel.sh): sourced by /init
# (tests/qemu/init.sh).
#
#   parallel  one boot, no kexec: the planted four-volume stash restored
#             with --jobs 4, then with --jobs 1; the same results, the
#             same words, in the stash's order

KH_STAGES="$KH_STAGES parallel"

# The volumes in the order of QEMU's drives: vda is the scenarios' own
# volume, vdb the disk with the stash, then bench0..bench3's.
PAR_BENCH3=/dev/vdf

# par_restore TAG ARGS...: plant the stash, open bench3's volume as
# "other", restore with ARGS (stdout into $P/TAG.out, stderr into
# $P/TAG.err), check what is open and that the region is zero, close all.
par_restore() {
	tag=$1
	shift
	plant "$P/stash" || fail "planting the stash"
	load_keyhandover
	cryptsetup open --key-file "$FIXTURES/passphrase" "$PAR_BENCH3" other ||
		fail "cryptsetup open $PAR_BENCH3 as other"
	keyhandover restore "$@" >"$P/$tag.out" 2>"$P/$tag.err"
	rc=$?
	cat "$P/$tag.out" "$P/$tag.err"
	gcheck "restore $*: exits 1 (bench1's key is wrong)" [ "$rc" = 1 ]
	gcheck "restore $*: bench0 is open" [ -b /dev/mapper/bench0 ]
	gcheck "restore $*: bench2 is open" [ -b /dev/mapper/bench2 ]
	gcheck "restore $*: bench1 is not" [ ! -e /dev/mapper/bench1 ]
	gcheck "restore $*: bench3's volume stays open as other, once" \
		eval '[ -b /dev/mapper/other ] && [ ! -e /dev/mapper/bench3 ]'
	gcheck "restore $*: bench1's failure is said" \
		grep -q "key does not match the LUKS header of /dev/vdd" "$P/$tag.err"
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "restore $*: the region is zero" region_is_zero
	for m in bench0 bench2 other; do
		cryptsetup close "$m" 2>/dev/null
	done
}

# par_line TAG TEXT: the line number of TEXT in TAG's stdout.
par_line() {
	grep -n -F -- "$2" "$P/$1.out" | cut -d: -f1 | head -n 1
}

# bench0, bench2, bench3 in that order in stdout (bench1 is on stderr).
par_in_order() {
	a=$(par_line "$1" /dev/mapper/bench0)
	b=$(par_line "$1" /dev/mapper/bench2)
	c=$(par_line "$1" "already open as /dev/mapper/other")
	[ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" -lt "$b" ] &&
		[ "$b" -lt "$c" ]
}

stage_parallel() {
	P=/tmp/parallel
	mkdir -p "$P"
	tar -x -f "$BOOTDISK" -C "$P" || fail "unpacking $BOOTDISK"
	gcheck "the guest has 2 CPUs: --jobs 4 runs two at a time for real" \
		[ "$(grep -c ^processor /proc/cpuinfo)" = 2 ]
	par_restore jobs4 --jobs 4
	par_restore jobs1 --jobs 1
	gcheck "at once: stdout in the stash's order" par_in_order jobs4
	gcheck "at once and one at a time: the same stdout" \
		cmp -s "$P/jobs4.out" "$P/jobs1.out"
	gcheck "at once and one at a time: the same stderr" \
		cmp -s "$P/jobs4.err" "$P/jobs1.err"
	checks_passed
	result parallel-ok
}
