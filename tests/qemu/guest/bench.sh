# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# Timings for `make bench` (tests/bench/run.sh): sourced by /init
# (tests/qemu/init.sh). One boot, stage bench, each part named in
# kh.bench=: cryptsetup's unlock against the hand-over's, and restore
# against its floor (unlock); stash/load/restore for 1, 4 and 16
# volumes, restore serial and parallel, load against kexec (scale);
# keyring-mode stash against passphrase stash (keyring); the module's own
# arm, read and wipe under the function_graph tracer (module); the
# cryptreboot pipeline (pipeline). Each timing a "KH-BENCH" line, each
# fact a "KH-PARAM" line, on the second serial port. At the end a stash
# is left armed: the power-off's reboot notifier wipes it and says on the
# console how long that took (dyndbg=+p).

KH_STAGES="$KH_STAGES bench"

# bench_time NAME CMD...: time CMD into $B/t.NAME; its output discarded.
bench_time() {
	bt_name=$1
	shift
	kh-timeit "$B/t.$bt_name" "$@" >>"$B/log.$bt_name" 2>&1
}

# A benchmark step failed: show why, then fail the boot.
bench_fail() {
	tail -n 40 "$B/log.$bt_name" 2>/dev/null
	fail "$*"
}

# Unlock one volume N times each way: its passphrase (cryptsetup open),
# its volume key from a file (cryptsetup open --volume-key-file: the
# floor, the digest check and the activation and nothing else), and the
# hand-over (a stash planted as a previous kernel leaves it). Each run
# the three in a turning order, so that none always has the cold cache.
bench_unlock() {
	kind=$1 dev=$2 i=0
	while [ $i -lt "$RUNS" ]; do
		for way in $(bench_order $i open floor restore); do
			"bench_unlock_$way" "$kind" "$dev"
		done
		i=$((i + 1))
	done
}

