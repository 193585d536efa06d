# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# The hand-over across a real kexec, and the ways it must fail: sourced by
# /init (tests/qemu/init.sh). Also the helpers every kexec stage uses
# (keyring.sh's and distro.sh's too): open and write the volume, stash,
# load the next kernel and kexec.
#
#   arm      open the volume with the passphrase, write the known content,
#            stash its key, load the next kernel, kexec -> restore
#   restore  the key must come back: volume open without a passphrase,
#            content intact, a second restore finds nothing
#   noarm    as arm without the stash (negative control) -> negative
#   negative restore must find nothing and open nothing
#   nomodule restore's place taken by a boot without keyhandover (kh.next=
#            nomodule on arm): the passphrase still opens the volume, and a
#            module loaded later wipes the pending stash on its timeout
#   rearm    as arm, but stash again after loading the next kernel, so the
#            kernel's keyhandover.nonce= names an earlier arming -> stale
#   stale    restore must refuse the stash as stale and open nothing
#   foreign  boot 2 of a kexec that kexec-tools loaded without the nonce
#            (kh.loader=kexec): the module wipes the stash at load
#   passon   boot 2 leaves its pending stash unread and kexecs again with
#            its own command line -> passon2: nothing may arrive there
#   resetarm arm, then SysRq-B (no notifier); QEMU resets into the same
#            stage, which finds the stash and must wipe it at module load
#   armthen  stash, then (kh.then=) reboot -f, poweroff -f, a panic from
#            sysrq, keyhandover wipe, or the arm timeout: the stash must go
#   probe    harness bring-up without the project: open, write, plain
#            kexec-tools load, kexec -> probe2, which checks the content

KH_STAGES="$KH_STAGES arm restore noarm negative nomodule rearm stale"
KH_STAGES="$KH_STAGES foreign passon passon2 resetarm armthen probe probe2"

# --- helpers ---------------------------------------------------------------

# As a running server would have it: the volume opened with its passphrase.
open_and_write() {
	say "opening $VOLUME with the passphrase"
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup open with the passphrase"
	write_and_close
}

# The known content onto the open mapping, which is then closed (keyring.sh
# opens it another way): before kexec, so that the host's dump of RAM after
# boot 2 looks for the stash's copies alone.
write_and_close() {
	say "writing the known content to /dev/mapper/$NAME"
	dd if="$FIXTURES/content" of="/dev/mapper/$NAME" bs=512 count=1 \
		conv=sync 2>/dev/null || fail "writing /dev/mapper/$NAME"
	sync
	cryptsetup close "$NAME" || fail "cryptsetup close"
	mark_stage volume-written
}

check_content() {
	want=$(cat "$FIXTURES/content")
	got=$(head -n 1 "/dev/mapper/$NAME") || fail "reading /dev/mapper/$NAME"
	[ "$got" = "$want" ] || fail "content of /dev/mapper/$NAME differs"
	say "read back from /dev/mapper/$NAME: $got"
}

# With kh.tty=1 the passphrase is typed by the host at the tool's prompt
# on the serial console (a real terminal: echo off); otherwise it comes
# on stdin from the fixture.
stash() {
	if [ "$(cmdline_arg kh.tty)" = 1 ]; then
		say "keyhandover stash --name $NAME $VOLUME (passphrase typed at the prompt)"
		# A session with the console as its controlling terminal, so that
		# the tool can open /dev/tty.
		setsid cttyhack keyhandover stash --name "$NAME" "$VOLUME" ||
			fail "keyhandover stash exited $?"
	else
		say "keyhandover stash --name $NAME $* $VOLUME (passphrase on stdin)"
		pass=$(cat "$FIXTURES/passphrase")
		printf '%s\n' "$pass" |
			keyhandover stash --name "$NAME" "$@" "$VOLUME" ||
			fail "keyhandover stash exited $?"
		pass=
	fi
	keyhandover status
	mark_stage stashed
}

# Arm with the fixture's passphrase from a key file, quietly.
stash_quiet() {
	keyhandover stash --name "$NAME" --key-file "$FIXTURES/passphrase" \
		"$VOLUME" >/dev/null
}

# keyhandover restore; prints its exit code.
restore_rc() {
	keyhandover restore >&2
	echo $?
}

