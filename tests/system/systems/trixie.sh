# shellcheck shell=bash
# trixie: Debian 13 (stable), its 6.12 kernel, initramfs-tools' cryptroot
# systemd 257 and cryptsetup 2.7. Root's crypttab line carries systemd's
# link-volume-key=: Debian's cryptroot ignores it at a cold boot (it warns
# "ignoring unknown option"), and keyhandover restore honours it after
# every kexec, so the chain needs the passphrase once after a cold boot.
SUITE=trixie
DESCRIPTION="Debian 13"
# trixie's kernel, the first of the chain's (tests/lib/debian.sh).
system_kernel() {
	local v
	v=$(kh_trixie_kvers) || return 1
	printf '%s\n' "${v%% *}"
}
# zstd: Debian 13's initramfs-tools compresses with it (without it,
# gzip -9, much slower under TCG when the upgrade makes an initramfs).
EXTRA_PKGS="systemd-cryptsetup zstd"
# The logon key root's volume key is linked as (the chain's checks look
# for it in @u).
KEY_DESC=keyhandover:cryptroot
CRYPTTAB_OPTIONS=luks,discard,initramfs,link-volume-key=@u::%logon:$KEY_DESC
# The kernel upgrade: trixie-backports' kernel (the chain's second),
# offered in a local repository inside the image (tests/lib/debian.sh
# kh_upgrade_repo), with room to install it.
system_upgrade_kernel() {
	local v
	v=$(kh_trixie_kvers) || return 1
	printf '%s\n' "${v##* }"
}
EXTRA_MB=800
# A data disk beside root (tests/system/run.sh configure_data).
DATA=yes
# initramfs-tools' MODULES=dep for the initramfs the guest makes (the
# upgrade's): the modules this machine needs, not most of them, as a
# server's administrator may set it. Under TCG the default (most) took
# 381 s of the upgrade to make the initramfs, and every boot from it
# unpacks and probes it. The chroot install keeps the default: MODULES=dep
# cannot tell the root device there.
MODULES_DEP=yes
# After the install, a purge in a chroot of the installed system must
# leave nothing behind (tests/system/run.sh purge_leaves_nothing).
PURGE_TEST=yes