# bench_order N WORD...: the words rotated by N.
bench_order() {
	bo_n=$(($1 % ($# - 1)))
	shift
	while [ "$bo_n" -gt 0 ]; do
		bo_first=$1
		shift
		set -- "$@" "$bo_first"
		bo_n=$((bo_n - 1))
	done
	echo "$@"
}

bench_unlock_open() {
	bench_time "open-$1" cryptsetup open --key-file "$FIXTURES/passphrase" "$2" bench0 ||
		bench_fail "cryptsetup open $2"
	cryptsetup close bench0
}

# The floor, and its first half alone: the digest check, no activation
# (--test-passphrase), for where the floor's time goes.
bench_unlock_floor() {
	bench_time "floor-$1" cryptsetup open --volume-key-file "$B/vk-$1" "$2" bench0 ||
		bench_fail "cryptsetup open --volume-key-file $2"
	cryptsetup close bench0
	bench_time "digest-$1" cryptsetup open --test-passphrase \
		--volume-key-file "$B/vk-$1" "$2" ||
		bench_fail "cryptsetup open --test-passphrase --volume-key-file $2"
}

bench_unlock_restore() {
	plant "$B/stash-$1" || fail "planting stash-$1"
	load_keyhandover
	bench_time "restore-$1" keyhandover restore || bench_fail "restore $1"
	cryptsetup close bench0
	rmmod keyhandover
}

# The first N bench volumes: vda, then vdc onwards (vdb is the data disk).
bench_devices() {
	echo /dev/vda
	for d in c d e f g h i j k l m n o p q; do
		[ "$1" -gt 1 ] || return 0
		echo "/dev/vd$d"
		set -- $(($1 - 1))
	done
}

# How many bench volumes are open.
bench_open() {
	bo=0
	for m in /dev/mapper/bench*; do
		[ ! -b "$m" ] || bo=$((bo + 1))
	done
	echo "$bo"
}

bench_close() {
	j=0
	while [ $j -lt "$1" ]; do
		cryptsetup close "bench$j"
		j=$((j + 1))
	done
}

# The machine's own parallelism, the floor for restore's: the first N
# volumes opened with cryptsetup open --volume-key-file one after another,
# and in as many streams as there are CPUs (volume i in stream i % CPUS).
bench_floor_streams() {
	n=$1 streams=$2
	s=0 pids=
	while [ $s -lt "$streams" ]; do
		(
			i=$s
			while [ $i -lt "$n" ]; do
				cryptsetup open --volume-key-file "$B/vk-bench$i" \
					"$(bench_devices $((i + 1)) | tail -n 1)" "bench$i" || exit 1
				i=$((i + streams))
			done
		) &
		pids="$pids $!"
		s=$((s + 1))
	done
	rc=0
	for pid in $pids; do
		wait "$pid" || rc=1
	done
	return $rc
}

# The 16 volumes made again here, with their UUIDs and keys, at the
# digest cost cryptsetup's own benchmark picks in this guest (the host
# made them at the least, 1000 iterations, which a forced keyslot cost
# brings) and a PBKDF2 keyslot of 50 ms: the digest check each restore
# worker takes over is then a real volume's.
bench_reformat() {
	n=0
	for dev in $(bench_devices 16); do
		cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --iter-time 50 \
			--uuid "$(cat "$B/uuid-bench$n")" --volume-key-file "$B/vk-bench$n" \
			--key-file "$FIXTURES/passphrase" "$dev" || fail "luksFormat $dev"
		n=$((n + 1))
	done
	cryptsetup luksDump /dev/vda | awk '/^Digests:/ { d = 1 }
		d && /Iterations:/ { print "KH-PARAM scale-digest-iterations " $2; exit }' >"$MARKER"
}

# keyhandover stash + load, and restore one at a time (--jobs 1) and in
# parallel (as many at once as there are CPUs: the default), for N
# volumes. Restore must open every volume either way.
bench_scale() {
	n=$1 si=0
	devs=$(bench_devices "$n")
	while [ $si -lt "$RUNS" ]; do
		load_keyhandover
		# shellcheck disable=SC2086 # one word per device
		bench_time "stash-n$n" keyhandover stash --key-file "$FIXTURES/passphrase" $devs ||
			bench_fail "stash of $n volumes"
		bench_time "load-n$n" keyhandover load --kernel "$B/vmlinuz" \
			--initrd "$B/real-initrd.img" --append "$(cat /proc/cmdline)" ||
			bench_fail "load"
		bench_time "wipe-n$n" keyhandover wipe
		rmmod keyhandover
		for streams in $(bench_order "$si" 1 "$CPUS"); do
			bench_time "floor-s$streams-n$n" sh -c \
				". /lib/kh-guest/bench.sh; B=$B; bench_floor_streams $n $streams" ||
				bench_fail "cryptsetup open of $n volumes in $streams stream(s)"
			[ "$(bench_open)" = "$n" ] || fail "the floor opened not all $n volumes"
			bench_close "$n"
		done
		for jobs in $(bench_order "$si" 1 cpus); do
			set --
			[ "$jobs" = cpus ] || set -- --jobs "$jobs"
			plant "$B/stash-n$n" || fail "planting stash-n$n"
			load_keyhandover
			bench_time "restore-j$jobs-n$n" keyhandover restore "$@" ||
				bench_fail "restore of $n volumes, jobs: $jobs"
			[ "$(bench_open)" = "$n" ] ||
				fail "restore (jobs: $jobs) opened not all $n volumes"
			bench_close "$n"
			rmmod keyhandover
		done
		si=$((si + 1))
	done
}

# keyhandover load against its floor, kexec -s -l of the same kernel,
# initramfs and command line (the one load would pass, from its dry
# run), in a turning order.
bench_load() {
	i=0
	load_keyhandover
	while [ $i -lt "$RUNS" ]; do
		keyhandover stash --key-file "$FIXTURES/passphrase" /dev/vda >/dev/null ||
			fail "stash for load"
		set -- --kernel "$B/vmlinuz" --initrd "$B/real-initrd.img" \
			--append "$(cat /proc/cmdline)"
		cmdline=$(keyhandover load --dry-run "$@" | sed -n 's/^command line: //p')
		[ -n "$cmdline" ] || fail "load --dry-run printed no command line"
		for way in $(bench_order $i load kexec); do
			case $way in
			load) bench_time load keyhandover load "$@" ;;
			kexec) bench_time kexec-load kexec -s -l "$B/vmlinuz" \
				--initrd "$B/real-initrd.img" --append "$cmdline" ;;
			esac || bench_fail "$way"
			kexec -u
		done
		keyhandover wipe >/dev/null
		i=$((i + 1))
	done
	rmmod keyhandover
}

# Keyring-mode stash (the module takes the volume key from a logon key:
# no derivation at all) against the passphrase stash, on both volumes.
bench_keyring() {
	i=0
	load_keyhandover
	while [ $i -lt "$RUNS" ]; do
		for kind in small default; do
			dev=/dev/vda
			[ "$kind" = small ] || dev=/dev/vdr
			kh-logon-key "bench:$kind" "$B/vk-$kind" >/dev/null ||
				fail "kh-logon-key bench:$kind"
			for way in $(bench_order $i keyring passphrase); do
				case $way in
				keyring) bench_time "stash-keyring-$kind" keyhandover stash \
					--keyring "bench:$kind" "$dev" ;;
				passphrase) bench_time "stash-passphrase-$kind" keyhandover stash \
					--key-file "$FIXTURES/passphrase" "$dev" ;;
				esac || bench_fail "stash ($way, $kind)"
				keyhandover wipe >/dev/null
			done
		done
		i=$((i + 1))
	done
	rmmod keyhandover
}

# The module's own cost of ARM, READ and WIPE, timed by the kernel's
# function_graph tracer around kh_stash_arm, kh_stash_read and
# kh_stash_wipe (each called from the ioctl, not inlined: another file).
# The tracer is on only while the module is loaded and the filter names
# its functions (an empty filter would trace the whole kernel).
TRACE=/sys/kernel/tracing

