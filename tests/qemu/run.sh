#!/bin/bash
# Most functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
# run.sh [--demo] [--keep] [--lane N] [--list] [SCENARIO...]: end-to-end
# tests of keyhandover in QEMU: real Debian kernels, the real module, real
# cryptsetup volumes, real kexec, busybox guests (tests/qemu/init.sh).
#
# Every scenario is one file, tests/qemu/scenarios/NAME.sh: what it boots,
# its stages, what the host types, its own checks (the format is below,
# at load_scenario). This driver knows none by name: --list prints them
# with their first comment line; the default is every scenario whose
# file does not say DEFAULT=no; --lane N takes those that say LANE=N
# (tests/run-all.sh runs the two lanes side by side, one per core).
#
#   host (this script)                  guest: QEMU, TCG, 1 vCPU
#   fixtures: passphrase, volume key -> luks.img    (first disk)
#   images.sh: kernel, initramfs     -> -kernel/-initrd, kh.stage=FIRST
#                                       boot disk   (second disk, tar:
#                                       the next kernel for kexec)
#   types the passphrase at PROMPT   <- console.log (first serial port)
#   reads the verdict, the checks    <- marker.log  (second serial port:
#                                       KH-CHECK, KH-RESULT, KH-HOLD)
#   dumps the region and all RAM     <- monitor (pmemsave), while the
#                                       guest holds after its verdict
#
# A scenario passes only on its marker on the second serial port;
# panic_on_warn=1, panic=-1, -no-reboot and a hard timeout make every
# crash or hang a failure. Then no piece of the volume key may appear in
# any log in any form (tests/lib/leak.sh), and, dumped from outside the
# guest at the end, neither the reserved region nor (with the volume
# closed) any of the guest's RAM may hold it. Output: "ok N - ..." /
# "not ok N - ..." lines, then "N passed, N failed"; the exit status is
# non-zero on failure. Timings go to "# timing" lines.
#
# --demo narrates a real run for a human. --keep keeps the working
# directory (logs are kept anyway when a check fails). Environment:
# KH_KVER, KH_TIMEOUT (seconds per scenario, default 300), KH_NO_BUILD=1
# (use what is built), KH_RAMDUMP=0 (skip the RAM dumps).
set -eu -o pipefail

