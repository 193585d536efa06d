# shellcheck shell=bash
# upstream: the RFC series' KEYCTL_PRESERVE_KEXEC round trip, no module
# The KHO test kernel carries upstream/'s patches (tests/lib/debian.sh
# kh_kho_source). Boot 1: cryptsetup 2.7 opens the volume and links its
# key as a logon key, which is marked and kexec'd over with Kexec
# HandOver; boot 2: the key is in .kexec, cryptsetup 2.7 opens the volume
# from it, then lockdown=confidentiality refuses a mark. The series'
# KUnit suite runs at both boots.
STAGES="uparm uprestore"
MARKER=upstream-ok
IMAGE=upstream
BACKEND=kho
# No module in either boot: nothing of the region to check.
REGION_CHECKS=no
# All RAM is searched, by this scenario's own check below: the old
# kernel's logon key is alive at its kexec by design.
RAM_CHECK=own
LANE=1
# Last in its lane: on a cold cache make test is still building its
# kernel when the lane starts.
ORDER=90

# The kernel's own lines: the KUnit suite passed in both boots, boot 1
# handed the key over and boot 2 restored it.
kunit_passed_twice() {
	[ "$(strip_cr "$1/console.log" | grep -cE '^\[ *[0-9.]+\] *ok [0-9]+ keys-kexec-handover$')" = 2 ] &&
		! strip_cr "$1/console.log" | grep -E 'not ok [0-9]+ ' >&2
}

# Offsets in dump $1 where one half of the volume key starts. Not -z:
# GNU grep 3.8's -b with -z reported an offset 437 MiB off in a 1 GiB
# dump (the halves hold no newline byte: run.sh makes sure).
key_offsets() {
	LC_ALL=C grep -obaF -f "$WORK/vk.halves" -- "$1" | cut -d: -f1 | sort -un
}

# The 32 bytes at offset $2 of dump $1.
bytes_at() {
	dd if="$1" bs=4096 iflag=skip_bytes,count_bytes skip="$2" count=32 2>/dev/null
}

# Every copy of the key in RAM at the end of boot 2 sits where boot 1
# held the same bytes the moment before its kexec (ram-kexec.bin): the
# old kernel's heap, which the new kernel never overwrote. A copy
# anywhere else is one boot 2 made and left: the handed-over record (the
# folio, written by the reboot notifier after that dump), the restored
# key, cryptsetup's reads, dm-crypt's table.
only_old_residue() {
	local end=$1 before=$2 off n=0
	[ -f "$end" ] && [ -f "$before" ] || return 1
	for off in $(key_offsets "$end"); do
		cmp -s <(bytes_at "$end" "$off") <(bytes_at "$before" "$off") || {
			echo "a copy at $off that boot 1 did not hold there" >&2
			return 1
		}
		n=$((n + 1))
	done
	RESIDUE=$n
}

# Control: the check above passes a copy where the dump before the kexec
# held the same bytes and flags one where it held something else.
residue_check_tells() {
	local t=$WORK/residue-control
	mkdir -p "$t"
	head -c 8192 /dev/zero >"$t/before"
	cp "$t/before" "$t/end"
	head -n 1 "$WORK/vk.halves" | tr -d '\n' |
		dd of="$t/end" bs=1 seek=4096 conv=notrunc 2>/dev/null
	! only_old_residue "$t/end" "$t/before" 2>/dev/null &&
		cp "$t/end" "$t/before" &&
		only_old_residue "$t/end" "$t/before" && [ "$RESIDUE" = 1 ]
}

scenario_checks() {
	[ "$RAMDUMP" = 1 ] || {
		note "upstream: no RAM check: KH_RAMDUMP=0"
		return 0
	}
	check "upstream: all RAM dumped before the kexec, in time" \
		grep -qx 'ram-kexec in-time' "$1/dumps.log"
	# Control: that dump sees the logon key, so the search can find it.
	check "upstream: control: the key is in RAM before the kexec" \
		ram_has_key "$1/ram-kexec.bin"
	check "upstream: control: the residue check flags a copy boot 1 did not hold" \
		residue_check_tells
	check "upstream: RAM at the end holds no copy of the key but boot 1's own residue" \
		only_old_residue "$1/ram.bin" "$1/ram-kexec.bin"
	[ "$LAST_OK" = 0 ] ||
		note "upstream: key halves left in RAM from boot 1's heap (its live logon key): $RESIDUE"
	[ "$KEEP" = 1 ] || rm -f "$1/ram-kexec.bin"
	check "upstream: the series' KUnit suite passed at both boots" \
		kunit_passed_twice "$1"
	check "upstream: boot 1 handed the marked key over" \
		console_has "$1" 'keys: kexec: 1 of 1 marked keys handed over'
	check "upstream: boot 2 restored it into .kexec" \
		console_has "$1" 'keys: kexec: 1 of 1 handed-over keys restored into .kexec'
	check "upstream: the refused mark under lockdown is logged" \
		console_has "$1" 'handing keys to the next kernel is restricted'
}
