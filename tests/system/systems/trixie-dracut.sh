# shellcheck shell=bash
# trixie-dracut: Debian 13 switched to dracut (installing the dracut
# package replaces initramfs-tools), with Debian's default generic image
# (hostonly="no"): systemd and systemd-cryptsetup in the initramfs, root
# named on the kernel's command line (rd.luks.uuid=, rd.luks.name=) as
# dracut's generic images need, with rd.luks.options= giving
# systemd-cryptsetup link-volume-key= at the cold boot, and the discard
# root's crypttab line has (a generic image reads no crypttab; restore,
# after a kexec, applies the line's). The data disk is
# not on the command line: systemd-cryptsetup opens it after the switch
# to the real root, from /etc/crypttab.
#
# Everything else is trixie's, read from its file: the same kernel and
# packages, so the same cached base, which this system copies once with
# dracut installed over it (VARIANT_PKGS; tests/lib/debian.sh
# kh_system_variant).
# shellcheck source=trixie.sh
. "$SYSTEM_DIR/trixie.sh"
DESCRIPTION="Debian 13 with dracut"
VARIANT_PKGS=dracut
INITRAMFS=dracut
# systemd asks for root's passphrase in the initramfs.
COLD_PROMPT='Please enter passphrase for disk'
CRYPTTAB_OPTIONS=luks,discard,link-volume-key=@u::%logon:$KEY_DESC
system_cmdline() {
	printf 'rd.luks.uuid=%s rd.luks.name=%s=cryptroot rd.luks.options=discard,link-volume-key=@u::%%logon:%s' \
		"$UUID" "$UUID" "$KEY_DESC"
}
# The purge is trixie's check (the same packages, postrm and trigger);
# here it would only add dracut's rebuild in a chroot to make test's
# longest lane.
PURGE_TEST=no
