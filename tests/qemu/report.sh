# shellcheck shell=bash
# The QEMU suites' result lines: "ok N - ..." / "not ok N - ...", counted
# in PASSED, FAILED and CHECK and summed up by finish as "N passed, N
# failed". Source it before anything is checked.

PASSED=0
FAILED=0
CHECK=0
# shellcheck disable=SC2034 # read by the sourcing scripts after check
LAST_OK=0

ok() {
	CHECK=$((CHECK + 1)) PASSED=$((PASSED + 1))
	printf 'ok %d - %s\n' "$CHECK" "$*"
}

not_ok() {
	CHECK=$((CHECK + 1)) FAILED=$((FAILED + 1))
	printf 'not ok %d - %s\n' "$CHECK" "$*"
}

# check DESCRIPTION COMMAND...: one numbered result line for a command.
# Never fails itself (set -e); LAST_OK tells a caller that must stop.
check() {
	local what=$1
	shift
	LAST_OK=0
	if "$@"; then
		# shellcheck disable=SC2034 # read by the sourcing scripts
		LAST_OK=1
		ok "$what"
	else
		not_ok "$what"
	fi
}

note() {
	printf '# %s\n' "$*"
}

# note_lines WHAT: standard input as "# WHAT: line" notes. awk ends every
# line, a log's unfinished last one too, so that whatever is printed next
# (a result or the summary line the runner reads) starts a line.
note_lines() {
	awk -v p="# $1: " '{ print p $0 }'
}


# keep_or_remove_work RC [WHAT]: the scratch directory $WORK stays, for its
# logs, with --keep (KEEP=1) or after any failure; else it goes.
keep_or_remove_work() {
	[ -n "$WORK" ] || return 0
	if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ] || [ "$1" != 0 ]; then
		note "logs kept in $WORK${2:-}"
	else
		rm -rf "$WORK"
	fi
}

# The summary line the test runner reads, and the exit status.
finish() {
	printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
	[ "$FAILED" = 0 ] || exit 1
	exit 0
}

# --- the leak detector's self-test ----------------------------------------
#
# leak_self_test KEY PREFIX DIR: the detector (lib.sh kh_leak_patterns,
# kh_leak_scan) must find every form of a key planted into a scratch log,
# one result line per form, and stay silent on a clean log. Each form is
# planted for two keys: KEY with the suite's own pattern files PREFIX, and
# a key made here whose bytes are all 0xf8 or more, so that its base64
# holds '+' and '/' at every alignment (and the URL-safe forms differ).
# A detector that finds nothing fails here, so its silence on the real
# logs means something.

# The bytes of part $2 (whole, half1, half2) of key file $1.
leak_part() {
	local n
	n=$(wc -c <"$1")
	case $2 in
	whole) cat "$1" ;;
	half1) head -c $((n / 2)) "$1" ;;
	half2) tail -c +$((n / 2 + 1)) "$1" ;;
	esac
}

leak_hex() {
	od -An -tx1 -v | tr -d ' \n'
}

# leak_form KEY FORM: the key in that form, as something might log it.
leak_form() {
	local key=$1 form=$2 p
	case $form in
	hex-*-lower) leak_part "$key" "$(cut -d- -f2 <<<"$form")" | leak_hex ;;
	hex-*-upper) leak_part "$key" "$(cut -d- -f2 <<<"$form")" | leak_hex | tr a-f A-F ;;
	raw-*) leak_part "$key" "${form#raw-}" ;;
	# printk's %*ph: 16 bytes from the middle, across the halves' border
	spaced-window) tail -c +25 "$key" | head -c 16 | od -An -tx1 -v | tr -s ' \n' '  ' ;;
	# print_hex_dump's rows (16 bytes a row, offsets in front)
	spaced-rows) od -Ax -tx1 -v "$key" ;;
	colons-*-lower | colons-*-upper)
		p=$(cut -d- -f2 <<<"$form")
		leak_part "$key" "$p" | od -An -tx1 -v | tr -d '\n' | sed 's/^ //; s/ /:/g' |
			if [ "${form##*-}" = upper ]; then tr a-f A-F; else cat; fi ;;
	# b64-PART-OFFSET-ALPHABET: PART after OFFSET other bytes, encoded with
	# what follows it; 76-column lines for b64-wrapped
	b64-wrapped) { head -c 1 /dev/urandom; cat "$key"; } | base64 ;;
	b64-*)
		IFS=- read -r _ p off alpha <<<"$form"
		{ head -c "$off" /dev/urandom; leak_part "$key" "$p"; head -c 2 /dev/urandom; } |
			base64 -w0 | if [ "$alpha" = url ]; then tr '+/' '-_'; else cat; fi ;;
	esac
}