KH_TOP=$(cd "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/suite.sh
. "$KH_TOP/tests/lib/suite.sh"
# shellcheck source=images.sh
. "$KH_QEMU_DIR/images.sh"

SCENARIO_DIR=$KH_QEMU_DIR/scenarios
# shellcheck disable=SC2016 # a literal $: memmap= syntax, also region=
KH_REGION='4K$0x7000000'
REGION_ADDR=${KH_REGION#*\$}
REGION_SIZE=4096
TIMEOUT=${KH_TIMEOUT:-300}
HOLD=30 # seconds the guest waits after its verdict for the memory dump
RAMDUMP=${KH_RAMDUMP:-1} # dump all guest RAM at the end (a few seconds)
DEMO=0
KEEP=0
LANE=
SCENARIOS=()
WORK=
TAIL_PID=
WATCHER_PID=

# Narration for --demo only; a normal run stays terse.
tell() {
	[ "$DEMO" = 1 ] || return 0
	printf '\n==> %s\n' "$*"
}

now() {
	printf '%s\n' "$EPOCHREALTIME"
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# --- the scenarios, from their directory -----------------------------------

usage() {
	printf 'usage: %s [--demo] [--keep] [--lane N] [--list] [SCENARIO...]\nscenarios:\n' \
		"${0##*/}" >&2
	list_scenarios >&2
	exit 2
}

parse_args() {
	local a s o
	while [ $# -gt 0 ]; do
		case $1 in
		--demo) DEMO=1 ;;
		--keep) KEEP=1 ;;
		--lane) LANE=${2:-}; [ -n "$LANE" ] || usage; shift ;;
		--list) list_scenarios; exit 0 ;;
		-*) usage ;;
		*) [ -f "$SCENARIO_DIR/$1.sh" ] || usage
			SCENARIOS+=("$1") ;;
		esac
		shift
	done
	[ ${#SCENARIOS[@]} = 0 ] || return 0
	local picked=()
	for s in $(all_scenarios); do
		[ -z "$LANE" ] || [ "$(scenario_setting "$s" LANE)" = "$LANE" ] ||
			continue
		if [ "$(scenario_setting "$s" DEFAULT)" = no ]; then
			note "not run by default (name it to run it): $s: $(scenario_setting "$s" WHY_NOT_DEFAULT | tr -d '"')"
			continue
		fi
		o=$(scenario_setting "$s" ORDER)
		picked+=("${o:-50} $s")
	done
	[ ${#picked[@]} = 0 ] ||
		mapfile -t SCENARIOS < <(printf '%s\n' "${picked[@]}" |
			sort -n -s -k1,1 | cut -d' ' -f2)
	# A lane or a default list that names nothing would pass in silence.
	[ ${#SCENARIOS[@]} -gt 0 ] || kh_die "no scenario${LANE:+ in lane $LANE}"
}

# load_scenario NAME: a scenario's file, over these defaults. Its second
# line is "# NAME: what it shows" (--list); then comments saying how; then
# settings and hooks, all optional but STAGES and (for RUN=boots) MARKER:
#
#   STAGES="FIRST NEXT[,NEXT...]"  boot 1's stage (kh.stage=) and the
#           kexec'd boots' (chosen by the guest: tests/qemu/init.sh; some
#           from APPEND's kh.next=), as the console must show them; "-"
#           for no second boot
#   MARKER  the verdict the last boot must send: KH-RESULT MARKER
#   RUN     boots (default: the stages above, then the checks below) or
#           lifecycle (boot once, arm, then end the boot with THEN: the
#           stash must be gone from the region and from all RAM)
#   IMAGE   what boot 1 starts from and kexecs into (images.sh image_*)
#   BACKEND memmap (default: memmap=$KH_REGION) or kho (Kexec HandOver,
#           kho=on; the region's address is the one the module logs)
#   APPEND  more kernel command line
#   PROMPT  a prompt at which the host types the passphrase, once, as a
#           person at the serial console would
#   NEVER_PROMPT  a prompt that must not come: the run stops at once
#   VOLUME_UUID   the LUKS volume's UUID (else a random one)
#   REGION_CHECKS no: the region is not checked (no module in the boot)
#   RAM_CHECK     why all RAM is not searched at the end (else it is);
#           "own": dumped, and searched by the scenario's scenario_checks
#   THEN, THEN_ENDS, WIPED_LINE   lifecycle: what ends the boot
#           (kh.then=), how it ends (paused: QEMU stops at the reset or
#           power-off; held: the guest lives on), the module's own line
#   MEM_MB  the guest's RAM (512: every byte is dumped and searched; the
#           KHO test kernel's images set 1024)
#   QEMU_SMP  its vCPUs (1)
#   DEFAULT no: only when named; LANE the lane of tests/run-all.sh;
#           ORDER its place in the default list (default 50, lower first)
#   scenario_prepare DIR  before the boot: QEMU_ARGS+=(...), APPEND+=...
#   scenario_checks DIR   after the common checks: the scenario's own
load_scenario() {
	STAGES= MARKER= RUN=boots IMAGE=initrd BACKEND=memmap APPEND=
	PROMPT= NEVER_PROMPT= VOLUME_UUID= REGION_CHECKS=yes RAM_CHECK=
	THEN= THEN_ENDS=paused WIPED_LINE='keyhandover: region wiped'
	MEM_MB=512 QEMU_SMP=1
	QEMU_ARGS=()
	unset -f scenario_prepare scenario_checks
	# shellcheck source=/dev/null
	. "$SCENARIO_DIR/$1.sh"
	[ -n "$STAGES" ] && { [ "$RUN" != boots ] || [ -n "$MARKER" ]; } ||
		kh_die "scenarios/$1.sh sets no STAGES or no MARKER"
}

# --- setup ---------------------------------------------------------------

# The project's own build, as a user runs it.
build_project() {
	make -s -C "$KH_TOP" module tool KERNELRELEASE="$VER" >&2
}

# Test secrets, new for every run and never on a command line: the
# passphrase and the known content go into the initramfs as fixtures, the
# volume key only into the LUKS header. The key holds no NUL or newline
# byte so that a line-based grep finds its raw bytes anywhere in a log.
make_fixtures() {
	mkdir -p "$WORK/fixtures"
	head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n' \
		>"$WORK/fixtures/passphrase"
	printf 'keyhandover e2e content %s\n' \
		"$(head -c 8 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
		>"$WORK/fixtures/content"
	while :; do
		head -c 64 /dev/urandom >"$WORK/vk.bin"
		od -An -tx1 -v "$WORK/vk.bin" | grep -wE '00|0a' >/dev/null || break
	done
	{ head -c 32 "$WORK/vk.bin"; echo; tail -c 32 "$WORK/vk.bin"; echo; } \
		>"$WORK/vk.halves"
	# The leak detector's patterns: every form of the key.
	kh_leak_patterns "$WORK/vk.bin" "$WORK/leak" ||
		kh_die "cannot make the leak detector's patterns"
}

# A fresh LUKS2 volume with the known volume key. Cheap argon2 settings:
# the guest runs them under TCG.
make_volume() {
	local uuid=()
	rm -f "$1"
	truncate -s 32M "$1"
	[ -z "$VOLUME_UUID" ] || uuid=(--uuid "$VOLUME_UUID")
	cryptsetup luksFormat --batch-mode --type luks2 \
		--cipher aes-xts-plain64 --key-size 512 \
		--pbkdf argon2id --pbkdf-memory 16384 \
		--pbkdf-force-iterations 4 --pbkdf-parallel 1 \
		--volume-key-file "$WORK/vk.bin" "${uuid[@]}" \
		--key-file "$WORK/fixtures/passphrase" "$1"
}

# Test programs built on the host: the guest's interface and stress tests
# and its wiping keyctl padd (static, so they need no library in the
# initramfs), the region images maker and the stash maker.
build_test_tools() {
	install -m 0755 "$KH_QEMU_DIR/rootfs-init.sh" "$WORK/fixtures/kh-rootfs-init" &&
		gcc -static -O2 -Wall -Wextra -I"$KH_TOP/kmod" \
		-o "$WORK/fixtures/kh-iface-test" "$KH_QEMU_DIR/iface_test.c" &&
		gcc -static -O2 -Wall -Wextra -pthread -I"$KH_TOP/kmod" \
		-o "$WORK/fixtures/kh-stress-test" "$KH_QEMU_DIR/stress_test.c" &&
		gcc -static -O2 -Wall -Wextra \
		-o "$WORK/fixtures/kh-logon-key" "$KH_QEMU_DIR/logon_key.c" &&
		gcc -static -O2 -Wall -Wextra \
		-o "$WORK/fixtures/kh-keep-key" "$KH_QEMU_DIR/keep_key.c" &&
		gcc -O2 -Wall -Wextra -I"$KH_TOP/kmod" -o "$WORK/mkplant" \
			"$KH_QEMU_DIR/mkplant.c" "$KH_TOP/kmod/format.c" \
			"$KH_TOP/userspace/format_user.c" -lcrypto &&
		gcc -O2 -Wall -Wextra -I"$KH_TOP/kmod" -o "$WORK/mkstash" \
			"$KH_TOP/tests/bench/mkstash.c" "$KH_TOP/kmod/format.c" \
			"$KH_TOP/userspace/format_user.c" -lcrypto
}

build_base_image() {
	build_test_tools && image_initrd
}

# --- running the guest ---------------------------------------------------

# The region's physical address: the memmap= one, or with the KHO backend
# the page the module's last "preserved by Kexec HandOver" line names;
# nothing when there is none, so that no dump of some other page can pass
# for the region.
region_addr() {
	if [ "$BACKEND" = kho ]; then
		strip_cr "$1/console.log" |
			sed -n 's/.*keyhandover: region \(0x[0-9a-f]*\)+0x1000 preserved by Kexec HandOver$/\1/p' |
			tail -n 1
		return 0
	fi
	printf '%s\n' "$REGION_ADDR"
}

# start_guest DIR STAGE: boot 1 of the scenario loaded, in the background.
# (Where the kexec goes the guest decides from its stage and APPEND's
# kh.next=; STAGES names the boots the console must show.)
start_guest() {
	local dir=$1 stage=$2
	local append="console=ttyS0 ignore_loglevel panic=-1 panic_on_warn=1"
	if [ "$BACKEND" = kho ]; then
		# No reservation at all: the module asks Kexec HandOver. The
		# kexec'd kernel allocates only from the scratch areas until
		# memblock hands over to the buddy allocator, and KASAN's shadow
		# (1/8 of RAM, 128 MiB here) comes before that (arch/x86/kernel/
		# setup.c: kho_populate(), then kasan_init()): hence 256M global.
		append+=" kho=on kho_scratch=16M,256M,16M"
	else
		append+=" memmap=$KH_REGION"
	fi
	append+=" kh.stage=$stage kh.hold=$HOLD$APPEND"
	# The console: a file, or for a scenario whose passphrase is typed, a
	# pipe pair (the host types into .in; .out is copied to the log).
	local console=file:$dir/console.log
	if [ -n "$PROMPT" ]; then
		append+=" kh.tty=1"
		qemu_fifo "$dir" tty0 "$dir/console.log"
		console=pipe:$dir/tty0
	fi
	qemu_start "$dir" "$TIMEOUT" -no-reboot \
		-kernel "$KERNEL" -initrd "$INITRD" -append "$append" \
		-drive "file=$dir/luks.img,if=virtio,format=raw" \
		-drive "file=$BOOTDISK,if=virtio,format=raw,readonly=on" \
		-serial "$console" -serial "file:$dir/marker.log" "${QEMU_ARGS[@]}"
}

# In a typed scenario, answer the passphrase prompt once, as a person at
# the serial console would (the tool has echo off).
type_passphrase() {
	local dir=$1
	[ -n "$PROMPT" ] && [ ! -e "$dir/typed" ] || return 0
	grep -aqF -- "$PROMPT" "$dir/console.log" 2>/dev/null || return 0
	touch "$dir/typed"
	qemu_type_file "$dir" "$WORK/fixtures/passphrase" || true
}

# A prompt that must never come (nobody would be there to type): the run
# stops at once instead of waiting for the timeout.
unexpected_prompt() {
	[ -n "$NEVER_PROMPT" ] &&
		strip_cr "$1/console.log" 2>/dev/null | grep -F -- "$NEVER_PROMPT" >/dev/null
}

# The guest's "KH-DUMP TAG" requests (guest/planted.sh request_dump):
# stop the guest, save the region as region-TAG.bin (a TAG that starts
# with ram-: all its RAM as TAG.bin), and only once the
# monitor has answered (after the pmemsave) and says paused, look whether
# the guest's "KH-DUMP-END TAG" is out yet: dumps.log gets "TAG in-time"
# if not, "TAG late" if so (the guest went on meanwhile).
serve_dumps() {
	local dir=$1 tag markers
	grep -aq '^KH-DUMP ' "$dir/marker.log" 2>/dev/null || return 0
	markers=$(strip_cr "$dir/marker.log")
	for tag in $(sed -n 's/^KH-DUMP \([-a-z0-9]*\)$/\1/p' <<<"$markers"); do
		! grep -q "^$tag " "$dir/dumps.log" 2>/dev/null || continue
		qemu_monitor "$dir" stop || true
		case $tag in
		ram-*) qemu_dump "$dir" 0 $((MEM_MB << 20)) "$dir/$tag.bin" 600 ;;
		*) qemu_monitor "$dir" "pmemsave $(region_addr "$dir") $REGION_SIZE \"$dir/region-$tag.bin\"" ;;
		esac || true
		case $(qemu_status "$dir") in
		paused*)
			markers=$(strip_cr "$dir/marker.log")
			case $markers in
			*"KH-DUMP-END $tag"*) echo "$tag late" ;;
			*) echo "$tag in-time" ;;
			esac ;;
		*) echo "$tag not-paused" ;;
		esac >>"$dir/dumps.log"
		qemu_monitor "$dir" cont || true
	done
}

