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
#   nomodule restore's place taken by a boot without keyhandover (kh.next=
#            nomodule on arm): the passphrase still opens the volume, and a
#            module loaded later wipes the pending stash on its timeout
#   rearm    as arm, but stash again after loading the next kernel, so the
#            kernel's keyhandover.nonce= names an earlier arming -> stale
#   stale    restore must refuse the stash as stale and open nothing
#   probe    harness bring-up without the project: open, write, plain
#            kexec-tools load, kexec -> probe2, which checks the content
#   armthen  stash, then (kh.then=) reboot -f, poweroff -f, a panic from
#            sysrq, keyhandover wipe, or the arm timeout: the stash must go
#   krarm    keyring mode on Debian 12's cryptsetup: the refusals, then a
#            logon key holding the volume key stashed by description -> restore
#   kr27arm  keyring mode with cryptsetup 2.7: open --link-vk-to-keyring,
#            stash by description -> kr27restore: restore --to-keyring,
#            cryptsetup open --volume-key-keyring
#   hop      one hop of kh.chain= (arm with kh.next=hop): restore
#            --to-keyring, open with cryptsetup 2.7, stash --keyring again,
#            kexec into the next kernel of the chain -> hop or restore
#   distroarm  put a root file system on the volume, stash it as crypttab's
#            cryptroot, kexec into Debian's own initramfs (initramfs-tools,
#            cryptsetup-initramfs, keyhandover's hook): its local-top script
#            restores, cryptroot finds the volume open, root mounts, and the
#            root's /sbin/init (rootfs-init.sh) reports
#   distronoarm  the same without the stash: cryptroot prompts
#   mkroot   no keyhandover at all: the system scenarios' encrypted root
#            (tests/qemu/system.sh), written through the guest's dm-crypt
#            because the host has none. The LUKS volume on /dev/vda was
#            made on the host (luksFormat needs no device-mapper); /dev/vdb
#            is either an ext4 image copied into the volume whole
#            (kh.mkroot=image) or a tar unpacked onto the file system in
#            it (kh.mkroot=delta), whose ./.kh-whiteouts lists what to
#            delete
#   foreign  boot 2 of a kexec that kexec-tools loaded without the nonce
#            (kh.loader=kexec): the module wipes the stash at load
#   passon   boot 2 leaves its pending stash unread and kexecs again with
#            its own command line -> passon2: nothing may arrive there
#   resetarm arm, then SysRq-B (no notifier); QEMU resets into the same
#            stage, which finds the stash and must wipe it at module load
#   efi      under OVMF: RAM the kernel reserved for EFI is refused
#   debug    one boot of the debug kernel (KASAN, KFENCE, UBSAN, lockdep,
#            debugobjects, kmemleak, fault injection), memmap= region:
#            iface_test, kh-stress-test's race, cycles and faults; then
#            kmemleak and dmesg must hold no report
#   planted  one boot, no kexec: the threat model's region, interface and
#            restore cases. Region images from /dev/vdb (a tar) are written
#            into the reserved range through /dev/mem before the module
#            loads, playing a previous kernel that left them there; each
#            result is a "KH-CHECK ok|not-ok ..." line on the second port.
#            Also: module parameters, suspend and hibernation
#            (pm_test=freezer), and last, lockdown.
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
# never disagree. Without memmap= (the kho scenario) the module gets its
# region from Kexec HandOver. keyhandover.nonce= goes along as modprobe
# would pass it from the command line (busybox insmod does not read
# /proc/cmdline); KH_BARE=1 leaves it out, as a plain insmod would.
load_keyhandover() {
	region=$(cmdline_arg memmap)
	nonce=$(cmdline_arg keyhandover.nonce)
	case " $* " in *" nonce="*) nonce= ;; esac
	[ "${KH_BARE:-0}" = 0 ] || nonce=
	[ -z "$nonce" ] || set -- "nonce=$nonce" "$@"
	ko=/lib/modules/$(uname -r)/extra/keyhandover.ko
	[ -f "$ko" ] || fail "no keyhandover.ko in the initramfs"
	if [ -n "$region" ]; then
		insmod "$ko" "region=$region" "$@" ||
			fail "insmod keyhandover region=$region $*"
	else
		insmod "$ko" "$@" || fail "insmod keyhandover (no memmap=) $*"
	fi
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
	say "kexec -e"
	sync
	kexec -e
	fail "kexec -e returned $?"
}

