# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# The threat model's cases that need no kexec (docs/security.md numbers
# them): sourced by /init (tests/qemu/init.sh). The debug boot runs the
# interface test from here too.
#
#   planted  one boot, no kexec: the region, interface and restore cases,
#            the tool's (tool.sh), module parameters, suspend and
#            hibernation (pm_test=freezer), and last, lockdown. Region
#            images from /dev/vdb (a tar) are written into the reserved
#            range through /dev/mem before the module loads, playing a
#            previous kernel that left them there; each result is a
#            "KH-CHECK ok|not-ok ..." line on the second port.
#   efi      under OVMF: RAM the kernel reserved for EFI is refused

KH_STAGES="$KH_STAGES planted efi"

# The planted boot's cases in the order it runs them, planted_NAME for
# each NAME: adding a case is a function and its name here (or, for one
# more region image, a line in planted_images). Each leaves the module
# unloaded and nothing armed, except where the order says otherwise:
# setup works on the fake root load_dry_run makes (tool.sh), sleep comes
# before lockdown (which forbids hibernation), and lockdown last (it only
# ever goes up).
PLANTED_CASES='
	bad_regions interface read_efault images
	stale_nonce key_size wrong_key unknown_uuid already_open open_as_other
	same_description quota to_keyring_open
	load_dry_run reboot_dry_run setup
	sigkill lifecycle arm_other
	bad_params no_nonce stale_at_load
	sleep lockdown
'

stage_planted() {
	mkdir -p /tmp/plant
	tar -x -f "$BOOTDISK" -C /tmp/plant || fail "unpacking $BOOTDISK"
	for c in $PLANTED_CASES; do
		"planted_$c"
	done
	mark_stage checked
	checks_passed
	result planted-ok
}

# --- helpers ---------------------------------------------------------------

# The module refuses to load with these parameters, and makes no device.
insmod_refused() {
	! insmod "$(ko_path)" "$@" 2>/dev/null && [ ! -e /dev/keyhandover ]
}

# A page-aligned "Reserved" range above 1 MiB that memmap= did not make:
# firmware's own (QEMU's BIOS area, say).
firmware_reserved() {
	ours=$(cmdline_arg memmap)
	ours=$((${ours#*\$}))
	sed -n 's/^\([0-9a-f]*\)-[0-9a-f]* : Reserved$/\1/p' /proc/iomem |
		while read -r a; do
			a=$((0x$a))
			if [ "$a" -ge $((0x100000)) ] && [ "$a" != "$ours" ] &&
				[ $((a % 4096)) = 0 ]; then
				printf '0x%x\n' "$a"
				break
			fi
		done
}

# One planted region: restore's exit code, its message, the wipe.
# $1 image, $2 expected exit code, $3 expected text, $4 "one" if the
# whole output must be that one line.
planted_case() {
	img=/tmp/plant/$1
	want=$3
	gcheck "$1: planted into the reserved range" plant "$img"
	load_keyhandover
	# shellcheck disable=SC2086 # options, split on purpose
	out=$(keyhandover restore ${RESTORE_ARGS:-} 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "$1: restore ${RESTORE_ARGS:-}exits $2" [ "$rc" = "$2" ]
	if [ -n "$want" ]; then
		gcheck "$1: restore says '$want'" \
			eval 'printf "%s\n" "$out" | grep -qF -- "$want"'
	else
		gcheck "$1: restore is quiet" [ -z "$out" ]
	fi
	[ "${4:-}" != one ] || gcheck "$1: one line of output" one_line "$out"
	gcheck "$1: status after restore is consumed or empty" \
		status_is 'consumed|empty'
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "$1: region is zero after restore" region_is_zero
}

# A good stash (case 28's image) under a case's own name, which names
# that case's checks.
good_as() {
	cp /tmp/plant/28-good-key-already-open "/tmp/plant/$1"
}

passphrase_still_opens() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" &&
		cryptsetup close "$NAME"
}

# Bytes of key quota root uses now (/proc/key-users: "0: usage
# nkeys/inst qnkeys/maxkeys qnbytes/maxbytes").
root_key_bytes() {
	awk '$1 == "0:" { split($5, q, "/"); print q[1] }' /proc/key-users
}

# tap_run WHAT PROGRAM ARG...: run a test program; each of its "ok" and
# "not ok" lines is one of our checks, and so is its exit status.
tap_run() {
	tr_what=$1
	shift
	"$@" >/tmp/tap.out 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) gcheck "$tr_what: ${line#ok * - }" true ;;
		"not ok "*) gcheck "$tr_what: ${line#not ok * - }" false ;;
		*) say "$line" ;;
		esac
	done </tmp/tap.out
	gcheck "$tr_what: ${1##*/}${2:+ $2} exits 0" [ "$rc" = 0 ]
}