# The next kernel. kh.chain=V1,V2,... lists the kernels still to hop
# through, the boot disk holding vmlinuz-V and initrd-V of each; without
# it the next kernel is this one again (vmlinuz, initrd.img). Sets KERNEL,
# INITRD, and REST, the chain after this hop.
next_kernel() {
	chain=$(cmdline_arg kh.chain)
	if [ -z "$chain" ]; then
		KERNEL=/tmp/boot/vmlinuz INITRD=/tmp/boot/initrd.img REST=
		return 0
	fi
	first=${chain%%,*}
	REST=${chain#"$first"}
	REST=${REST#,}
	KERNEL=/tmp/boot/vmlinuz-$first INITRD=/tmp/boot/initrd-$first
}

# The next boot's command line: ours with the stage replaced and the
# chain moved on by one.
next_cmdline() {
	sed -e "s/\(^\| \)kh\.stage=[^ ]*/\1kh.stage=$1/" \
		-e "s/\(^\| \)kh\.chain=[^ ]*/\1kh.chain=${REST:-}/" /proc/cmdline
}

unpack_boot() {
	mkdir -p /tmp/boot
	tar -x -f "$BOOTDISK" -C /tmp/boot || fail "unpacking $BOOTDISK"
}

# $1: next stage; $2: "tool" (keyhandover load) or "kexec" (kexec-tools).
load_and_kexec() {
	load_next "$@"
	exec_next
}

load_next() {
	unpack_boot
	next_kernel
	cmd=$(next_cmdline "$1")
	say "loading the next kernel ${KERNEL##*/}, command line: $cmd"
	if [ "$2" = tool ]; then
		keyhandover load --kernel "$KERNEL" \
			--initrd "$INITRD" --append "$cmd" ||
			fail "keyhandover load exited $?"
	else
		kexec -s -l "$KERNEL" --initrd="$INITRD" \
			--command-line="$cmd" || fail "kexec -s -l exited $?"
	fi
	mark_stage loaded
}

exec_next() {
	say "kexec -e"
	sync
	kexec -e
	fail "kexec -e returned $?"
}

# restore_opens_nothing CASE RC: restore exits RC and opens nothing; the
# end of a boot's checks.
restore_opens_nothing() {
	rc=$(restore_rc)
	gcheck "$1: restore exits $2" [ "$rc" = "$2" ]
	gcheck "$1: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	mark_stage checked
	checks_passed
}

# --- the positive scenario and its negative control -----------------------

# kh.loader=kexec: the next kernel loaded by kexec-tools with a command
# line of its own, as a kexec that `keyhandover load` did not set up.
stage_arm() {
	next=$(cmdline_arg kh.next)
	loader=$(cmdline_arg kh.loader)
	load_keyhandover
	open_and_write
	stash
	load_and_kexec "${next:-restore}" "${loader:-tool}"
}

stage_restore() {
	load_keyhandover
	keyhandover status
	say "keyhandover restore (no passphrase anywhere in this boot)"
	rc=$(restore_rc)
	mark_stage restored
	[ "$rc" = 0 ] || fail "keyhandover restore exited $rc, expected 0"
	[ -b "/dev/mapper/$NAME" ] || fail "no /dev/mapper/$NAME after restore"
	cryptsetup status "$NAME"
	check_content
	rc=$(restore_rc)
	[ "$rc" = 3 ] || fail "second keyhandover restore exited $rc, expected 3"
	st=$(keyhandover status) || fail "keyhandover status exited $?"
	printf '%s\n' "$st"
	printf '%s\n' "$st" | grep -qE '^state: *(consumed|empty)$' ||
		fail "keyhandover status shows neither consumed nor empty"
	# Closed, the volume's key has no business in RAM any more: the host
	# may now look for it in a dump of guest memory.
	cryptsetup close "$NAME" || fail "cryptsetup close after restore"
	mark_stage checked
	result restore-ok
}

stage_noarm() {
	load_keyhandover
	open_and_write
	say "NOT stashing (negative control)"
	load_and_kexec negative tool
}

stage_negative() {
	load_keyhandover
	keyhandover status
	rc=$(restore_rc)
	mark_stage restored
	[ "$rc" = 3 ] || fail "keyhandover restore exited $rc, expected 3"
	[ ! -e "/dev/mapper/$NAME" ] || fail "/dev/mapper/$NAME exists"
	mark_stage checked
	result negative-ok
}

# --- hand-overs that must not arrive --------------------------------------

# Case 25: the new kernel's initramfs has no keyhandover. The passphrase
# opens the volume as ever; a module loaded later finds the stash pending
# and wipes it when its timeout (3 s here) runs out.
stage_nomodule() {
	[ ! -e /dev/keyhandover ] || fail "/dev/keyhandover exists"
	say "no keyhandover in this boot: the passphrase, as ever"
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "the passphrase did not open the volume"
	check_content
	cryptsetup close "$NAME" || fail "cryptsetup close"
	mark_stage restored
	load_keyhandover arm_timeout=3
	status_is pending ||
		fail "a module loaded later does not see the stash pending"
	sleep 5
	status_is empty ||
		fail "the pending stash was not wiped by its timeout"
	rmmod keyhandover || fail "rmmod keyhandover"
	region_is_zero || fail "the region is not zero"
	mark_stage checked
	result nomodule-ok
}

# Case 11 across a real kexec: the kernel is loaded for one arming, then
# the stash is made again (a fresh nonce) before kexec -e.
stage_rearm() {
	load_keyhandover
	open_and_write
	stash
	unpack_boot
	keyhandover load --kernel /tmp/boot/vmlinuz \
		--initrd /tmp/boot/initrd.img --append "$(next_cmdline stale)" ||
		fail "keyhandover load exited $?"
	keyhandover wipe || fail "keyhandover wipe exited $?"
	stash
	mark_stage loaded
	say "kexec -e (the loaded kernel names the first arming's nonce)"
	sync
	kexec -e
	fail "kexec -e returned $?"
}

stage_stale() {
	load_keyhandover
	out=$(keyhandover restore 2>&1)
	rc=$?
	printf '%s\n' "$out"
	mark_stage restored
	[ "$rc" = 1 ] || fail "keyhandover restore exited $rc, expected 1"
	printf '%s\n' "$out" | grep -q "stale hand-over" ||
		fail "restore did not call the stash stale"
	[ ! -e "/dev/mapper/$NAME" ] || fail "/dev/mapper/$NAME exists"
	mark_stage checked
	result stale-ok
}

# A kexec that `keyhandover load` did not set up (kexec-tools with a
# command line of its own, no keyhandover.nonce=) carries the stash: the
# next kernel's module must wipe it at load, not after its timeout. The
# module stays loaded: the host reads the region at the hold, and it must
# be zero already.
stage_foreign() {
	[ -z "$(cmdline_arg keyhandover.nonce)" ] || fail "a nonce on this command line"
	load_keyhandover
	st=$(keyhandover status)
	printf '%s\n' "$st"
	gcheck "2: a stash with no nonce on the command line is refused at load" \
		eval 'printf "%s\n" "$st" | grep -q "^state: invalid (stale"'
	gcheck "2: ... and wiped then: status says so" \
		eval 'printf "%s\n" "$st" | grep -q "^last wiped: at module load: not for this kernel"'
	gcheck "2: ... with no timer left running" \
		eval '! printf "%s\n" "$st" | grep -q "^wiped in:"'
	restore_opens_nothing 2 1
	result foreign-ok
}

# Case 9 of the review: boot 2 leaves its PENDING stash unread and kexecs
# again with its own command line (the nonce still on it). The stash was
# for boot 2 only: boot 3 must find nothing.
stage_passon() {
	load_keyhandover
	status_is pending || fail "boot 2 does not see the stash pending"
	unpack_boot
	cmd=$(next_cmdline passon2)
	say "kexec again, the hand-over unread, command line: $cmd"
	kexec -s -l /tmp/boot/vmlinuz --initrd=/tmp/boot/initrd.img \
		--command-line="$cmd" || fail "kexec -s -l exited $?"
	mark_stage loaded
	sync
	kexec -e
	fail "kexec -e returned $?"
}

stage_passon2() {
	load_keyhandover
	keyhandover status
	gcheck "9: a stash not collected by the kernel it was for does not reach the next one" \
		status_is empty
	restore_opens_nothing 9 3
	result passon-ok
}

# Case 10: a reset that runs no notifier (SysRq-B: emergency_restart()).
# QEMU resets the machine and boots the same kernel and command line
# again, with RAM as it was: the first boot finds the region zero and
# arms; the second finds the stash still there (no notifier ran) and its
# module, loaded early with no nonce, must wipe it at once.
stage_resetarm() {
	if region_is_zero; then
		load_keyhandover
		stash
		say "SysRq-B: an emergency restart, no notifier"
		sync
		echo b >/proc/sysrq-trigger
		sleep 10
		fail "still running after SysRq-B"
	fi
	gcheck "10: the stash survived the reset (no notifier ran: the control)" true
	load_keyhandover
	st=$(keyhandover status)
	printf '%s\n' "$st"
	gcheck "10: the boot after the reset wipes it at module load" \
		eval 'printf "%s\n" "$st" | grep -q "^last wiped: at module load: not for this kernel"'
	mark_stage checked
	checks_passed
	result resetarm-ok
}

# Arm, let the host look, then get rid of the stash some other way than
# kexec: reboot, power-off, panic (the host finds QEMU paused), or an
# explicit wipe or the arm timeout (the guest then holds for the host).
stage_armthen() {
	action=$(cmdline_arg kh.then)
	load_keyhandover
	if [ "$action" = timeout ]; then
		stash --timeout 12
	else
		stash
	fi
	echo KH-ARMED >"$MARKER"
	sleep 8 # the host stops the VM and dumps RAM meanwhile
	printf 'KH-GOING %s\n' "$action" >"$MARKER"
	case $action in
	reboot) reboot -f ;;
	poweroff) poweroff -f ;;
	panic) echo c >/proc/sysrq-trigger ;;
	wipe) keyhandover wipe || fail "keyhandover wipe exited $?" ;;
	timeout) sleep 6 ;; # 12 s after the arm, with 8 s above
	*) fail "unknown kh.then='$action'" ;;
	esac
	case $action in
	wipe | timeout)
		keyhandover status
		echo KH-HOLD >"$MARKER"
		sleep 60
		;;
	esac
	sleep 5
	fail "still running after $action"
}

# --- probe: the harness without the project -------------------------------

stage_probe() {
	open_and_write
	load_and_kexec probe2 kexec
}

stage_probe2() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup open with the passphrase"
	check_content
	mark_stage checked
	result probe-ok
}
