# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# Timings for `make bench` (tests/bench/run.sh): sourced by /init
# (tests/qemu/init.sh). One boot, stage bench: cryptsetup's unlock
# against the hand-over's, stash/load/restore for 1, 4 and 16 volumes,
# and the cryptreboot pipeline; each timing a "KH-BENCH" line, the
# volume's PBKDF cost "KH-PARAM" lines, on the second serial port.

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
# and the hand-over (a stash planted as a previous kernel leaves it).
bench_unlock() {
	kind=$1 dev=$2 i=0
	while [ $i -lt "$RUNS" ]; do
		bench_time "open-$kind" cryptsetup open --key-file "$FIXTURES/passphrase" "$dev" bench0 ||
			fail "cryptsetup open $dev"
		cryptsetup close bench0
		plant "$B/stash-$kind" || fail "planting stash-$kind"
		load_keyhandover
		bench_time "restore-$kind" keyhandover restore || fail "restore $kind"
		cryptsetup close bench0
		rmmod keyhandover
		i=$((i + 1))
	done
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

# keyhandover stash + load, and restore, for N volumes.
bench_scale() {
	n=$1 si=0
	devs=$(bench_devices "$n")
	while [ $si -lt "$RUNS" ]; do
		load_keyhandover
		# shellcheck disable=SC2086 # one word per device
		bench_time "stash-n$n" keyhandover stash --key-file "$FIXTURES/passphrase" $devs ||
			fail "stash of $n volumes"
		bench_time "load-n$n" keyhandover load --kernel "$B/vmlinuz" \
			--initrd "$B/real-initrd.img" --append "$(cat /proc/cmdline)" ||
			fail "load"
		bench_time "wipe-n$n" keyhandover wipe
		rmmod keyhandover
		plant "$B/stash-n$n" || fail "planting stash-n$n"
		load_keyhandover
		bench_time "restore-n$n" keyhandover restore || fail "restore of $n volumes"
		j=0
		while [ $j -lt "$n" ]; do
			cryptsetup close "bench$j"
			j=$((j + 1))
		done
		rmmod keyhandover
		si=$((si + 1))
	done
}

stage_bench() {
	B=/tmp/bench
	RUNS=$(cmdline_arg kh.runs)
	mkdir -p "$B"
	tar -x -f "$BOOTDISK" -C "$B" || fail "unpacking $BOOTDISK"
	mark_stage unpacked
	# The default-cost volume is formatted here, so that cryptsetup's own
	# benchmark picks its argon2id cost for this 1 GiB guest.
	bench_time format-default cryptsetup luksFormat -q --type luks2 \
		--uuid "$(cat "$B/default.uuid")" --volume-key-file "$B/vk-default" \
		--key-file "$FIXTURES/passphrase" /dev/vdr || fail "luksFormat default"
	cryptsetup luksDump /dev/vdr | awk -F': *' '
		/^\t(PBKDF|Time cost|Memory|Threads):/ {
			sub(/^\t/, "", $1); gsub(/ /, "-", $1)
			print "KH-PARAM " $1 " " $2 }' >"$MARKER"
	mark_stage formatted
	parts=$(cmdline_arg kh.bench)
	parts=${parts:-unlock,scale,pipeline}
	case ,$parts, in *,unlock,*)
		bench_unlock small /dev/vda
		bench_unlock default /dev/vdr
		mark_stage unlocked ;;
	esac
	case ,$parts, in *,scale,*)
		for n in 1 4 16; do
			bench_scale "$n"
		done
		mark_stage scaled ;;
	esac
	pruns=$(cmdline_arg kh.pruns)
	case ,$parts, in *,pipeline,*) ;; *) pruns=0 ;; esac
	i=0
	while [ $i -lt "${pruns:-$RUNS}" ]; do
		bench_time pipeline kh-cryptreboot-pipeline "$B/real-initrd.img" \
			"$B/vmlinuz" "$(cat "$B/default.uuid")" /tmp/pipeline ||
			bench_fail "the cryptreboot pipeline"
		rm -rf /tmp/pipeline
		i=$((i + 1))
	done
	mark_stage pipeline
	for f in "$B"/t.*; do
		while read -r us rss rc; do
			printf 'KH-BENCH %s %s %s %s\n' "${f##*/t.}" "$us" "$rss" "$rc"
		done <"$f"
	done >"$MARKER"
	result bench-ok
}