# Run the interface test program; each of its results is one of ours.
iface_test() {
	tap_run iface /bin/kh-iface-test "$@"
}

# --- the region and the interface -----------------------------------------

# Case 19: every bad region is refused at load.
planted_bad_regions() {
	addr=$(cmdline_arg memmap)
	addr=${addr#*\$}
	gcheck "19: no region= refuses to load" insmod_refused
	gcheck "19: region in System RAM (16 MiB) refused" \
		insmod_refused 'region=4K$0x1000000'
	gcheck "19: region below 1 MiB refused" insmod_refused 'region=4K$0xf0000'
	gcheck "19: misaligned region address refused" \
		insmod_refused "region=4K\$$((addr + 2048))"
	gcheck "19: region smaller than a page refused" \
		insmod_refused "region=256\$$addr"
	gcheck "19: region past the reservation refused" \
		insmod_refused "region=8K\$$addr"
	gcheck "19: malformed region= refused" insmod_refused 'region=banana'
	fw=$(firmware_reserved)
	if [ -n "$fw" ]; then
		gcheck "19: firmware-reserved memory at $fw refused" \
			insmod_refused "region=4K\$$fw"
	else
		gcheck "19: a firmware-reserved range above 1 MiB to try" false
	fi
}

# The interface test program (iface_test.c): each of its results a check.
planted_interface() {
	load_keyhandover
	iface_test
	rmmod keyhandover || fail "rmmod keyhandover"
}

# Case 15: a read into a bad pointer still consumes the stash.
planted_read_efault() {
	plant /tmp/plant/28-good-key-already-open || fail "planting"
	load_keyhandover
	iface_test read-efault
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "15: region is zero after the failed read" region_is_zero
}

# Region images (tests/qemu/mkplant.c), one a line: the image, restore's
# exit code, what restore must say ("": nothing at all), and "one" where
# that must be all it prints.
planted_images() {
	planted_case 01-bad-magic 1 "bad magic" one
	planted_case 02-total-past-region 1 "points past the region" one
	planted_case 03-newer-version 1 "unsupported handover format version" one
	planted_case 04-bit-flip-in-key 1 "checksum mismatch" one
	planted_case 05-zero-entries-resealed 1 "invalid header fields" one
	planted_case 06-key-too-long-resealed 1 "invalid key length" one
	planted_case 07-size-overflow 1 "points past the region" one
	planted_case 08-uuid-unterminated-resealed 1 "malformed volume UUID" one
	planted_case 09-all-zero 3 ""
	planted_case 10-all-ff 1 "bad magic" one
	planted_case 10-random 1 "bad magic" one
}

# --- restore: what it opens, and what it must not --------------------------

# Case 11: another kexec's stash (not this boot's nonce).
planted_stale_nonce() {
	planted_case 11-stale-nonce 1 "stale hand-over" one
	gcheck "11: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
}

# Case 6: a key of another length than the volume's.
planted_key_size() {
	planted_case 06-key-size-not-the-volumes 1 \
		"key does not match the LUKS header" one
	gcheck "6: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
}

# Case 26: a key that does not match the header; the passphrase still
# opens the volume after it.
planted_wrong_key() {
	planted_case 26-wrong-key 1 "key does not match the LUKS header" one
	gcheck "26: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	gcheck "26: the passphrase still opens the volume" passphrase_still_opens
}

# Case 27: an entry for a volume not on this machine is skipped, the
# next one restored.
planted_unknown_uuid() {
	planted_case 27-unknown-uuid-then-good 1 "no such device here, skipped"
	gcheck "27: the other volume was still opened" [ -b "/dev/mapper/$NAME" ]
	cryptsetup close "$NAME" 2>/dev/null
}

# Case 28: a volume open already is left alone, and restore succeeds.
planted_already_open() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup open with the passphrase"
	planted_case 28-good-key-already-open 0 "already open"
	gcheck "28: the open volume was left alone" [ -b "/dev/mapper/$NAME" ]
	cryptsetup close "$NAME" 2>/dev/null
}

# Case 28: open under another name (crypttab's, say) counts as open too.
planted_open_as_other() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" other ||
		fail "cryptsetup open as other"
	planted_case 28-good-key-already-open 0 "already open as /dev/mapper/other"
	gcheck "28: no second mapping of the volume" [ ! -e "/dev/mapper/$NAME" ]
	cryptsetup close other 2>/dev/null
}

