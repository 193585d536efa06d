# shellcheck shell=bash
# QEMU plumbing of both QEMU suites (the busybox scenarios,
# tests/qemu/run.sh, and the whole Debian systems, tests/system/run.sh).
# One guest per directory DIR, which holds all that belongs to it:
#
#   host                                 guest (QEMU, TCG, one vCPU)
#   DIR/mon.in  --- HMP monitor ---->    pmemsave, stop, cont, quit
#   DIR/monitor.log <-- its answers
#   DIR/tty0.in --- first serial ---->   console (what a person types)
#   DIR/console.log <-- what it prints
#   DIR/qmp.in  --- QMP (on request) >   set-action, system_reset
#   DIR/qemu.out <-- QEMU's own stderr
#
# The guest's RAM is read only from outside, through the monitor: that
# is how a test sees the region and every byte of RAM as an attacker
# with the machine's memory would.

QEMU_PID=
QEMU_CATS=()

strip_cr() {
	tr -d '\r' <"$1"
}

# qemu_fifo DIR NAME LOG: the pipe pair NAME.in/NAME.out QEMU opens for a
# "pipe:" chardev, NAME.out copied into LOG as it comes.
qemu_fifo() {
	rm -f "$1/$2.in" "$1/$2.out"
	mkfifo "$1/$2.in" "$1/$2.out"
	cat "$1/$2.out" >"$3" &
	QEMU_CATS+=($!)
}

# qemu_start DIR SECONDS ARGS...: the guest in the background, under a
# hard timeout, with the common machine (TCG, $QEMU_SMP vCPUs: one
# unless set, $MEM_MB, no network, no display) and its monitor; ARGS say the rest (kernel,
# disks, serial ports). For a console to type at, call qemu_fifo DIR
# tty0 DIR/console.log first and pass -serial pipe:DIR/tty0.
#
# TCG's translation cache is KH_TCG_TB_MB MiB (48 unless set; QEMU's
# default is 1 GiB). A translated block stays until the cache fills, and
# every write to a page that holds one is slow: QEMU must find and drop
# the blocks it invalidates. A kexec'd kernel writes all over RAM where
# the old kernel and its programs ran, so with the default cache, which
# never fills in a test, it spent seconds on nothing else (QEMU's
# `info jit`: the block count flat and about 15,000 invalidations a
# second in boot 2 of `negative`). A cache that fills a few times per
# boot drops the stale blocks in one cheap flush; 16 MiB and less slow
# the first boot (it translates the same code again and again), so 48.
# The measurements: docs/benchmarks.md and docs/testing.md.
KH_TCG_TB_MB=${KH_TCG_TB_MB:-48}

qemu_start() {
	local dir=$1 secs=$2
	shift 2
	qemu_fifo "$dir" mon "$dir/monitor.log"
	timeout -k 5 "$secs" qemu-system-x86_64 -accel "tcg,tb-size=$KH_TCG_TB_MB" -cpu max \
		-m "$MEM_MB" -smp "${QEMU_SMP:-1}" -nographic -nic none \
		-monitor "pipe:$dir/mon" "$@" </dev/null >"$dir/qemu.out" 2>&1 &
	QEMU_PID=$!
}

qemu_running() {
	[ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null
}

# qemu_monitor DIR COMMAND: one HMP command; bounded, as the FIFO blocks
# once QEMU is gone.
qemu_monitor() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$1/mon.in"
}

# qemu_answer DIR COMMAND [TENTHS]: send COMMAND and wait until the
# monitor has answered (at most TENTHS tenths of a second, 50 unless
# given). The monitor runs commands in order, so every command sent
# before it is done too.
qemu_answer() {
	local before
	before=$(stat -c %s "$1/monitor.log")
	qemu_monitor "$1" "$2" || return 1
	for _ in $(seq "${3:-50}"); do
		[ "$(stat -c %s "$1/monitor.log")" -gt "$before" ] && sleep 0.2 && return 0
		sleep 0.1
	done
	return 1
}

# qemu_status DIR: the VM's status ("running", "paused (shutdown)", ...).
qemu_status() {
	qemu_answer "$1" "info status" || return 1
	strip_cr "$1/monitor.log" | sed -n 's/^VM status: //p' | tail -n 1
}

qemu_qmp() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$1/qmp.in"
}

# qemu_dump DIR ADDR SIZE FILE [TENTHS]: SIZE bytes of guest-physical
# memory from ADDR, complete when this returns (waiting at most TENTHS
# tenths of a second for it: a GiB takes seconds on a loaded machine).
qemu_dump() {
	rm -f "$4"
	qemu_monitor "$1" "pmemsave $2 $3 \"$4\"" &&
		qemu_answer "$1" "info version" "${5:-50}" &&
		[ "$(stat -c %s "$4" 2>/dev/null)" = "$3" ]
}

