#!/bin/bash
# dracut module: keyhandover's module and tool, and a unit that restores
# the volume keys handed over through kexec before systemd-cryptsetup runs.
# Installed as /usr/lib/dracut/modules.d/90keyhandover/.
#
# systemd-cryptsetup@NAME.service is ordered after cryptsetup-pre.target
# and returns at once when NAME is already active ("Volume NAME already
# active."): keyhandover-restore.service, before cryptsetup-pre.target,
# opens the volumes under their crypttab names so there is no prompt.
# (The first boot of a dracut image, issue 14, found that enabling the
# units in cryptsetup-pre.target.wants ran neither: see install.)
#
# shellcheck disable=SC2154 # initdir, moddir, dracutsysrootdir and
# systemdsystemunitdir are dracut's, set when it sources this file.

# Only with the tool installed; not by default in a host-only image
# unless the tool is there.
check() {
	require_binaries keyhandover || return 1
	return 0
}

depends() {
	echo systemd crypt
	return 0
}

# hostonly='': in a host-only image instmods takes only the modules loaded
# on the build host, and keyhandover.ko is loaded by these units alone: an
# image without it would restore nothing and, worse, load no module to wipe
# a stash the kexec carried. -c: say so when it cannot be installed.
installkernel() {
	hostonly='' instmods dm_mod dm_crypt
	hostonly='' instmods -c keyhandover ||
		dwarn "keyhandover: no keyhandover.ko for $kernel (DKMS not built for it?): this image can neither restore nor wipe a hand-over"
}

install() {
	local tool top share cut
	tool=$(command -v keyhandover)
	inst_binary "$tool" /usr/sbin/keyhandover
	inst_multiple modprobe udevadm
	# `keyhandover restore` opens each handed-over volume with its
	# crypttab line's dm-crypt options (discard, readonly, ...), as
	# systemd-cryptsetup would have, and links its key where the line's
	# link-volume-key= says: every line, also those of volumes opened
	# later by the system, which restore opens too. A file of its own:
	# systemd-cryptsetup-generator reads the initramfs's /etc/crypttab,
	# and must not be given the lines dracut leaves out. Each line cut to
	# "name source none [OPTIONS]" by crypttab-initramfs.awk, as the
	# initramfs-tools hook cuts them (see there): no key file path and no
	# other option goes into the image. It is found as the hook finds it.
	top=$(readlink -f "$tool") && top=${top%/*/*}
	share=$top/share/keyhandover/crypttab-initramfs.awk
	cut=$share
	[[ -f $cut ]] || cut=$top/integration/crypttab-initramfs.awk
	# Without the copy restore reads the image's /etc/crypttab, dracut's:
	# only the lines dracut put there, if any. A half-written copy is
	# removed: restore would read it.
	local without="restore reads the image's /etc/crypttab instead, which holds only the lines dracut put there (if any): no crypttab option applied and no volume key linked for the other volumes"
	if [[ -f $dracutsysrootdir/etc/crypttab && ! -f $cut ]]; then
		dwarn "keyhandover: no $share (make install-tool installs it): $without"
	elif [[ -f $dracutsysrootdir/etc/crypttab ]] &&
		! (mkdir -p "$initdir/etc/keyhandover" && umask 077 &&
			LC_ALL=C awk -f "$cut" "$dracutsysrootdir/etc/crypttab" \
				>"$initdir/etc/keyhandover/crypttab"); then
		rm -f "$initdir/etc/keyhandover/crypttab"
		dwarn "keyhandover: cannot write /etc/keyhandover/crypttab into the initramfs: $without"
	fi
	# Pulled in by sysinit.target, which every initramfs boot starts:
	# cryptsetup-pre.target is passive (nothing starts it unless a unit
	# wants it), so its .wants would never run them. The units want it
	# themselves and are ordered before it, which keeps every
	# systemd-cryptsetup@ unit waiting for them.
	local unit
	mkdir -p "$initdir$systemdsystemunitdir/sysinit.target.wants"
	for unit in keyhandover-early.service keyhandover-restore.service; do
		inst_simple "$moddir/$unit" "$systemdsystemunitdir/$unit"
		ln_r "$systemdsystemunitdir/$unit" \
			"$systemdsystemunitdir/sysinit.target.wants/$unit"
	done
}