# --- restore --to-keyring in the new kernel, on a good planted stash --------

# Case 30: someone else's key under our description stays as it is.
planted_same_description() {
	good_as 30-same-description
	ring=$($KEYCTL newring keyhandover @u) || fail "keyctl newring"
	printf unrelated | $KEYCTL padd user "keyhandover:$NAME" "$ring" >/dev/null
	RESTORE_ARGS="--to-keyring "
	planted_case 30-same-description 1 \
		"is in the keyring already: left as it is" one
	RESTORE_ARGS=
	gcheck "30: the other key's payload is unchanged" \
		[ "$($KEYCTL pipe "%user:keyhandover:$NAME")" = unrelated ]
	gcheck "30: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	$KEYCTL unlink "$ring" @u >/dev/null
}

# Case 29: no quota left for even one more byte.
planted_quota() {
	good_as 29-quota-exhausted
	max=$(cat /proc/sys/kernel/keys/root_maxbytes)
	root_key_bytes >/proc/sys/kernel/keys/root_maxbytes
	RESTORE_ARGS="--to-keyring "
	planted_case 29-quota-exhausted 1 "key quota exhausted" one
	RESTORE_ARGS=
	echo "$max" >/proc/sys/kernel/keys/root_maxbytes
	gcheck "29: the passphrase still opens the volume" passphrase_still_opens
}

# --open: the tool opens the volume itself and revokes the key.
planted_to_keyring_open() {
	good_as to-keyring-open
	RESTORE_ARGS="--to-keyring @u --key-timeout 30 --open "
	planted_case to-keyring-open 0 "key keyhandover:$NAME revoked"
	RESTORE_ARGS=
	gcheck "--open: the volume is open" [ -b "/dev/mapper/$NAME" ]
	gcheck "--open: the key is no longer in the keyring" \
		eval '! $KEYCTL search @u user "keyhandover:$NAME" >/dev/null 2>&1'
	cryptsetup close "$NAME" 2>/dev/null
}

# --- the tool killed, the module unloaded, the region dumped ---------------

# Start `keyhandover stash` and leave it blocked mid-passphrase: it has
# read half a key file from a FIFO and waits for the rest. Sets $pid.
stash_blocked() {
	rm -f /tmp/kill/pw && mkfifo /tmp/kill/pw
	keyhandover stash --key-file /tmp/kill/pw "$VOLUME" >/dev/null 2>&1 &
	pid=$!
	exec 7>/tmp/kill/pw
	head -c 5 "$FIXTURES/passphrase" >&7
	sleep 1
}

# Case 24: the tool killed while it holds a passphrase leaves nothing
# armed and dumps no core. Core dumps are enabled for this shell (init's
# limit is 0), and a control process proves a core would be written.
planted_sigkill() {
	load_keyhandover
	mkdir -p /tmp/kill && cd /tmp/kill || fail "cd /tmp/kill"
	ulimit -c unlimited
	sleep 30 &
	ctl=$!
	kill -SEGV "$ctl"
	wait "$ctl" 2>/dev/null
	gcheck "24: control: a crashing process here does dump core" \
		eval 'ls core* >/dev/null 2>&1'
	rm -f core*
	stash_blocked
	gcheck "24: the tool set its own core size limit to 0" \
		eval 'grep -qE "^Max core file size +0 +0 " /proc/$pid/limits'
	kill -SEGV "$pid"
	wait "$pid" 2>/dev/null
	exec 7>&-
	gcheck "24: the tool crashing mid-stash dumps no core" \
		eval '! ls core* >/dev/null 2>&1'
	stash_blocked
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	exec 7>&-
	gcheck "24: SIGKILL mid-stash leaves nothing armed" \
		status_is empty
	ulimit -c 0
	cd / || fail "cd /"
	rmmod keyhandover || fail "rmmod keyhandover"
}

# `keyhandover load` of a file that is no kernel, with command line $1;
# sets $out and $rc.
load_not_a_kernel() {
	out=$(keyhandover load --kernel "$FIXTURES/content" \
		--initrd "$FIXTURES/content" --append "$1" 2>&1)
	rc=$?
	printf '%s\n' "$out"
}

# request_dump TAG [SECONDS]: ask the host (run.sh serve_dumps) to dump
# the region as "TAG" (a TAG ram-*: all RAM); it stops the guest, saves
# the region with pmemsave and lets it go on. The guest cannot tell when
# that happened, so it waits (6 s unless told), then says KH-DUMP-END;
# the host takes a dump only while that line is not out yet.
request_dump() {
	echo "KH-DUMP $1" >"$MARKER"
	sleep "${2:-6}"
	echo "KH-DUMP-END $1" >"$MARKER"
	sleep 1 # the line out of the UART before anything changes
}