# The region's state as `keyhandover status` names it (a regex).
status_is() {
	keyhandover status | grep -qE "^state: *($1)\$"
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

# restore_opens_nothing CASE RC: restore exits RC and opens nothing; the
# end of a boot's checks.
restore_opens_nothing() {
	rc=$(restore_rc)
	gcheck "$1: restore exits $2" [ "$rc" = "$2" ]
	gcheck "$1: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	mark_stage checked
	checks_passed
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

planted_sleep_cases() {
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

# --- keyring mode ----------------------------------------------------------

# Extra tools live in /usr/local/bin, outside PATH (busybox applets and
# Debian 12's own binaries come first): always named in full.
KEYCTL=/usr/local/bin/keyctl
CRYPTSETUP27=/usr/local/bin/cryptsetup27
KEYCTL27=/usr/local/bin/keyctl27

# With Debian 12's cryptsetup (no --link-vk-to-keyring) the test puts the
# volume key into a logon key itself, as cryptsetup 2.7 would: luksDump
# writes it to a tmpfs file, overwritten and removed straight after.
link_volume_key() {
	f=/tmp/vk.bin
	cryptsetup luksDump -q --dump-volume-key --volume-key-file "$f" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" >/dev/null ||
		fail "cryptsetup luksDump --dump-volume-key"
	$KEYCTL padd logon "$1" @u <"$f" >/dev/null || fail "keyctl padd logon $1"
	dd if=/dev/zero of="$f" bs=64 count=1 conv=notrunc 2>/dev/null
	rm -f "$f"
}

# A logon key of $2 random bytes named $1; prints its serial.
random_logon_key() {
	head -c "$2" /dev/urandom | $KEYCTL padd logon "$1" @u
}

# stash_refused WHAT KEY TEXT: the module refuses KEY; nothing is armed.
stash_refused() {
	want=$3
	out=$(keyhandover stash --keyring "$2" --name "$NAME" "$VOLUME" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "$1: stash exits 1" [ "$rc" = 1 ]
	gcheck "$1: stash says '$want'" \
		eval 'printf "%s\n" "$out" | grep -qF -- "$want"'
	gcheck "$1: one line of output" one_line "$out"
	gcheck "$1: nothing armed" status_is empty
}

keyring_refusals() {
	stash_refused "no such key" kh:nothere "no logon key 'kh:nothere' found"
	head -c 64 /dev/urandom | $KEYCTL padd user kh:asuser @u >/dev/null
	stash_refused "a user key where a logon key is named" kh:asuser \
		"but a user key of that description"
	# Possessor: every permission but search (0x08), or but view (0x01).
	$KEYCTL setperm "$(random_logon_key kh:nosearch 64)" 0x37000000
	stash_refused "a key the caller may not search" kh:nosearch \
		"permission denied"
	$KEYCTL setperm "$(random_logon_key kh:noview 64)" 0x3e000000
	stash_refused "a key the caller may not view" kh:noview \
		"permission denied"
	random_logon_key kh:long 129 >/dev/null
	stash_refused "a payload longer than the format allows" kh:long \
		"longer than 128 bytes"
	random_logon_key kh:short 32 >/dev/null
	stash_refused "a payload of another size than the volume key" \
		kh:short "is not 64 bytes"
	$KEYCTL revoke "$(random_logon_key kh:revoked 64)"
	stash_refused "a revoked key" kh:revoked "has been revoked"
}

# Keyring mode holds no key in userspace: the tool's count of secret
# buffers is 0, where a passphrase stash (the control) makes some.
stash_keyring() {
	out=$(KEYHANDOVER_DEBUG_SECMEM=1 keyhandover stash --key-file \
		"$FIXTURES/passphrase" --name "$NAME" "$VOLUME" 2>&1)
	gcheck "control: a passphrase stash makes secret buffers" \
		eval 'printf "%s\n" "$out" | grep -q "debug: [1-9][0-9]* secret buffers"'
	keyhandover wipe >/dev/null || fail "keyhandover wipe"
	say "keyhandover stash --keyring $1 --name $NAME $VOLUME"
	out=$(KEYHANDOVER_DEBUG_SECMEM=1 keyhandover stash --keyring "$1" \
		--name "$NAME" "$VOLUME" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "keyring stash exits 0" [ "$rc" = 0 ]
	gcheck "keyring stash: the tool held no key (0 secret buffers)" \
		eval 'printf "%s\n" "$out" | grep -q "debug: 0 secret buffers, 0 bytes"'
	status_is armed || fail "not armed after the keyring stash"
	keyhandover status
	mark_stage stashed
}

checks_passed() {
	[ "$CHECKS_FAILED" = 0 ] || fail "$CHECKS_FAILED checks failed"
}

# Debian 12: a logon key added with keyctl, stashed by its description;
# boot 2 is the plain restore stage.
stage_krarm() {
	load_keyhandover
	open_and_write
	keyring_refusals
	link_volume_key kh:data
	stash_keyring kh:data
	checks_passed
	load_and_kexec restore tool
}

# cryptsetup 2.7 (Debian 13's, with its own libraries) opens the volume
# as a server's boot would and leaves its key linked as a logon key: no
# passphrase is used after this open, in this boot or the next.
stage_kr27arm() {
	load_keyhandover
	say "cryptsetup 2.7 opens $VOLUME, linking its volume key as logon key kh:data"
	$CRYPTSETUP27 open --link-vk-to-keyring "@u::%logon:kh:data" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup 2.7 open --link-vk-to-keyring"
	dd if="$FIXTURES/content" of="/dev/mapper/$NAME" bs=512 count=1 \
		conv=sync 2>/dev/null || fail "writing /dev/mapper/$NAME"
	sync
	# Closed before kexec, as in the positive scenario, so that the host's
	# dump of RAM after boot 2 can look for the stash's copies alone: a
	# volume still open at kexec leaves the old kernel's dm-crypt key in
	# RAM the new kernel does not scrub (docs/security.md). cryptsetup's
	# linked key outlives the mapping.
	cryptsetup close "$NAME" || fail "cryptsetup close"
	mark_stage volume-written
	stash_keyring kh:data
	checks_passed
	load_and_kexec kr27restore tool
}

# restore --to-keyring; $1 prefixes the check names. Sets $out.
restore_to_keyring() {
	out=$(keyhandover restore --to-keyring 2>&1)
	rc=$?
	printf '%s\n' "$out"
	mark_stage restored
	gcheck "${1}restore --to-keyring exits 0" [ "$rc" = 0 ]
}

# cryptsetup 2.7 opens the volume from the restored keyring key, and the
# content reads back; $1 prefixes the check name.
open_from_keyring() {
	gcheck "${1}cryptsetup 2.7 opens the volume with the restored key" \
		$CRYPTSETUP27 open --volume-key-keyring "%user:keyhandover:$NAME" \
		"$VOLUME" "$NAME"
	[ -b "/dev/mapper/$NAME" ] || fail "no /dev/mapper/$NAME"
	check_content
}

stage_kr27restore() {
	load_keyhandover
	say "keyhandover restore --to-keyring (no passphrase anywhere in this boot)"
	restore_to_keyring ""
	gcheck "restore --to-keyring names the key" \
		eval 'printf "%s\n" "$out" | grep -qF "key added as user key keyhandover:$NAME"'
	gcheck "restore --to-keyring opened nothing itself" \
		[ ! -e "/dev/mapper/$NAME" ]
	say "cryptsetup 2.7 open --volume-key-keyring %user:keyhandover:$NAME"
	open_from_keyring ""
	gcheck "the restored key can be revoked after use" \
		$KEYCTL27 revoke "%user:keyhandover:$NAME"
	status_is 'consumed|empty' || fail "the region is neither consumed nor empty"
	cryptsetup close "$NAME" || fail "cryptsetup close"
	mark_stage checked
	checks_passed
	result kr27-ok
}

# One hop of the cross-version chain, in a kernel other than the last
# one's: take the key over into the keyring, open the volume with it (no
# passphrase), then stash it again by description for the next kernel.
stage_hop() {
	load_keyhandover
	say "kernel $(uname -r): keyhandover restore --to-keyring"
	restore_to_keyring "$(uname -r): "
	open_from_keyring "$(uname -r): "
	cryptsetup close "$NAME" || fail "cryptsetup close"
	say "keyhandover stash --keyring %user:keyhandover:$NAME $VOLUME"
	keyhandover stash --keyring "%user:keyhandover:$NAME" --name "$NAME" \
		"$VOLUME" || fail "keyhandover stash --keyring exited $?"
	gcheck "$(uname -r): the key revokes once stashed" \
		$KEYCTL27 revoke "%user:keyhandover:$NAME"
	mark_stage stashed
	checks_passed
	next_kernel
	if [ -n "$REST" ]; then
		load_and_kexec hop tool
	else
		load_and_kexec restore tool
	fi
}

# --- distro: Debian's own initramfs-tools in boot 2 -----------------------

# The root file system for boot 2, on the LUKS volume as crypttab's
# "cryptroot": ext2 with busybox, the content line, and a /sbin/init
# (kh-rootfs-init) that reports whether it runs from the unlocked volume.
make_rootfs() {
	say "putting a root file system on $VOLUME (opened with the passphrase)"
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" cryptroot ||
		fail "cryptsetup open"
	# LUKS2 volumes use 4 KiB sectors: the file system blocks must match.
	mke2fs -q -b 4096 /dev/mapper/cryptroot >/dev/null || fail "mke2fs"
	mkdir -p /mnt/root
	mount -t ext4 /dev/mapper/cryptroot /mnt/root || fail "mount the new root"
	for d in bin sbin dev proc sys run tmp etc; do
		mkdir -p "/mnt/root/$d"
	done
	cp /bin/busybox /mnt/root/bin/busybox &&
		cp /bin/kh-rootfs-init /mnt/root/sbin/init &&
		cp "$FIXTURES/content" /mnt/root/etc/kh-content &&
		cp "$FIXTURES/content" /mnt/root/etc/kh-content.expected ||
		fail "filling the new root"
	umount /mnt/root || fail "umount the new root"
	cryptsetup close cryptroot || fail "cryptsetup close"
	mark_stage volume-written
}

# Boot 1 of distro: `keyhandover reboot`, as a user runs it, with no
# DEVICE: it stashes from /etc/crypttab, as on an installed system (the
# root volume under its crypttab name, by UUID=, found by a scan: this
# guest has no udev; and two entries it must list as not handed over),
# loads Debian's initramfs (the boot disk's initrd.img) and, with no
# systemd here, kexecs at once. The host checks its output on the console.
stage_distroarm() {
	load_keyhandover
	make_rootfs
	uuid=$(cryptsetup luksUUID "$VOLUME") || fail "cryptsetup luksUUID"
	printf '%s\n' "# <target> <source> <key file> <options>" \
		"cryptroot UUID=$uuid none luks,discard" \
		"swap $BOOTDISK /dev/urandom swap,cipher=aes-xts-plain64,size=256" \
		"gone UUID=00000000-0000-4000-8000-0000000000aa none luks" \
		>/etc/crypttab
	unpack_boot
	REST=
	mark_stage loaded
	say "keyhandover reboot (no DEVICE: /etc/crypttab; passphrase on stdin)"
	pass=$(cat "$FIXTURES/passphrase")
	printf '%s\n' "$pass" | keyhandover reboot --kernel /tmp/boot/vmlinuz \
		--initrd /tmp/boot/initrd.img --append "$(next_cmdline distro)"
	fail "keyhandover reboot returned $?"
}

# Boot 1 of distro-negative: no stash; Debian's cryptroot must prompt.
stage_distronoarm() {
	load_keyhandover
	make_rootfs
	say "NOT stashing (negative control)"
	load_and_kexec distro tool
}

# --- planted: threat-model cases in one boot ------------------------------

CHECKS_FAILED=0

# gcheck DESCRIPTION COMMAND...: one result line for the host to count.
gcheck() {
	what=$1
	shift
	if "$@"; then
		say "ok - $what"
		printf 'KH-CHECK ok %s\n' "$what" >"$MARKER"
	else
		say "not ok - $what"
		printf 'KH-CHECK not-ok %s\n' "$what" >"$MARKER"
		CHECKS_FAILED=$((CHECKS_FAILED + 1))
	fi
}

region_block() {
	r=$(cmdline_arg memmap)
	echo $((${r#*\$} / 4096))
}

plant() {
	dd if="$1" of=/dev/mem bs=4096 seek="$(region_block)" count=1 \
		conv=notrunc 2>/dev/null
}

# The reserved range as /dev/mem shows it (only while no module holds
# it): a full page read, and not one byte of it non-zero. A failed read
# must not pass for an empty region.
# The copy may hold a stash (a key): overwritten in place before it goes,
# so that no test leaves a key in the guest's RAM for the host to find.
region_is_zero() {
	dd if=/dev/mem bs=4096 skip="$(region_block)" count=1 \
		of=/tmp/region.bin 2>/dev/null &&
		[ "$(wc -c </tmp/region.bin)" = 4096 ] &&
		[ "$(tr -d '\000' </tmp/region.bin | wc -c)" = 0 ]
	rz=$?
	dd if=/dev/zero of=/tmp/region.bin bs=4096 count=1 conv=notrunc 2>/dev/null
	rm -f /tmp/region.bin
	return $rz
}

ko_path() {
	echo "/lib/modules/$(uname -r)/extra/keyhandover.ko"
}

insmod_refused() {
	! insmod "$(ko_path)" "$@" 2>/dev/null && [ ! -e /dev/keyhandover ]
}

one_line() {
	[ "$(printf '%s\n' "$1" | wc -l)" = 1 ]
}

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

planted_region_cases() {
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

passphrase_still_opens() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" &&
		cryptsetup close "$NAME"
}

planted_restore_cases() {
	planted_case 11-stale-nonce 1 "stale hand-over" one
	gcheck "11: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	planted_case 06-key-size-not-the-volumes 1 \
		"key does not match the LUKS header" one
	gcheck "6: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	planted_case 26-wrong-key 1 "key does not match the LUKS header" one
	gcheck "26: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	gcheck "26: the passphrase still opens the volume" passphrase_still_opens
	planted_case 27-unknown-uuid-then-good 1 "no such device here, skipped"
	gcheck "27: the other volume was still opened" [ -b "/dev/mapper/$NAME" ]
	cryptsetup close "$NAME" 2>/dev/null
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup open with the passphrase"
	planted_case 28-good-key-already-open 0 "already open"
	gcheck "28: the open volume was left alone" [ -b "/dev/mapper/$NAME" ]
	cryptsetup close "$NAME" 2>/dev/null
	# Open under another name (crypttab's, say) counts as open too.
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" other ||
		fail "cryptsetup open as other"
	planted_case 28-good-key-already-open 0 "already open as /dev/mapper/other"
	gcheck "28: no second mapping of the volume" [ ! -e "/dev/mapper/$NAME" ]
	cryptsetup close other 2>/dev/null
}

# Bytes of key quota root uses now (/proc/key-users: "0: usage
# nkeys/inst qnkeys/maxkeys qnbytes/maxbytes").
root_key_bytes() {
	awk '$1 == "0:" { split($5, q, "/"); print q[1] }' /proc/key-users
}

# restore --to-keyring in the new kernel, on a good planted stash.
planted_keyring_cases() {
	for c in 30-same-description 29-quota-exhausted to-keyring-open; do
		cp /tmp/plant/28-good-key-already-open "/tmp/plant/$c"
	done
	# Case 30: someone else's key under our description stays as it is.
	ring=$($KEYCTL newring keyhandover @u) || fail "keyctl newring"
	printf unrelated | $KEYCTL padd user "keyhandover:$NAME" "$ring" >/dev/null
	RESTORE_ARGS="--to-keyring "
	planted_case 30-same-description 1 \
		"is in the keyring already: left as it is" one
	gcheck "30: the other key's payload is unchanged" \
		[ "$($KEYCTL pipe "%user:keyhandover:$NAME")" = unrelated ]
	gcheck "30: the volume was not opened" [ ! -e "/dev/mapper/$NAME" ]
	$KEYCTL unlink "$ring" @u >/dev/null
	# Case 29: no quota left for even one more byte.
	max=$(cat /proc/sys/kernel/keys/root_maxbytes)
	root_key_bytes >/proc/sys/kernel/keys/root_maxbytes
	planted_case 29-quota-exhausted 1 "key quota exhausted" one
	echo "$max" >/proc/sys/kernel/keys/root_maxbytes
	gcheck "29: the passphrase still opens the volume" passphrase_still_opens
	# --open: the tool opens the volume itself and revokes the key.
	RESTORE_ARGS="--to-keyring @u --key-timeout 30 --open "
	planted_case to-keyring-open 0 "key keyhandover:$NAME revoked"
	gcheck "--open: the volume is open" [ -b "/dev/mapper/$NAME" ]
	gcheck "--open: the key is no longer in the keyring" \
		eval '! $KEYCTL search @u user "keyhandover:$NAME" >/dev/null 2>&1'
	RESTORE_ARGS=
	cryptsetup close "$NAME" 2>/dev/null
}

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
planted_sigkill_cases() {
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

# Ask the host (run.sh serve_dumps) to dump the region as "TAG": it
# stops the guest, saves the region with pmemsave and lets it go on. The
# guest cannot tell when that happened, so it waits, then says
# KH-DUMP-END; the host takes a dump only while that line is not out yet.
request_dump() {
	echo "KH-DUMP $1" >"$MARKER"
	sleep 6
	echo "KH-DUMP-END $1" >"$MARKER"
	sleep 1 # the line out of the UART before anything changes
}

# While the module holds the range, /dev/mem (IO_STRICT_DEVMEM) must not
# read it; after an unload while armed it must read zeroes. Case 17: the
# host compares the region's bytes before and after the refused arms
# (the ioctl's EBUSY and the tool's refusal), and, as the control, after
# a real arm of the stash the ioctl was refused.
planted_lifecycle_cases() {
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
	load_keyhandover
	iface_test arm-other
	request_dump 17-other
	rmmod keyhandover || fail "rmmod keyhandover"
}

# A fake installed system for `load --dry-run --root`: Debian 12's GRUB
# layout (header, a simple entry, a submenu), GRUB_DEFAULT=saved and a
# grubenv naming a submenu entry by its id path, as grub-set-default does.
fake_grub_root() {
	r=/tmp/fakeroot
	mkdir -p $r/boot/grub
	for f in vmlinuz-6.1.0-18-amd64 initrd.img-6.1.0-18-amd64 \
		vmlinuz-6.1.0-9-amd64 initrd.img-6.1.0-9-amd64; do
		echo fake >"$r/boot/$f"
	done
	cat >$r/boot/grub/grub.cfg <<'EOF_GRUB'
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
else
   set default="${saved_entry}"
fi
menuentry 'Debian GNU/Linux' $menuentry_id_option 'gnulinux-simple-u' {
	linux	/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/cryptroot ro quiet
	initrd	/boot/initrd.img-6.1.0-18-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-u' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-9-amd64' $menuentry_id_option 'gnulinux-6.1.0-9-amd64-advanced-u' {
		linux	/vmlinuz-6.1.0-9-amd64 root=/dev/mapper/cryptroot ro
		initrd	/initrd.img-6.1.0-9-amd64
	}
}
EOF_GRUB
	printf 'saved_entry=gnulinux-advanced-u>gnulinux-6.1.0-9-amd64-advanced-u\n' \
		>$r/boot/grub/grubenv
}

# `load --dry-run`: what the boot loader would boot, the region's memmap=
# and keyhandover.region= added, the stash's nonce; nothing loaded, the
# stash kept. A grubenv naming nothing fails, and still wipes nothing.
planted_dry_run_cases() {
	load_keyhandover
	fake_grub_root
	stash_quiet || fail "stash for the dry run"
	region=$(cmdline_arg memmap)
	out=$(keyhandover load --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "load --dry-run exits 0" [ "$rc" = 0 ]
	gcheck "load --dry-run: GRUB's saved entry, in the submenu" \
		eval 'printf "%s\n" "$out" | grep -qxF "kernel: /tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64"'
	gcheck "load --dry-run: its initrd" \
		eval 'printf "%s\n" "$out" | grep -qxF "initrd: /tmp/fakeroot/boot/initrd.img-6.1.0-9-amd64"'
	want="command line: root=/dev/mapper/cryptroot ro memmap=$region keyhandover.region=$region keyhandover.nonce="
	gcheck "load --dry-run: the entry's command line, memmap= and keyhandover.region= added, the nonce" \
		eval 'printf "%s\n" "$out" | grep -F "$want" | grep -qE "nonce=[0-9a-f]{32}\$"'
	gcheck "load --dry-run names where the choice came from" \
		eval 'printf "%s\n" "$out" | grep -qF "chosen from: GRUB saved_entry"'
	gcheck "load --dry-run loaded nothing" \
		eval '[ "$(cat /sys/kernel/kexec_loaded)" = 0 ]'
	gcheck "load --dry-run kept the stash" status_is armed
	printf 'saved_entry=no such entry\n' >/tmp/fakeroot/boot/grub/grubenv
	out=$(keyhandover load --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "load --dry-run, a saved entry naming nothing: exit 1, one line" \
		eval '[ "$rc" = 1 ] && one_line "$out" && printf "%s\n" "$out" | grep -qF "names no menu entry"'
	gcheck "... and the stash is kept (a dry run changes nothing)" status_is armed
	keyhandover wipe >/dev/null
	rmmod keyhandover || fail "rmmod keyhandover"
}

# `reboot --dry-run`: what it would stash (from a crypttab), load and run,
# with nothing done; and its refusal where keyhandover is not set up.
planted_reboot_dry_run_cases() {
	load_keyhandover
	fake_grub_root
	uuid=$(cryptsetup luksUUID "$VOLUME")
	printf '%s\n' "cryptroot UUID=$uuid none luks" \
		"swap /dev/vdb /dev/urandom swap" >/tmp/crypttab.test
	out=$(keyhandover reboot --dry-run --root /tmp/fakeroot \
		--crypttab /tmp/crypttab.test 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "reboot --dry-run exits 0" [ "$rc" = 0 ]
	gcheck "reboot --dry-run: the crypttab volume it would stash" \
		eval 'printf "%s\n" "$out" | grep -qF "would stash /dev/disk/by-uuid/$uuid as cryptroot"'
	gcheck "reboot --dry-run: the entry it would not, with the reason" \
		eval 'printf "%s\n" "$out" | grep -qF "crypttab line 2: swap (/dev/vdb) not handed over: swap with a throw-away key"'
	gcheck "reboot --dry-run: the boot loader's kernel" \
		eval 'printf "%s\n" "$out" | grep -qxF "kernel: /tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64"'
	gcheck "reboot --dry-run: memmap= added to the entry's command line" \
		eval 'printf "%s\n" "$out" | grep -qF "command line: root=/dev/mapper/cryptroot ro memmap=$(cmdline_arg memmap) keyhandover.region="'
	gcheck "reboot --dry-run: how it would reboot (no systemd here)" \
		eval 'printf "%s\n" "$out" | grep -qF "then: kexec at once (no systemd)"'
	gcheck "reboot --dry-run stashed nothing" status_is empty
	gcheck "reboot --dry-run loaded nothing" \
		eval '[ "$(cat /sys/kernel/kexec_loaded)" = 0 ]'
	rmmod keyhandover || fail "rmmod keyhandover"
	out=$(keyhandover reboot --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "reboot without the module: exit 1, one line, 'not set up'" \
		eval '[ "$rc" = 1 ] && one_line "$out" && printf "%s\n" "$out" | grep -qF "keyhandover is not set up here"'
}

# `setup`: the region from this guest's firmware memory map, the GRUB
# drop-in written under --root (no update-grub there), idempotent; and
# `setup --check` on this boot, whose command line has memmap= but no
# keyhandover.region= (busybox insmod gets region= directly).
planted_setup_cases() {
	r=/tmp/fakeroot
	f=$r/etc/default/grub.d/keyhandover.cfg
	out=$(keyhandover setup --dry-run --root $r 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup --dry-run exits 0 and writes nothing" \
		eval '[ "$rc" = 0 ] && [ ! -e "$f" ]'
	gcheck "setup --dry-run shows the drop-in with the escaped memmap=" \
		eval 'printf "%s\n" "$out" | grep -qF "memmap=4K\\\\\\\$0x7000000 keyhandover.region=4K\\\\\\\$0x7000000"'
	out=$(keyhandover setup --root $r 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup writes the drop-in under --root" \
		eval '[ "$rc" = 0 ] && grep -q "^GRUB_CMDLINE_LINUX=" "$f"'
	gcheck "setup picked 112 MiB, RAM in this guest's firmware map" \
		eval 'printf "%s\n" "$out" | grep -qxF "region: 4K\$0x7000000"'
	gcheck "setup says what to do next" \
		eval 'printf "%s\n" "$out" | grep -qF "reboot once"'
	out=$(keyhandover setup --root $r 2>&1)
	gcheck "setup again changes nothing" \
		eval 'printf "%s\n" "$out" | grep -qF "already set up"'
	load_keyhandover
	out=$(keyhandover setup --check 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup --check: memmap= on this kernel's command line" \
		eval 'printf "%s\n" "$out" | grep -qF "ok: this kernel was booted with memmap="'
	gcheck "setup --check: the region reserved, the module holding it" \
		eval 'printf "%s\n" "$out" | grep -qF "ok: the region is reserved" && printf "%s\n" "$out" | grep -qF "ok: the module holds it"'
	gcheck "setup --check: keyhandover.region= missing here, exit 1" \
		eval '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -qF "missing: keyhandover.region="'
	rmmod keyhandover || fail "rmmod keyhandover"
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

planted_interface_cases() {
	load_keyhandover
	iface_test
	rmmod keyhandover || fail "rmmod keyhandover"
	# Case 15: a read into a bad pointer still consumes the stash.
	plant /tmp/plant/28-good-key-already-open || fail "planting"
	load_keyhandover
	iface_test read-efault
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "15: region is zero after the failed read" region_is_zero
}

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

# Case 2 of the review: a stash the module will not keep is gone at load,
# when the module refuses its parameters (while the region is still
# readable through /dev/mem, the module not holding it) and when it loads
# with no nonce or another one.
planted_param_cases() {
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
	plant "$good" || fail "planting"
	KH_BARE=1 load_keyhandover
	gcheck "2: loaded with no nonce, a valid stash is refused at once" \
		eval 'keyhandover status | grep -q "^last wiped: at module load: not for this kernel"'
	rmmod keyhandover || fail "rmmod keyhandover"
	plant /tmp/plant/11-stale-nonce || fail "planting"
	load_keyhandover
	gcheck "11: another kexec's stash is refused at load, not left waiting" \
		eval 'keyhandover status | grep -q "^last wiped: at module load: not for this kernel" &&
			! keyhandover status | grep -q "^wiped in:"'
	rmmod keyhandover || fail "rmmod keyhandover"
}

# Case 1 of the review, last in the boot (lockdown only ever goes up):
# under integrity lockdown a logon key is still taken (root can read
# kernel memory there anyway); under confidentiality it is refused.
planted_lockdown_cases() {
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

stage_planted() {
	mkdir -p /tmp/plant
	tar -x -f "$BOOTDISK" -C /tmp/plant || fail "unpacking $BOOTDISK"
	planted_bad_regions
	planted_interface_cases
	planted_region_cases
	planted_restore_cases
	planted_keyring_cases
	planted_dry_run_cases
	planted_reboot_dry_run_cases
	planted_setup_cases
	planted_sigkill_cases
	planted_lifecycle_cases
	planted_param_cases
	planted_sleep_cases
	planted_lockdown_cases
	mark_stage checked
	[ "$CHECKS_FAILED" = 0 ] || fail "$CHECKS_FAILED checks failed"
	result planted-ok
}

# --- debug: the module under the debug kernel (tests/qemu/debug.config) --

DEBUGFS=/sys/kernel/debug
# What any detector of the debug kernel, or a WARN, prints.
DEBUG_REPORTS='WARNING:|BUG:|UBSAN:|KASAN:|KFENCE:|possible recursive|circular locking|unreferenced object|inconsistent lock state|ODEBUG:|sleeping function called'

# Only messages up to LEVEL go to the console (the serial port is slow
# under TCG, and injected page allocation failures print a stack trace
# each); dmesg keeps everything, and it is dmesg that is searched.
console_level() {
	echo N >/sys/module/printk/parameters/ignore_loglevel &&
		dmesg -n "$1"
}

kmemleak() {
	echo "$1" >"$DEBUGFS/kmemleak"
}

dmesg_has() {
	dmesg | grep -q -- "$1"
}

# Nothing any detector reported, in all of this boot's kernel log (the
# log buffer is large enough: log_buf_len= on the command line).
no_reports() {
	dmesg | grep -E "$DEBUG_REPORTS" >/tmp/reports
	[ ! -s /tmp/reports ] && return 0
	head -n 40 /tmp/reports
	return 1
}

# kmemleak reports an object once two scans in a row found it
# unreferenced and unchanged, and only objects older than 5 s.
no_leaks() {
	sleep 5
	kmemleak scan && kmemleak scan || return 1
	cat "$DEBUGFS/kmemleak" >/tmp/leaks || return 1
	[ ! -s /tmp/leaks ] && return 0
	head -n 60 /tmp/leaks
	return 1
}

stage_debug() {
	region=$(cmdline_arg memmap)
	mount -t debugfs debugfs "$DEBUGFS" || fail "mounting debugfs"
	gcheck "debug kernel: KASAN initialized" \
		dmesg_has 'KernelAddressSanitizer initialized'
	gcheck "debug kernel: KFENCE initialized" dmesg_has 'kfence: initialized'
	gcheck "debug kernel: lockdep on (/proc/lockdep)" [ -r /proc/lockdep ]
	gcheck "debug kernel: fault injection (failslab, fail_page_alloc, fail_usercopy, fail-nth)" \
		eval '[ -d $DEBUGFS/failslab ] && [ -d $DEBUGFS/fail_page_alloc ] &&
			[ -d $DEBUGFS/fail_usercopy ] && [ -w /proc/self/fail-nth ]'
	# What the kernel leaked before the test is not the module's.
	gcheck "debug kernel: kmemleak takes commands (scan, clear)" \
		eval 'kmemleak scan && kmemleak clear'
	console_level 5 || fail "quieting the console"
	load_keyhandover
	iface_test
	tap_run race /bin/kh-stress-test race 20 "$(ko_path)" "$region"
	gcheck "race: the 1 s arm timeout wiped stashes during the race" \
		dmesg_has 'stash not collected in time: region wiped'
	tap_run cycles /bin/kh-stress-test cycles 1000 "$region"
	rmmod keyhandover || fail "rmmod keyhandover"
	gcheck "region is zero after the unload" region_is_zero
	console_level 4 || fail "quieting the console"
	tap_run faults /bin/kh-stress-test faults "$(ko_path)" "$region"
	[ ! -e /sys/module/keyhandover ] || rmmod keyhandover
	gcheck "region is zero at the end, the module unloaded" \
		eval '[ ! -e /sys/module/keyhandover ] && region_is_zero'
	gcheck "kmemleak: nothing reported after the unload (two scans)" no_leaks
	gcheck "dmesg: no KASAN, KFENCE, UBSAN, lockdep, debugobjects or kmemleak report, no WARN or BUG" \
		no_reports
	mark_stage checked
	[ "$CHECKS_FAILED" = 0 ] || fail "$CHECKS_FAILED checks failed"
	result debug-ok
}

# --- bench: timings for `make bench` (tests/bench/run.sh) -----------------

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

stage_mkroot() {
	cryptsetup open --key-file "$FIXTURES/passphrase" "$VOLUME" mkroot ||
		fail "cryptsetup open with the passphrase"
	case $(cmdline_arg kh.mkroot) in
	image)
		dd if="$BOOTDISK" of=/dev/mapper/mkroot bs=1M 2>/dev/null ||
			fail "copying the root file system into the volume" ;;
	delta) mkroot_delta ;;
	*) fail "kh.mkroot= is neither image nor delta" ;;
	esac
	cryptsetup close mkroot || fail "cryptsetup close"
	sync
	mark_stage copied
	result mkroot-ok
}

mkroot_delta() {
	mkdir -p /mnt
	mount -t ext4 /dev/mapper/mkroot /mnt || fail "mounting the root file system"
	tar -x -f "$BOOTDISK" -C /mnt || fail "unpacking the change onto the root"
	if [ -f /mnt/.kh-whiteouts ]; then
		while IFS= read -r f; do
			rm -rf "/mnt/$f" || fail "deleting $f"
		done </mnt/.kh-whiteouts
		rm -f /mnt/.kh-whiteouts
	fi
	umount /mnt || fail "unmounting the root file system"
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
	printf 'KH-KERNEL %s %s\n' "$STAGE" "$(uname -r)"
	load_modules
	mark_stage modules-loaded
	case $STAGE in
	arm | restore | noarm | negative | rearm | stale | probe | probe2 | planted | \
		armthen | bench | nomodule | krarm | kr27arm | kr27restore | hop | \
		distroarm | distronoarm | mkroot | foreign | passon | passon2 | \
		resetarm | efi | debug)
		"stage_$STAGE" ;;
	*) fail "unknown kh.stage='$STAGE'" ;;
	esac
	finish
}

main
