# shellcheck shell=bash
# trixie-upgrade: Debian 13, initramfs-tools, root and a data disk: one passphrase after the cold boot, three kexecs with none (one the unattended kernel upgrade), a plain reboot that wipes
# Both crypttab lines carry link-volume-key=. Boot 1 (cold): Debian's
# cryptroot asks for root and links nothing (it ignores the option);
# systemd-cryptsetup opens the data disk with its key file and links its
# key. `keyhandover reboot` asks once (root's passphrase; the data disk's
# key file). Boot 2: restore opened both in the initramfs and linked both
# keys; apt installs trixie-backports' kernel (DKMS, the initramfs hook
# and update-grub by themselves), and keyhandover-upgrade.service, started
# as its timer would, kexecs into it with nothing typed. Boot 3 runs the
# new kernel; `keyhandover reboot` with no terminal kexecs once more.
# Boot 4: a stash and a plain `systemctl reboot`: the region is zero at
# the reset and cryptroot asks again. Files written before each reboot are
# there after it; the region is zero after each restore.
SYSTEM=trixie
UPGRADE=yes
DEFAULT=no
WHY_NOT_DEFAULT="this chain alone is 26 min of one lane beside another guest (the upgrade in the guest 10 min, five Debian 13 boots), past make test's 25 min: docs/testing.md"

scenario_run() {
	start_qemu "$WORK/trixie-upgrade" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/trixie-upgrade/qmp"
	cold_boot_then_reboot || return 0
	upgrade_kernel 2 || return 0
	unattended_upgrade 2 || return 0
	reboot_no_terminal 3 || return 0
	chain_boot 4 "$KV_NEW" || return 0
	check "$SCENARIO: one passphrase in four boots: cryptroot's at the cold boot, reboot's once" \
		prompts_were 1 1
	plain_reboot_wipes 4 || return 0
}
