#!/bin/sh
# /init of the test guest (busybox sh). One boot runs one stage, named by
# kh.stage= on the kernel command line; a first-boot stage ends in kexec
# into the stage that checks the result.
#
#   arm      open the volume with the passphrase, write the known content,
#            stash its key, load the next kernel, kexec -> restore
#   restore  the key must come back: volume open without a passphrase,
#            content intact, a second restore finds nothing
#   noarm    as arm without the stash (negative control) -> negative
#   negative restore must find nothing and open nothing
#   probe    harness bring-up without the project: open, write, plain
#            kexec-tools load, kexec -> probe2, which checks the content
#
# Human output goes to the console (ttyS0). The verdict goes ONLY to the
# second serial port as one line "KH-RESULT ...": the host passes on the
# positive marker alone, so a crash or hang can never look like a pass.
# "KH-STAGE name uptime" lines let the host time each step.
#
# No "set -e": init must never exit (the kernel would panic without a
# verdict); every failure goes through fail().
set -u
export PATH=/sbin:/usr/sbin:/bin:/usr/bin

MARKER=/dev/ttyS1
FIXTURES=/etc/kh-test
VOLUME=/dev/vda
BOOTDISK=/dev/vdb
NAME=data
STAGE=unknown

say() {
	printf 'kh-init: %s\n' "$*"
}

mark_stage() {
	read -r up _ </proc/uptime
	printf 'KH-STAGE %s %s %s\n' "$STAGE" "$1" "$up"
}

# The host may hold the guest after the verdict to inspect its memory
# (kh.hold=N: wait up to N seconds for the host to stop QEMU).
finish() {
	hold=$(cmdline_arg kh.hold)
	if [ -n "$hold" ]; then
		echo KH-HOLD >"$MARKER"
		sleep "$hold"
	fi
	sync
	poweroff -f
	reboot -f # without ACPI; -no-reboot turns it into an exit
}

result() {
	printf 'KH-RESULT %s\n' "$1" >"$MARKER"
}

fail() {
	say "FAIL: $*"
	result "fail: $STAGE: $*"
	finish
}

# Value of NAME=value on the kernel command line (last one wins).
cmdline_arg() {
	v=
	read -r line </proc/cmdline
	for w in $line; do
		case $w in "$1="*) v=${w#*=} ;; esac
	done
	printf '%s\n' "$v"
}

mount_all() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs -o mode=0755 tmpfs /run
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mkdir -p /run/cryptsetup # libcryptsetup's lock directory
}

load_modules() {
	kver=$(uname -r)
	while read -r m; do
		insmod "/lib/modules/$kver/$m" || fail "insmod $m"
	done <"/lib/modules/$kver/load-order"
	# virtio_blk probes asynchronously; wait for the disks.
	i=0
	while [ ! -b "$VOLUME" ] || [ ! -b "$BOOTDISK" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || fail "no $VOLUME or $BOOTDISK"
		sleep 0.1
	done
}

# The region parameter is the memmap= reservation itself, so the two can
# never disagree.
load_keyhandover() {
	region=$(cmdline_arg memmap)
	[ -n "$region" ] || fail "no memmap= on the command line"
	ko=/lib/modules/$(uname -r)/extra/keyhandover.ko
	[ -f "$ko" ] || fail "no keyhandover.ko in the initramfs"
	insmod "$ko" "region=$region" || fail "insmod keyhandover region=$region"
	[ -c /dev/keyhandover ] || fail "no /dev/keyhandover after insmod"
	mark_stage module-loaded
}

# As a running server would have it: the volume opened with its passphrase.
open_and_write() {
	say "opening $VOLUME with the passphrase"
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup open with the passphrase"
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

stash() {
	say "keyhandover stash --name $NAME $VOLUME (passphrase on stdin)"
	pass=$(cat "$FIXTURES/passphrase")
	printf '%s\n' "$pass" | keyhandover stash --name "$NAME" "$VOLUME" ||
		fail "keyhandover stash exited $?"
	pass=
	keyhandover status
	mark_stage stashed
}

# The next boot's command line: ours with the stage replaced.
next_cmdline() {
	sed "s/\(^\| \)kh\.stage=[^ ]*/\1kh.stage=$1/" /proc/cmdline
}

unpack_boot() {
	mkdir -p /tmp/boot
	tar -x -f "$BOOTDISK" -C /tmp/boot || fail "unpacking $BOOTDISK"
}

# $1: next stage; $2: "tool" (keyhandover load) or "kexec" (kexec-tools).
load_and_kexec() {
	unpack_boot
	cmd=$(next_cmdline "$1")
	say "loading the next kernel, command line: $cmd"
	if [ "$2" = tool ]; then
		keyhandover load --kernel /tmp/boot/vmlinuz \
			--initrd /tmp/boot/initrd.img --append "$cmd" ||
			fail "keyhandover load exited $?"
	else
		kexec -s -l /tmp/boot/vmlinuz --initrd=/tmp/boot/initrd.img \
			--command-line="$cmd" || fail "kexec -s -l exited $?"
	fi
	mark_stage loaded
	say "kexec -e"
	sync
	kexec -e
	fail "kexec -e returned $?"
}

# keyhandover restore; prints its exit code.
restore_rc() {
	keyhandover restore >&2
	echo $?
}

stage_arm() {
	load_keyhandover
	open_and_write
	stash
	load_and_kexec restore tool
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

main() {
	mount_all
	exec </dev/console >/dev/console 2>&1
	STAGE=$(cmdline_arg kh.stage)
	mark_stage init
	load_modules
	mark_stage modules-loaded
	case $STAGE in
	arm | restore | noarm | negative | probe | probe2) "stage_$STAGE" ;;
	*) fail "unknown kh.stage='$STAGE'" ;;
	esac
	finish
}

main