# Wait for the verdict; while the guest holds, dump the region and (unless
# the scenario searches no RAM) all RAM, and quit. Sets QEMU_RC.
wait_guest() {
	local dir=$1 addr
	while qemu_running && ! grep -q KH-HOLD "$dir/marker.log" 2>/dev/null; do
		if unexpected_prompt "$dir"; then
			note "${dir##*/}: '$NEVER_PROMPT' came: stopping"
			break
		fi
		type_passphrase "$dir"
		serve_dumps "$dir"
		sleep 0.2
	done
	if qemu_running; then
		# The monitor runs commands in order: once "quit" is done, so
		# are the dumps.
		addr=$(region_addr "$dir")
		[ -z "$addr" ] ||
			qemu_monitor "$dir" "pmemsave $addr $REGION_SIZE \"$dir/region.bin\"" || true
		[ "$RAMDUMP" = 0 ] || { [ -n "$RAM_CHECK" ] && [ "$RAM_CHECK" != own ]; } ||
			qemu_monitor "$dir" "pmemsave 0 $((MEM_MB << 20)) \"$dir/ram.bin\"" || true
		qemu_monitor "$dir" quit || true
	fi
	qemu_wait
}

# The console watcher follows console.log live: it stamps every KH-STAGE
# line with the host clock (so the time outside the guests' uptime, such
# as firmware and the kexec jump, can be told) and, with --demo, tells
# what each step means.
narrate_stage() {
	local stage=$1 step=$2 up=$3
	case $stage/$step in
	*/init) tell "boot '$stage': the kernel is up, /init started at ${up} s uptime" ;;
	*/module-loaded) tell "keyhandover.ko loaded; it owns the region $KH_REGION that memmap= keeps out of the kernel's RAM" ;;
	*/volume-written) tell "the server is running with its volume open (opened with the passphrase at its last cold boot); a known line was written to it" ;;
	arm/stashed) tell "keyhandover stash: the passphrase was typed once at its prompt on the serial console (echo off, so it shows nowhere); the tool derived the volume key through the LUKS header and the module now holds it in the reserved region" ;;
	rearm/stashed) tell "keyhandover stash (passphrase on stdin)" ;;
	*/loaded) tell "next kernel loaded with kexec_file_load; kexec -e: no firmware, no boot loader, RAM kept" ;;
	restore/restored) tell "a NEW kernel: keyhandover restore opened the volume with the handed-over key; nobody typed a passphrase" ;;
	negative/restored) tell "nothing was stashed: restore exits 3 (nothing handed over; quiet, as on every normal boot) and opens nothing" ;;
	*/checked) tell "checks done at ${up} s uptime of this boot; the verdict goes to the second serial port" ;;
	esac
}

