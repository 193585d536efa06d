#!/bin/bash
# dracut module: keyhandover's module and tool, and a unit that restores
# the volume keys handed over through kexec before systemd-cryptsetup runs.
# Installed as /usr/lib/dracut/modules.d/90keyhandover/.
#
# systemd-cryptsetup@NAME.service is ordered after cryptsetup-pre.target
# and returns at once when NAME is already active ("Volume NAME already
# active."): keyhandover-restore.service, before cryptsetup-pre.target,
# opens the volumes under their crypttab names so there is no prompt.

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

installkernel() {
	instmods keyhandover dm_mod dm_crypt
}

install() {
	inst_binary "$(command -v keyhandover)" /usr/sbin/keyhandover
	inst_multiple modprobe udevadm
	# `keyhandover restore` links each volume key where its crypttab
	# line's link-volume-key= says: every line, also those of volumes
	# opened later by the system, which restore opens too. A copy of its
	# own: systemd-cryptsetup-generator reads the initramfs's
	# /etc/crypttab, and must not be given the lines dracut leaves out.
	if [[ -f $dracutsysrootdir/etc/crypttab ]]; then
		inst_simple /etc/crypttab /etc/keyhandover/crypttab
	fi
	local unit
	mkdir -p "$initdir$systemdsystemunitdir/cryptsetup-pre.target.wants"
	for unit in keyhandover-early.service keyhandover-restore.service; do
		inst_simple "$moddir/$unit" "$systemdsystemunitdir/$unit"
		ln_r "$systemdsystemunitdir/$unit" \
			"$systemdsystemunitdir/cryptsetup-pre.target.wants/$unit"
	done
}
