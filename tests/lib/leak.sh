# shellcheck shell=bash
# The leak detector of every suite that handles a real key: no piece of
# it, in any form, in any log. kh_leak_patterns and kh_leak_scan are the
# detector; leak_self_test proves it finds what it must before a suite
# trusts its silence. Needs tests/lib/report.sh (check) for the self-test.

# --- the leak detector: no key byte in any log -----------------------------
#
# kh_leak_patterns
# writes, from the key file alone (the key is never on a command line),
# two pattern files:
#   PREFIX.ci  matched case-insensitively: every 16-byte window of the key
#              as contiguous hex, as %*ph's spaced hex ("de ad be ef ...",
#              also print_hex_dump's rows) and as colon-separated hex;
#   PREFIX.cs  matched exactly: every 16-byte window as raw bytes, and
#              every 15-byte window in base64, standard and URL-safe.
# Windows cover the whole key and each 32-byte half (each holds a window)
# in every form. Base64 of a piece of a longer stream depends on where the
# piece starts modulo 3; the encoding of the piece's first whole 3-byte
# group onwards appears in the stream whatever the alignment, and over
# all start offsets the 15-byte windows hold every such group run, so the
# base64 of the whole key or of a half at any of the three alignments
# (key[i:] for i = 0, 1, 2, minus its last partial quantum), wrapped at
# 76 columns or not, holds at least one window's 20 characters.
# The key may hold no NUL or newline byte (the pattern files are
# line-based; both suites' keys are made without them) and must be 16
# bytes or more; else it fails and writes nothing.
kh_leak_patterns() {
	kh_key=$1 kh_pat=$2
	[ -r "$kh_key" ] || return 1
	kh_n=$(wc -c <"$kh_key")
	[ "$kh_n" -ge 16 ] || return 1
	kh_hex=$(od -An -tx1 -v "$kh_key" | tr -d ' \n')
	case " $(od -An -tx1 -v "$kh_key" | tr '\n' ' ') " in
	*" 00 "* | *" 0a "*) return 1 ;;
	esac
	rm -f "$kh_pat.ci" "$kh_pat.cs"
	(
		umask 077
		: >"$kh_pat.ci" && : >"$kh_pat.cs" || exit 1
		# One awk, byte by byte (LC_ALL=C), the file names from the
		# environment (awk -v would read backslashes as escapes).
		# shellcheck disable=SC2016 # an awk program
		printf '%s\n' "$kh_hex" | KH_CI=$kh_pat.ci KH_CS=$kh_pat.cs LC_ALL=C awk '
		BEGIN {
			ci = ENVIRON["KH_CI"]; cs = ENVIRON["KH_CS"]
			a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			for (i = 0; i < 16; i++) hv[substr("0123456789abcdef", i + 1, 1)] = i
		}
		{
			n = length($0) / 2
			for (i = 0; i < n; i++)
				b[i] = hv[substr($0, 2 * i + 1, 1)] * 16 + hv[substr($0, 2 * i + 2, 1)]
			for (i = 0; i + 16 <= n; i++) {
				w = substr($0, 2 * i + 1, 32); s = ""; c = ""
				for (j = 1; j <= 32; j += 2) {
					x = substr(w, j, 2)
					s = s (j > 1 ? " " : "") x
					c = c (j > 1 ? ":" : "") x
				}
				print w > ci; print s > ci; print c > ci
				for (j = 0; j < 16; j++) printf "%c", b[i + j] > cs
				printf "\n" > cs
			}
			# base64 of each 15-byte window: five whole 3-byte groups
			for (i = 0; i + 15 <= n; i++) {
				e = ""
				for (j = i; j < i + 15; j += 3) {
					v = b[j] * 65536 + b[j + 1] * 256 + b[j + 2]
					e = e substr(a, int(v / 262144) + 1, 1) \
						substr(a, int(v / 4096) % 64 + 1, 1) \
						substr(a, int(v / 64) % 64 + 1, 1) substr(a, v % 64 + 1, 1)
				}
				u = e; gsub(/\+/, "-", u); gsub(/\//, "_", u)
				print e > cs; print u > cs
			}
		}' || exit 1
		# No short or empty pattern, which would match any log.
		! LC_ALL=C awk 'length($0) < 16 { bad = 1 } END { exit !bad }' \
			"$kh_pat.ci" "$kh_pat.cs" || exit 1
	) || { rm -f "$kh_pat.ci" "$kh_pat.cs"; return 1; }
	kh_hex=
}

# kh_leak_scan PREFIX FILE...: search the files for the patterns of
# kh_leak_patterns. 0: some key bytes found (the files that hold them are
# named on stderr, never the bytes); 1: none; 2: an error (no pattern
# files, a file that cannot be read). Only 1 means clean.
kh_leak_scan() {
	kh_pat=$1
	shift
	[ -s "$kh_pat.ci" ] && [ -s "$kh_pat.cs" ] && [ $# -gt 0 ] || return 2
	kh_r1=0 kh_r2=0
	LC_ALL=C grep -laiF -f "$kh_pat.ci" -- "$@" >&2 || kh_r1=$?
	LC_ALL=C grep -laF -f "$kh_pat.cs" -- "$@" >&2 || kh_r2=$?
	if [ "$kh_r1" -ge 2 ] || [ "$kh_r2" -ge 2 ]; then
		return 2
	elif [ "$kh_r1" = 0 ] || [ "$kh_r2" = 0 ]; then
		return 0
	fi
	return 1
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