# While the module holds the range, /dev/mem (IO_STRICT_DEVMEM) must not
# read it; after an unload while armed it must read zeroes (case 18).
# Case 17: the host compares the region's bytes before and after the
# refused arms (the ioctl's EBUSY and the tool's refusal). Case 20 and
# the memmap= check: a `load` that fails after arming wipes the stash.
# One sequence: each step needs the stash the one before it left.
planted_lifecycle() {
	load_keyhandover
	gcheck "/dev/mem cannot read the region while the module holds it" \
		eval '! dd if=/dev/mem bs=4096 skip="$(region_block)" count=1 of=/dev/null 2>/dev/null'
	gcheck "a real stash arms" stash_quiet
	request_dump 17-before
	iface_test arm-again
	gcheck "17: stash refused while armed" eval '! keyhandover stash --key-file "$FIXTURES/passphrase" "$VOLUME" 2>/dev/null'
	request_dump 17-after
	load_not_a_kernel "memmap=$(cmdline_arg memmap)"
	gcheck "20: load of a non-kernel fails after arming" \
		eval '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -q "not a kernel image"'
	gcheck "20: ... and says it wiped the stash" \
		eval 'printf "%s\n" "$out" | grep -q "wiped the armed hand-over"'
	gcheck "20: ... and the region is empty" \
		status_is empty
	stash_quiet || fail "stash again"
	load_not_a_kernel "console=ttyS0"
	gcheck "load refuses a next kernel without the region's memmap=" \
		eval '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -q "lacks memmap="'
	gcheck "... and wipes the stash" \
		status_is empty
	stash_quiet || fail "stash again"
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "18: unload while armed leaves the region zero" region_is_zero
}

# Case 17's control: the two-entry stash that the ioctl refused while
# armed, armed for real, must change the region the host dumps.
planted_arm_other() {
	load_keyhandover
	iface_test arm-other
	request_dump 17-other
	rmmod keyhandover || fail "rmmod keyhandover"
}

# --- module parameters -------------------------------------------------------

# Case 2 of the review: a stash the module will not keep is gone at load.
# Here, when the module refuses its parameters: checked while the region
# is still readable through /dev/mem, the module not holding it. The two
# cases below: when it loads with no nonce, or another one.
planted_bad_params() {
	good=/tmp/plant/28-good-key-already-open
	region=region=$(cmdline_arg memmap)
	# Bare names and an over-long value are what the kernel's own
	# parameter parser would refuse before the module could wipe.
	long=nonce=$(printf '%01100d' 0)
	for p in nonce=zz nonce=0123 arm_timeout=0 arm_timeout=86401 \
		arm_timeout=abc arm_timeout=-1 arm_timeout nonce "$long"; do
		plant "$good" || fail "planting"
		gcheck "2: insmod $(printf '%s' "$p" | cut -c1-24) refused" \
			insmod_refused "$region" "$p"
		gcheck "2: ... and the stash it found is wiped" region_is_zero
	done
}

# Case 2: loaded with no nonce (as a plain insmod would), a valid stash is
# refused at once.
planted_no_nonce() {
	plant /tmp/plant/28-good-key-already-open || fail "planting"
	KH_BARE=1 load_keyhandover
	gcheck "2: loaded with no nonce, a valid stash is refused at once" \
		eval 'keyhandover status | grep -q "^last wiped: at module load: not for this kernel"'
	rmmod keyhandover || fail "rmmod keyhandover"
}

# Case 11 at load: the module wipes another kexec's stash then, rather
# than leave it waiting for its timeout.
planted_stale_at_load() {
	plant /tmp/plant/11-stale-nonce || fail "planting"
	load_keyhandover
	gcheck "11: another kexec's stash is refused at load, not left waiting" \
		eval 'keyhandover status | grep -q "^last wiped: at module load: not for this kernel" &&
			! keyhandover status | grep -q "^wiped in:"'
	rmmod keyhandover || fail "rmmod keyhandover"
}

# --- sleep, and lockdown last -------------------------------------------------