watch_console() {
	local line
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		KH-STAGE\ *)
			printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$1/stamps"
			# shellcheck disable=SC2086 # stage, step, uptime
			narrate_stage ${line#KH-STAGE } ;;
		\[* | *$'\e'* | SeaBIOS* | Booting* | Probing*) ;; # firmware, kernel
		?*) [ "$DEMO" = 0 ] || printf '    | %s\n' "$line" ;;
		esac
	done
}

start_watcher() {
	mkfifo "$1/console.fifo"
	# grep drops the kernel's lines first: bash reads a pipe a byte at a
	# time and would stamp late during the kernel's bursts.
	tail -n +1 -F "$1/console.log" 2>/dev/null \
		> >(grep --line-buffered -av '^\[' >"$1/console.fifo") &
	TAIL_PID=$!
	watch_console "$1" <"$1/console.fifo" &
	WATCHER_PID=$!
}

# Stop tail; the watcher ends at the end of its input.
stop_watcher() {
	sleep 0.3 # tail's last lines
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	[ -z "$TAIL_PID" ] || wait "$TAIL_PID" 2>/dev/null || true
	[ -z "$WATCHER_PID" ] || wait "$WATCHER_PID" 2>/dev/null || true
	TAIL_PID=
	WATCHER_PID=
}