# qemu_keys DIR BYTES: BYTES to the serial console as a terminal sends
# them (a menu's arrow keys, Enter as CR).
qemu_keys() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 5 sh -c 'printf "%s" "$1" >"$2"' sh "$2" "$1/tty0.in"
}

# qemu_type DIR TEXT: a line typed at the console, ending in Enter, as a
# person would type it (never faster than the prompt itself).
qemu_type() {
	qemu_keys "$1" "$2"$'\r'
}

# qemu_type_file DIR FILE [DELAY]: the same with a secret from a file
# (never on a command line), after the half second (DELAY) a program
# takes to turn the echo off behind its prompt.
qemu_type_file() {
	sleep "${3:-0.5}"
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 5 sh -c 'printf "%s\r" "$(cat "$1")" >"$2"' sh "$2" "$1/tty0.in"
}

# wait_for TEXT [SECONDS [ABORT-TEXT]]: wait until TEXT appears on
# $DIR's console after the last match (POS, its offset); move past it.
# Returns 2 at once when ABORT-TEXT appears first, 1 when QEMU ends or
# SECONDS (default WAIT) pass. It looks every WAIT_POLL seconds (0.5).
wait_for() {
	local text=$1 end=$((SECONDS + ${2:-$WAIT})) abort=${3:-} hit gone=
	while :; do
		hit=$(strip_cr "$DIR/console.log" | tail -c +$((POS + 1)) |
			grep -aboF -m 1 -- "$text" | head -n 1 | cut -d: -f1) || true
		if [ -n "$hit" ]; then
			POS=$((POS + hit + ${#text}))
			return 0
		fi
		if [ -n "$abort" ] && strip_cr "$DIR/console.log" | tail -c +$((POS + 1)) |
			grep -aF -- "$abort" >/dev/null; then
			return 2
		fi
		if ! qemu_running; then
			# One more look: its last output may have come after ours.
			[ -z "$gone" ] || return 1
			gone=1
			continue
		fi
		[ "$SECONDS" -lt "$end" ] || { note "waited ${2:-$WAIT} s for '$text'"; return 1; }
		sleep "${WAIT_POLL:-0.5}"
	done
}

# qemu_wait: wait for QEMU to end; QEMU_RC is its exit status (124 or
# 137: the timeout).
qemu_wait() {
	QEMU_RC=0
	[ -z "$QEMU_PID" ] || wait "$QEMU_PID" || QEMU_RC=$?
	QEMU_PID=
	qemu_reap
}

# qemu_stop DIR: quit QEMU if it runs, then reap it and its readers.
qemu_stop() {
	if qemu_running; then
		qemu_monitor "$1" quit || true
		sleep 1
		kill "$QEMU_PID" 2>/dev/null || true
	fi
	[ -z "$QEMU_PID" ] || wait "$QEMU_PID" 2>/dev/null || true
	QEMU_PID=
	qemu_reap
}

# The readers end with QEMU's side of their pipes, once they have copied
# the last bytes; a reader whose QEMU never opened its pipe (a QMP
# nobody asked for) waits for ever and is killed.
qemu_reap() {
	local p
	[ ${#QEMU_CATS[@]} = 0 ] || sleep 0.3
	for p in "${QEMU_CATS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	QEMU_CATS=()
}

all_zero() {
	[ -f "$1" ] && [ -z "$(tr -d '\0' <"$1" | head -c 1)" ]
}

# qemu_pvh_kernel BZIMAGE OUT: print a kernel for QEMU's -kernel that
# boots as fast as this one can under TCG. Debian's bzImage holds its
# kernel xz-compressed, and decompressing it in the guest takes seconds
# of every boot's start under TCG; the ELF inside, when it has a PVH
# entry point (CONFIG_PVH: the Xen note PHYS32_ENTRY, type 18), QEMU
# starts directly, already unpacked. OUT is made once (the ELF, unpacked
# here); BZIMAGE itself is printed when it holds no such kernel. The
# kexec'd boots still load the bzImage: kexec_file_load takes nothing
# else, and that is the path under test.
qemu_pvh_kernel() {
	local bz=$1 out=$2 off
	if [ ! -s "$out" ]; then
		off=$(LC_ALL=C grep -abo -m 1 $'\xfd7zXZ\x00' "$bz" | head -n 1 | cut -d: -f1)
		if [ -n "$off" ]; then
			# xz stops at the stream's end and complains of what
			# follows it (the bzImage's trailer): the ELF check says
			# whether what came out is whole.
			# (Both lanes may unpack it at once: each into a file of
			# its own, renamed into place whole.)
			tail -c +$((off + 1)) "$bz" | xz -dcq >"$out.$$" 2>/dev/null || true
			if readelf -n "$out.$$" 2>/dev/null | grep -qE 'Xen.*(\(0x00000012\)|PHYS32)'; then
				mv "$out.$$" "$out"
			fi
		fi
		rm -f "$out.$$"
	fi
	if [ -s "$out" ]; then
		printf '%s\n' "$out"
	else
		printf '%s\n' "$bz"
	fi
}
