# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# The module under the debug kernel (tests/qemu/debug.config): sourced by
# /init (tests/qemu/init.sh). It runs planted.sh's interface test.
#
#   debug    one boot of the debug kernel (KASAN, KFENCE, UBSAN, lockdep,
#            debugobjects, kmemleak, fault injection), memmap= region:
#            iface_test, kh-stress-test's race, cycles and faults; then
#            kmemleak and dmesg must hold no report

KH_STAGES="$KH_STAGES debug"

DEBUGFS=/sys/kernel/debug
# What any detector of the debug kernel, or a WARN, prints.
DEBUG_REPORTS='WARNING:|BUG:|UBSAN:|KASAN:|KFENCE:|possible recursive|circular locking|unreferenced object|inconsistent lock state|ODEBUG:|sleeping function called'

# Only messages up to LEVEL go to the console (the serial port is slow
# under TCG, and injected page allocation failures print a stack trace
# each); dmesg keeps everything, and it is dmesg that is searched.
console_level() {
	echo N >/sys/module/printk/parameters/ignore_loglevel &&
		dmesg -n "$1"
}

kmemleak() {
	echo "$1" >"$DEBUGFS/kmemleak"
}

dmesg_has() {
	dmesg | grep -q -- "$1"
}

# Nothing any detector reported, in all of this boot's kernel log (the
# log buffer is large enough: log_buf_len= on the command line).
no_reports() {
	dmesg | grep -E "$DEBUG_REPORTS" >/tmp/reports
	[ ! -s /tmp/reports ] && return 0
	head -n 40 /tmp/reports
	return 1
}

# kmemleak reports an object once two scans in a row found it
# unreferenced and unchanged, and only objects older than 5 s.
no_leaks() {
	sleep 5
	kmemleak scan && kmemleak scan || return 1
	cat "$DEBUGFS/kmemleak" >/tmp/leaks || return 1
	[ ! -s /tmp/leaks ] && return 0
	head -n 60 /tmp/leaks
	return 1
}

stage_debug() {
	region=$(cmdline_arg memmap)
	mount -t debugfs debugfs "$DEBUGFS" || fail "mounting debugfs"
	gcheck "debug kernel: KASAN initialized" \
		dmesg_has 'KernelAddressSanitizer initialized'
	gcheck "debug kernel: KFENCE initialized" dmesg_has 'kfence: initialized'
	gcheck "debug kernel: lockdep on (/proc/lockdep)" [ -r /proc/lockdep ]
	gcheck "debug kernel: fault injection (failslab, fail_page_alloc, fail_usercopy, fail-nth)" \
		eval '[ -d $DEBUGFS/failslab ] && [ -d $DEBUGFS/fail_page_alloc ] &&
			[ -d $DEBUGFS/fail_usercopy ] && [ -w /proc/self/fail-nth ]'
	# What the kernel leaked before the test is not the module's.
	gcheck "debug kernel: kmemleak takes commands (scan, clear)" \
		eval 'kmemleak scan && kmemleak clear'
	console_level 5 || fail "quieting the console"
	load_keyhandover
	iface_test
	tap_run race /bin/kh-stress-test race 20 "$(ko_path)" "$region"
	gcheck "race: the 1 s arm timeout wiped stashes during the race" \
		dmesg_has 'stash not collected in time: region wiped'
	tap_run cycles /bin/kh-stress-test cycles 1000 "$region"
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "region is zero after the unload" region_is_zero
	console_level 4 || fail "quieting the console"
	tap_run faults /bin/kh-stress-test faults "$(ko_path)" "$region"
	[ ! -e /sys/module/keyhandover ] || rmmod keyhandover
	gcheck "region is zero at the end, the module unloaded" \
		eval '[ ! -e /sys/module/keyhandover ] && region_is_zero'
	gcheck "kmemleak: nothing reported after the unload (two scans)" no_leaks
	gcheck "dmesg: no KASAN, KFENCE, UBSAN, lockdep, debugobjects or kmemleak report, no WARN or BUG" \
		no_reports
	mark_stage checked
	[ "$CHECKS_FAILED" = 0 ] || fail "$CHECKS_FAILED checks failed"
	result debug-ok
}