# --- checks every scenario shares --------------------------------------------

has_marker() {
	strip_cr "$1/marker.log" | grep -x "KH-RESULT $2" >/dev/null
}

# console_has DIR TEXT: a line of the console holds TEXT.
console_has() {
	strip_cr "$1/console.log" | grep -F -- "$2" >/dev/null
}

# Why there is no positive marker, in a few lines: the guest's verdict,
# QEMU's own complaint, the end of the console.
explain_failure() {
	local f
	for f in marker.log qemu.out; do
		[ ! -s "$1/$f" ] || strip_cr "$1/$f" | tail -n 5 | note_lines "$f"
	done
	[ ! -f "$1/console.log" ] ||
		strip_cr "$1/console.log" | tail -n 15 | note_lines console
}

# The guest's own checks ("KH-CHECK ok|not-ok WHAT" on the second port),
# each counted as one of ours.
guest_checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"KH-CHECK ok "*) ok "$2: ${line#KH-CHECK ok }" ;;
		"KH-CHECK not-ok "*) not_ok "$2: ${line#KH-CHECK not-ok }" ;;
		esac
	done < <(strip_cr "$1/marker.log")
}

# guest_json DIR TAG EXPR [ARGS...]: the guest's --json output TAG
# ("KH-JSON TAG RC JSON" on the second port, guest/tool.sh's json_mark),
# read by python3's json module: the Python expression EXPR must hold of
# it, d the document, rc its exit code, a the further arguments. busybox
# has no JSON parser; the host has a real one. Scenarios planted and
# cryptreboot use it in their scenario_checks.
guest_json() {
	local line
	# grep reads to the end: with -m1 it could exit while tr still
	# writes, and pipefail would take tr's SIGPIPE for "not found".
	line=$(strip_cr "$1/marker.log" | grep -- "^KH-JSON $2 ") ||
		{ note "no KH-JSON $2 from the guest"; return 1; }
	line=${line%%$'\n'*}
	python3 -c '
import json, re, sys
_, _, rc, text = sys.argv[1].split(" ", 3)
rc, d, a = int(rc), json.loads(text), sys.argv[3:]
ok = d["schema"] == 1 and d["exit"] == rc and d["ok"] == (rc == 0)
sys.exit(0 if ok and eval(sys.argv[2]) else 1)' "$line" "$3" "${@:4}" ||
		{ note "KH-JSON $2: ${line:0:300}"; return 1; }
}

