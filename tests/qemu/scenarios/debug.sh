# shellcheck shell=bash
# debug: the module under KASAN, KFENCE, UBSAN, lockdep and fault injection
# One boot of the debug kernel (the KHO test kernel, built with
# tests/qemu/debug.config) on the memmap= backend: iface_test,
# stress_test.c's race, cycles and faults. Any detector's report ends the
# boot (KASAN's and oopses panic; panic_on_warn covers WARN, UBSAN and
# KFENCE) or fails a check. The log buffer holds the whole boot for the
# guest's own search of it; KFENCE samples every 10 ms instead of 100.
STAGES="debug -"
MARKER=debug-ok
IMAGE=kho
APPEND=" kasan.fault=panic oops=panic log_buf_len=16M kfence.sample_interval=10"
RAM_CHECK="the volume key never enters this boot (test patterns only)"
LANE=1
# Last in its lane: on a cold cache make test is still building its
# kernel when the lane starts.
ORDER=90

# The detectors' reports on the console (the guest also searches dmesg).
no_debug_reports() {
	! strip_cr "$1/console.log" |
		grep -E 'UBSAN:|KASAN:|KFENCE:|possible recursive|circular locking|unreferenced object|inconsistent lock state|ODEBUG:|sleeping function called' >&2
}

scenario_checks() {
	check "debug: no KASAN, KFENCE, UBSAN, lockdep, debugobjects or kmemleak report on the console" \
		no_debug_reports "$1"
}
