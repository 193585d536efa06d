# shellcheck shell=bash
# distro: Debian's own initramfs-tools opens the root with the hand-over
# Boot 1 (busybox) runs `keyhandover reboot` against a crypttab naming
# the volume cryptroot; boot 2 is Debian's mkinitramfs image with
# cryptsetup-initramfs and keyhandover's hook and boot script, whose
# cryptroot must never ask for the passphrase (the run stops at once if
# it does: nobody would be there to type).
STAGES="distroarm distro"
MARKER=distro-ok
IMAGE=distro
VOLUME_UUID=$DISTRO_UUID
APPEND=" root=/dev/mapper/cryptroot keyhandover.region=$KH_REGION"
NEVER_PROMPT='Please unlock disk cryptroot'
RAM_CHECK="boot 2 runs from the open volume, whose key dm-crypt holds"
LANE=1
# In make test for Debian 12: its 6.1 kernel and its own mkinitramfs
# (cryptsetup 2.6) open root from the hand-over; the whole Debian 12
# system is a named run (tests/system/run.sh system: docs/testing.md).

scenario_checks() {
	local d=$1
	check "distro: keyhandover reboot stashed the crypttab root volume as cryptroot" \
		console_has "$d" "as cryptroot ($DISTRO_UUID)"
	check "distro: ... listed the swap entry with its reason" \
		console_has "$d" "crypttab line 3: swap (/dev/vdb) not handed over: swap with a throw-away key"
	check "distro: ... listed the missing volume with its reason" \
		console_has "$d" "crypttab line 4: gone (UUID=00000000-0000-4000-8000-0000000000aa) not handed over: no LUKS device with this UUID here"
	check "distro: ... listed the second line named cryptroot with its reason" \
		console_has "$d" "crypttab line 5: cryptroot (UUID=$DISTRO_UUID) not handed over: an earlier line has this name"
	check "distro: ... a line left out (noauto) with its reason" \
		console_has "$d" "crypttab line 6: twice (UUID=00000000-0000-4000-8000-0000000000bb) not handed over: noauto (not opened at boot)"
	check "distro: ... and the next line of its name too: the first line of a name keeps it" \
		console_has "$d" "crypttab line 7: twice (UUID=00000000-0000-4000-8000-0000000000bb) not handed over: an earlier line has this name"
	check "distro: ... and, with no systemd, kexecd at once" \
		console_has "$d" "then: kexec at once (no systemd)"
	check "distro: Debian's initramfs ran keyhandover's boot script, which opened the volume" \
		console_has "$d" 'keyhandover: volumes opened from the hand-over'
	check "distro: cryptroot never asked for the passphrase" \
		eval '! console_has "$d" "Please unlock disk cryptroot"'
}