# The boots must be exactly FIRST then the NEXT ones: an unexpected extra
# boot (a reset, a kexec loop) is a failure too.
boot_sequence() {
	local seen
	seen=$(strip_cr "$1/console.log" | awk '$1 == "KH-STAGE" && $3 == "init" { printf "%s ", $2 }')
	if [ "$3" = - ]; then
		[ "$seen" = "$2 " ]
	else
		[ "$seen" = "$2 ${3//,/ } " ]
	fi
}

no_kernel_trouble() {
	! strip_cr "$1/console.log" |
		grep -E 'Kernel panic|BUG:|WARNING:|Oops|Call Trace|general protection' >&2
}

# None of the files holds any piece of the key in any form the detector
# knows (tests/lib/leak.sh). The first file must have content and every
# file must be there and readable: "no such file" must not read as "not
# found".
no_key_in() {
	local rc=0
	[ -s "$1" ] || { note "nothing to search in $1"; return 1; }
	kh_leak_scan "$WORK/leak" "$@" || rc=$?
	[ "$rc" = 1 ]
}

# The RAM check must find a planted half, or its silence means nothing.
self_test_ram_check() {
	local t=$WORK/ram-probe
	mkdir -p "$t" && tail -c 32 "$WORK/vk.bin" >"$t/ram.bin" &&
		! ram_clean "$t" && rm -rf "$t"
}

no_passphrase_in_logs() {
	! LC_ALL=C grep -qaF -f "$WORK/fixtures/passphrase" -- "$@"
}

region_clean() {
	[ -f "$1/region.bin" ] || return 1
	no_key_in "$1/region.bin"
}

region_zero() {
	all_zero "$1/region.bin" &&
		[ "$(stat -c %s "$1/region.bin")" = "$REGION_SIZE" ]
}

# A dump of all guest RAM taken at the end, with the volume closed:
# neither 32-byte half of the XTS key may be anywhere (each half also
# starts the expanded AES key schedule, so a forgotten tfm shows too).
# With the volume still open the halves are found: that is the check's
# positive control. grep -z: RAM split at NUL bytes, not newlines; a
# guest's RAM is mostly zero pages, which as newline "lines" of hundreds
# of MiB took grep 6 to 10 s a dump (0.4 s so). make_fixtures draws a key
# with no 00 (and no 0a) byte, so no piece of it can straddle a split.
ram_clean() {
	[ -f "$1/ram.bin" ] || return 1
	! LC_ALL=C grep -zaqF -f "$WORK/vk.halves" -- "$1/ram.bin"
}

# The full volume key (raw) somewhere in a RAM dump.
ram_has_key() {
	[ -f "$1" ] && LC_ALL=C grep -zaqF -f "$WORK/vk.bin" -- "$1"
}

# Timings from the host-stamped "KH-STAGE stage step uptime" lines: per
# boot the steps by the guest's uptime, and by the host clock what lies
# between (QEMU start to the first kernel, kexec -e to the second kernel,
# the verdict to QEMU's exit). A kernel started at stamp - uptime.
report_timings() {
	[ -f "$1/stamps" ] || return 0
	awk -v t0="$2" -v t1="$3" '
	function flush() { if (line) print line; line = "" }
	{
		stage = $3; step = $4; up = $5; start = $1 - up
		if (stage != boot) {
			flush()
			if (!boot) printf "# timing QEMU start -> kernel 1: %.1fs (firmware, loading the kernel)\n", start - t0
			else printf "# timing kexec -e -> kernel 2: %.1fs (purgatory, decompression)\n", start - last
			boot = stage; prev = 0
			line = sprintf("# timing boot %s (uptime):", stage)
		}
		line = line sprintf(" %s +%.2fs", step, up - prev); prev = up; last = $1
	}
	END {
		flush()
		if (last) printf "# timing last step -> QEMU exit: %.1fs (region dump, quit)\n", t1 - last
		printf "# timing total wall: %.1fs\n", t1 - t0
	}' "$1/stamps"
}