# Case 3 of the review: suspend (to idle) and hibernation wipe the stash
# before anything is frozen or written. /sys/power/pm_test=freezer runs
# each through its notifiers and the freezer, then returns without
# sleeping. Part of the planted boot, before lockdown (which forbids
# hibernation).
sleep_wipes() {
	stash_quiet || fail "stash before $1"
	status_is armed || fail "not armed before $1"
	echo "$1" >/sys/power/state
	rc=$?
	st=$(keyhandover status)
	printf '%s\n' "$st"
	gcheck "3: echo $1 >/sys/power/state went through (exit $rc)" [ "$rc" = 0 ]
	gcheck "3: $1 wiped the stash, and status says why" \
		eval 'printf "%s\n" "$st" | grep -q "^state: empty" &&
			printf "%s\n" "$st" | grep -q "^last wiped: suspend or hibernation"'
	gcheck "3: after $1, arming works again" stash_quiet
	keyhandover wipe >/dev/null
}

planted_sleep() {
	load_keyhandover
	[ -w /sys/power/pm_test ] || fail "no /sys/power/pm_test (CONFIG_PM_DEBUG)"
	echo freezer >/sys/power/pm_test || fail "pm_test freezer"
	say "sleep states offered: $(cat /sys/power/state)"
	sleep_wipes freeze
	grep -qw disk /sys/power/state ||
		fail "hibernation is not offered by this kernel"
	sleep_wipes disk
	echo none >/sys/power/pm_test
	rmmod keyhandover || fail "rmmod keyhandover"
}

# Case 1 of the review, last in the boot (lockdown only ever goes up):
# under integrity lockdown a logon key is still taken (root can read
# kernel memory there anyway); under confidentiality it is refused.
planted_lockdown() {
	load_keyhandover
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	lock=/sys/kernel/security/lockdown
	[ -w "$lock" ] || fail "no $lock"
	link_volume_key kh:locked
	echo integrity >"$lock" || fail "lockdown integrity"
	gcheck "1: lockdown=integrity: a logon key is still stashed" \
		eval 'keyhandover stash --keyring kh:locked --name "$NAME" "$VOLUME" >/dev/null'
	keyhandover wipe >/dev/null || fail "keyhandover wipe"
	echo confidentiality >"$lock" || fail "lockdown confidentiality"
	stash_refused "1: lockdown=confidentiality" kh:locked \
		"refused under lockdown=confidentiality"
	gcheck "1: ... a passphrase stash still works there" stash_quiet
	keyhandover wipe >/dev/null
}

# --- efi: its own boot, under OVMF --------------------------------------------

# Pages the kernel turned from firmware RAM into "Reserved" by itself
# (efi_mem_reserve(): tables EFI left that the kernel keeps): "usable" in
# the firmware's map as the kernel printed it (BIOS-e820), "Reserved" in
# /proc/iomem, page aligned, above 1 MiB, not our memmap= range.
kernel_reserved_ram() {
	ours=$(cmdline_arg memmap)
	ours=$((${ours#*\$}))
	dmesg | sed -n 's/.*BIOS-e820: \[mem 0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\] usable$/\1 \2/p' \
		>/tmp/fw-usable
	sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : Reserved$/\1 \2/p' /proc/iomem |
		while read -r a b; do
			a=$((0x$a)) b=$((0x$b))
			[ "$a" -ge $((0x100000)) ] && [ $((a % 4096)) = 0 ] &&
				[ "$a" != "$ours" ] || continue
			while read -r s e; do
				[ "$a" -lt $((0x$s)) ] || [ "$b" -gt $((0x$e)) ] ||
					printf '0x%x\n' "$a"
			done </tmp/fw-usable
		done
}

# Case 8 of the review, under OVMF: RAM the kernel reserved for EFI's
# tables looks like a memmap= range to iomem and the firmware map alike;
# the EFI memory map tells it apart. The memmap= range itself must still
# load on an EFI boot (the control).
stage_efi() {
	[ -d /sys/firmware/efi ] || fail "not an EFI boot"
	cand=$(kernel_reserved_ram | head -n 1)
	say "firmware RAM the kernel reserved by itself: ${cand:-none}"
	gcheck "8: control: an EFI boot has RAM the kernel reserved for EFI (efi_mem_reserve)" \
		[ -n "$cand" ]
	[ -z "$cand" ] ||
		gcheck "8: region=4K\$$cand (kept for EFI, RAM to the firmware map) refused" \
			insmod_refused "region=4K\$$cand"
	gcheck "8: ... with one line saying EFI keeps it" \
		eval 'dmesg | grep -q "keyhandover: region .* holds memory EFI keeps"'
	load_keyhandover
	gcheck "8: control: the memmap= range loads on an EFI boot" \
		[ -c /dev/keyhandover ]
	rmmod keyhandover || fail "rmmod keyhandover"
	mark_stage checked
	checks_passed
	result efi-ok
}