bench_trace_on() {
	echo 'kh_stash_arm kh_stash_read kh_stash_wipe' >"$TRACE/set_ftrace_filter" ||
		fail "ftrace filter"
	echo function_graph >"$TRACE/current_tracer" || fail "function_graph tracer"
	echo 1 >"$TRACE/tracing_on"
}

# The calls' durations as "KH-MODULE NAME MICROSECONDS" lines into $B/module.
bench_trace_off() {
	echo 0 >"$TRACE/tracing_on"
	awk '/kh_stash_(arm|read|wipe)/ {
		for (i = 1; i < NF; i++)
			if ($(i + 1) == "us" || $(i + 1) == "ms") {
				v = $i * ($(i + 1) == "ms" ? 1000 : 1)
				match($0, /kh_stash_[a-z]+/)
				print "KH-MODULE", substr($0, RSTART + 9, RLENGTH - 9), v
				break
			}
	}' "$TRACE/trace" >>"$B/module"
	echo nop >"$TRACE/current_tracer"
	: >"$TRACE/set_ftrace_filter"
	: >"$TRACE/trace"
}

bench_module() {
	mount -t tracefs nodev "$TRACE" 2>/dev/null
	[ -w "$TRACE/current_tracer" ] || fail "no tracefs at $TRACE"
	i=0
	while [ $i -lt "$RUNS" ]; do
		plant "$B/stash-n1" || fail "planting stash-n1"
		load_keyhandover
		bench_trace_on
		keyhandover restore >/dev/null || fail "restore (module)"
		cryptsetup close bench0
		keyhandover stash --key-file "$FIXTURES/passphrase" /dev/vda >/dev/null ||
			fail "stash (module)"
		keyhandover wipe >/dev/null
		bench_trace_off
		rmmod keyhandover
		i=$((i + 1))
	done
	for op in arm read wipe; do
		[ "$(grep -c " $op " "$B/module")" = "$RUNS" ] ||
			fail "the tracer saw not $RUNS calls of kh_stash_$op"
	done
}

# Left armed for the power-off: its reboot notifier wipes the region
# and, with dyndbg=+p and the console at debug level, says in how long.
bench_notifier() {
	load_keyhandover dyndbg=+p
	keyhandover stash --key-file "$FIXTURES/passphrase" /dev/vda >/dev/null ||
		fail "stash for the notifier"
	echo 8 >/proc/sys/kernel/printk
}

bench_pipeline() {
	i=0
	while [ $i -lt "$1" ]; do
		bench_time pipeline kh-cryptreboot-pipeline "$B/real-initrd.img" \
			"$B/vmlinuz" "$(cat "$B/default.uuid")" /tmp/pipeline ||
			bench_fail "the cryptreboot pipeline"
		rm -rf /tmp/pipeline
		i=$((i + 1))
	done
}

bench_has() {
	case ,$parts, in *,$1,*) return 0 ;; esac
	return 1
}

stage_bench() {
	B=/tmp/bench
	RUNS=$(cmdline_arg kh.runs)
	mkdir -p "$B"
	tar -x -f "$BOOTDISK" -C "$B" || fail "unpacking $BOOTDISK"
	mark_stage unpacked
	# The default-cost volume is formatted here, so that cryptsetup's own
	# benchmark picks its argon2id cost for this guest.
	bench_time format-default cryptsetup luksFormat -q --type luks2 \
		--uuid "$(cat "$B/default.uuid")" --volume-key-file "$B/vk-default" \
		--key-file "$FIXTURES/passphrase" /dev/vdr || fail "luksFormat default"
	cryptsetup luksDump /dev/vdr | awk -F': *' '
		/^\t(PBKDF|Time cost|Memory|Threads):/ {
			sub(/^\t/, "", $1); gsub(/ /, "-", $1)
			print "KH-PARAM " $1 " " $2 }' >"$MARKER"
	echo "KH-PARAM cpus $(grep -c ^processor /proc/cpuinfo)" >"$MARKER"
	mark_stage formatted
	CPUS=$(grep -c ^processor /proc/cpuinfo)
	parts=$(cmdline_arg kh.bench)
	if bench_has unlock; then
		bench_unlock small /dev/vda
		bench_unlock default /dev/vdr
		mark_stage unlocked
	fi
	# Before scale, which makes the volumes again at another cost.
	! bench_has keyring || bench_keyring
	! bench_has module || bench_module
	if bench_has scale; then
		bench_reformat
		for n in 1 4 16; do
			bench_scale "$n"
		done
		bench_load
		mark_stage scaled
	fi
	! bench_has pipeline || bench_pipeline "$(cmdline_arg kh.pruns)"
	mark_stage measured
	for f in "$B"/t.*; do
		while read -r us rss rc; do
			printf 'KH-BENCH %s %s %s %s\n' "${f##*/t.}" "$us" "$rss" "$rc"
		done <"$f"
	done >"$MARKER"
	[ ! -f "$B/module" ] || cat "$B/module" >"$MARKER"
	bench_notifier
	result bench-ok
}