# The logs of a guest, for the leak checks.
guest_logs() {
	printf '%s\n' "$1/console.log" "$1/marker.log" "$1/qemu.out"
}

secret_checks() {
	local name=$1 dir=$2 logs
	mapfile -t logs < <(guest_logs "$dir")
	check "$name: volume key in no log (hex, spaced, colons, raw, base64; whole, halves, 16-byte pieces)" \
		no_key_in "${logs[@]}"
	check "$name: passphrase in no log" no_passphrase_in_logs "${logs[@]}"
}

# --- the runners ----------------------------------------------------------

# prepare_guest NAME: the scenario's directory, volume, image; prints the
# directory. Fails (with its result line) when something is missing.
prepare_guest() {
	local name=$1 dir=$WORK/$1
	mkdir -p "$dir"
	make_volume "$dir/luks.img" ||
		{ not_ok "$name: LUKS2 volume made on the host"; return 1; }
	"image_$IMAGE" || { not_ok "$name: image $IMAGE built"; return 1; }
	! declare -F scenario_prepare >/dev/null || scenario_prepare "$dir" ||
		{ not_ok "$name: prepared on the host"; return 1; }
}

# The stages in their boots, joined by kexec; the verdict; every check.
run_boots() {
	local name=$1 dir=$WORK/$1 first next t0 t1
	read -r first next <<<"$STAGES"
	prepare_guest "$name" || return 0
	tell "scenario $name: boot 1 runs '$first', kexec, then '${next:--}'"
	t0=$(now)
	start_guest "$dir" "$first"
	start_watcher "$dir"
	wait_guest "$dir"
	t1=$(now)
	stop_watcher
	case $QEMU_RC in
	124 | 137) note "$name: QEMU hit the ${TIMEOUT}s timeout" ;;
	esac

	check "$name: marker KH-RESULT $MARKER on the second serial port" \
		has_marker "$dir" "$MARKER"
	[ "$LAST_OK" = 1 ] || explain_failure "$dir"
	guest_checks "$dir" "$name"
	check "$name: boots were exactly $first then ${next:--}" \
		boot_sequence "$dir" "$first" "${next:--}"
	check "$name: no kernel warning, BUG or panic" no_kernel_trouble "$dir"
	! declare -F scenario_checks >/dev/null || scenario_checks "$dir"
	secret_checks "$name" "$dir"
	if [ "$REGION_CHECKS" = yes ]; then
		check "$name: region dumped from outside holds no key bytes" \
			region_clean "$dir"
		check "$name: region is all zero at the end" region_zero "$dir"
	fi
	if [ "$RAM_CHECK" = own ]; then
		: # scenario_checks searched it
	elif [ -n "$RAM_CHECK" ]; then
		note "$name: no RAM check: $RAM_CHECK"
	elif [ "$RAMDUMP" = 1 ]; then
		check "$name: guest RAM at the end holds no key bytes (volume closed)" \
			ram_clean "$dir"
	fi
	[ "$KEEP" = 1 ] || rm -f "$dir/ram.bin" # 1 GiB
	report_timings "$dir" "$t0" "$t1"
	[ "$DEMO" = 0 ] || demo_summary "$dir" "$name"
}

wait_marker() {
	local dir=$1 what=$2
	for _ in $(seq 600); do
		grep -aq "^$what" "$dir/marker.log" 2>/dev/null && return 0
		qemu_running || return 1
		sleep 0.2
	done
	return 1
}

wait_paused() {
	for _ in $(seq 30); do
		case $(qemu_status "$1") in "paused (shutdown)") return 0 ;; esac
		qemu_running || return 1
		sleep 0.3
	done
	return 1
}

# After a wipe or timeout the guest lives on and holds: stop it there.
wait_held() {
	wait_marker "$1" KH-HOLD && qemu_monitor "$1" stop
}