LEAK_FORMS=
for p in whole half1 half2; do
	LEAK_FORMS+=" hex-$p-lower hex-$p-upper raw-$p"
done
LEAK_FORMS+=" spaced-window spaced-rows colons-whole-lower colons-half2-upper colons-half1-lower"
for p in whole half1 half2; do
	for off in 0 1 2; do
		LEAK_FORMS+=" b64-$p-$off-std b64-$p-$off-url"
	done
done
LEAK_FORMS+=" b64-wrapped"
unset p off

# A log line around the planted form, as in a console log.
leak_plant() {
	{
		printf '[    1.234567] some driver: probing\n[    1.234568] keyhandover: '
		leak_form "$1" "$2"
		printf ' (end)\n[    1.234569] next line\n'
	} >"$3"
}

# What a clean log may hold: the key's pieces under the detector's
# window (15 bytes in hex, spaced, raw; 12 bytes in base64), and another
# key in every form.
leak_clean_log() {
	local key=$1 dir=$2 f
	head -c 64 /dev/urandom >"$dir/other.key"
	{
		printf 'clean log\n'
		head -c 15 "$key" | leak_hex; echo
		tail -c 15 "$key" | od -An -tx1 -v; echo
		head -c 15 "$key"; echo
		tail -c +20 "$key" | head -c 12 | base64 -w0; echo
		for f in $LEAK_FORMS; do
			leak_form "$dir/other.key" "$f"
			echo
		done
	} >"$dir/clean.log"
}

# The detector on scratch logs: 0 found, 1 clean, 2 error.
leak_scan_rc() {
	local rc=0
	kh_leak_scan "$@" 2>/dev/null || rc=$?
	return "$rc"
}

leak_found() {
	leak_scan_rc "$1" "$2" || return 1
}

leak_self_test() {
	local key=$1 pat=$2 dir=$3 form s k kf kp p rc set
	rm -rf "$dir"
	mkdir -p "$dir"
	# 0xf8 + (byte mod 8): every sextet that starts a byte is 62 or 63.
	s=
	for _ in {1..32}; do s+='\370-\377'; done
	head -c 64 /dev/urandom | tr '\000-\377' "$s" >"$dir/crafted.key"
	if ! kh_leak_patterns "$dir/crafted.key" "$dir/crafted"; then
		not_ok "leak self-test: patterns for a test key"
		return 0
	fi
	# Each form in a log of its own, per key; one scan of all of them,
	# which names the logs where it found something.
	for k in suite crafted; do
		if [ "$k" = suite ]; then
			kf=$key kp=$pat
		else
			kf=$dir/crafted.key kp=$dir/crafted
		fi
		mkdir -p "$dir/$k"
		for form in $LEAK_FORMS; do
			leak_plant "$kf" "$form" "$dir/$k/$form.log"
		done
		kh_leak_scan "$kp" "$dir/$k"/*.log 2>>"$dir/found" || true
	done
	for form in $LEAK_FORMS; do
		set=ok
		for k in suite crafted; do
			grep -qxF -- "$dir/$k/$form.log" "$dir/found" || set=missed
		done
		check "leak detector finds the key planted in a log as $form" [ "$set" = ok ]
	done
	leak_clean_log "$key" "$dir"
	rc=0
	leak_scan_rc "$pat" "$dir/clean.log" || rc=$?
	check "leak detector is silent on a clean log (key pieces under 16 bytes, another key in every form)" \
		[ "$rc" = 1 ]
	rc=0
	leak_scan_rc "$pat" "$dir/clean.log" "$dir/no-such.log" || rc=$?
	check "leak detector: a log it cannot read is an error, not clean" [ "$rc" = 2 ]
	p=$dir/nl.key
	{ head -c 20 /dev/urandom; echo; head -c 20 /dev/urandom; } >"$p"
	check "leak detector refuses a key with a newline byte (it could not search it raw)" \
		eval '! kh_leak_patterns "$p" "$dir/nl"'
	[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
}
