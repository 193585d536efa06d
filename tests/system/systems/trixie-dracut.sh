# shellcheck shell=bash
# trixie-dracut: Debian 13 switched to dracut (installing the dracut
# package replaces initramfs-tools), with Debian's default generic image
# (hostonly="no"): systemd and systemd-cryptsetup in the initramfs, root
# named on the kernel's command line (rd.luks.uuid=, rd.luks.name=) as
# dracut's generic images need, with rd.luks.options= giving
# systemd-cryptsetup link-volume-key= at the cold boot. The data disk is
# not on the command line: systemd-cryptsetup opens it after the switch
# to the real root, from /etc/crypttab.
SUITE=trixie
DESCRIPTION="Debian 13 with dracut"
system_kernel() {
	local v
	v=$(kh_trixie_kvers) || return 1
	printf '%s\n' "${v%% *}"
}
# Trixie's base (the same packages as trixie.sh), then dracut over it.
EXTRA_PKGS="systemd-cryptsetup zstd"
VARIANT_PKGS=dracut
INITRAMFS=dracut
# systemd asks for root's passphrase in the initramfs.
COLD_PROMPT='Please enter passphrase for disk'
KEY_DESC=keyhandover:cryptroot
CRYPTTAB_OPTIONS=luks,discard,link-volume-key=@u::%logon:$KEY_DESC
system_cmdline() {
	printf 'rd.luks.uuid=%s rd.luks.name=%s=cryptroot rd.luks.options=link-volume-key=@u::%%logon:%s' \
		"$UUID" "$UUID" "$KEY_DESC"
}
DATA=yes