# Boot once, arm, let the host dump RAM (the key must be there: the
# positive control), then end the boot with THEN; QEMU pauses instead of
# resetting or powering off, and the host dumps the region and RAM again.
run_lifecycle() {
	local name=$1 dir=$WORK/$1 t0 t1
	prepare_guest "$name" || return 0
	tell "scenario $name: arm, then $THEN instead of kexec; the key must be gone from RAM"
	QEMU_ARGS+=(-action shutdown=pause)
	APPEND+=" kh.then=$THEN"
	t0=$(now)
	start_guest "$dir" "${STAGES%% *}"
	start_watcher "$dir"
	if wait_marker "$dir" KH-ARMED; then
		qemu_monitor "$dir" stop
		qemu_dump "$dir" 0 $((MEM_MB << 20)) "$dir/armed.bin" || true
		qemu_monitor "$dir" cont
	fi
	check "$name: guest armed and went on to $THEN" wait_marker "$dir" KH-GOING
	[ "$LAST_OK" = 1 ] || explain_failure "$dir"
	if [ "$THEN_ENDS" = held ]; then
		check "$name: guest holds after the $THEN" wait_held "$dir"
	else
		check "$name: QEMU paused at the guest's $THEN" wait_paused "$dir"
	fi
	qemu_dump "$dir" "$(region_addr "$dir")" "$REGION_SIZE" "$dir/region.bin" || true
	qemu_dump "$dir" 0 $((MEM_MB << 20)) "$dir/ram.bin" || true
	qemu_stop "$dir"
	t1=$(now)
	stop_watcher

	check "$name: positive control: the armed key is found in guest RAM" \
		ram_has_key "$dir/armed.bin"
	check "$name: the module logged the wipe" console_has "$dir" "$WIPED_LINE"
	check "$name: region is all zero after $THEN" region_zero "$dir"
	check "$name: guest RAM after $THEN holds no key bytes" ram_clean "$dir"
	local logs
	mapfile -t logs < <(guest_logs "$dir")
	check "$name: volume key in no log (hex, spaced, colons, raw, base64; whole, halves, 16-byte pieces)" \
		no_key_in "${logs[@]}"
	[ "$KEEP" = 1 ] || rm -f "$dir/ram.bin" "$dir/armed.bin"
	note "timing $name: $(elapsed "$t0" "$t1")s wall"
}

demo_summary() {
	local read_back
	read_back=$(strip_cr "$1/console.log" | sed -n 's/^kh-init: read back from [^:]*: //p')
	[ -z "$read_back" ] ||
		tell "$2: boot 2 read from the volume: '$read_back'; it was written in boot 1"
	region_zero "$1" &&
		tell "$2: the reserved region, read from outside the guest at the end: all zero"
	tell "$2: the times above: '# timing' lines (uptime of each boot, host clock between)"
}

cleanup() {
	local rc=$?
	[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	keep_or_remove_work "$rc" " (console.log, marker.log per scenario)"
}

main() {
	parse_args "$@"
	kh_need_pkgs qemu-system-x86 cryptsetup-bin busybox-static kexec-tools \
		cpio kmod make keyutils ovmf
	VER=$(kh_kernel_version)
	tell "kernel $VER (Debian's image, the same for both boots)"
	if [ "${KH_NO_BUILD:-0}" = 1 ]; then
		note "KH_NO_BUILD=1: not building"
	else
		check "build (make module tool KERNELRELEASE=$VER)" build_project
		[ "$LAST_OK" = 1 ] || finish
	fi
	if ! ROOT=$(kh_fetch_kernel "$VER") || ! VMLINUZ=$(kh_vmlinuz "$ROOT" "$VER"); then
		not_ok "Debian kernel $VER fetched"
		finish
	fi
	# Boot 1 of every scenario starts from Debian's kernel unpacked (a
	# PVH start, seconds less under TCG); the kexec'd boots load the
	# bzImage itself, as on a real machine.
	VMLINUX=$(qemu_pvh_kernel "$VMLINUZ" "${ROOT%/root}/vmlinux.pvh")
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-qemu.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	make_fixtures
	leak_self_test "$WORK/vk.bin" "$WORK/leak" "$WORK/leak-probe"
	check "RAM check finds a planted half of the key" self_test_ram_check
	tell "a LUKS2 volume (32 MiB) with a known volume key, an initramfs, and a boot disk holding kernel and initramfs for kexec"
	local t0 s
	t0=$(now)
	check "initramfs and boot disk built" build_base_image
	[ "$LAST_OK" = 1 ] || finish
	note "initramfs $(du -k "$WORK/initrd.img" | cut -f1) KiB, built in $(elapsed "$t0" "$(now)")s"
	for s in "${SCENARIOS[@]}"; do
		load_scenario "$s"
		"run_$RUN" "$s"
	done
	finish
}

main "$@"
