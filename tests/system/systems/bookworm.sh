# shellcheck shell=bash
# bookworm: Debian 12 (oldstable), its 6.1 kernel, initramfs-tools' cryptroot
# The system the suite first proved the hand-over on: every reboot asks
# the passphrase before the kexec (no key is linked into a keyring here).
SUITE=bookworm
DESCRIPTION="Debian 12"
# The host's own kernel ABI (tests/lib/debian.sh kh_kernel_version).
system_kernel() {
	kh_kernel_version
}
# What crypttab's root line carries besides the name and source.
CRYPTTAB_OPTIONS=luks,discard,initramfs
EXTRA_MB=0
# After the install, a purge in a chroot of the installed system must
# leave nothing behind (tests/system/run.sh purge_leaves_nothing).
PURGE_TEST=yes
