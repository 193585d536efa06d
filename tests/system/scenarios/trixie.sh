# shellcheck shell=bash
# trixie: Debian 13, initramfs-tools, root and a data disk: one passphrase after the cold boot, then kexecs with none, a plain reboot that wipes
# Both crypttab lines carry link-volume-key=. Boot 1 (cold): Debian's
# cryptroot asks for root and links nothing (it ignores the option);
# systemd-cryptsetup opens the data disk with its key file and links its
# key. `keyhandover reboot` asks once (root's passphrase; the data disk's
# key file is read). Boot 2: restore opened both in the initramfs and
# linked both keys; `keyhandover reboot` with no terminal takes them in
# the kernel. Boot 3: the same checks; then a stash and a plain
# `systemctl reboot`: the region is zero at the reset and cryptroot asks
# again. The kernel upgrade on top of this chain is trixie-upgrade's.
SYSTEM=trixie

scenario_run() {
	start_qemu "$WORK/trixie" -action reboot=shutdown -action shutdown=pause \
		-qmp "pipe:$WORK/trixie/qmp"
	cold_boot_then_reboot || return 0
	reboot_no_terminal 2 || return 0
	chain_boot 3 "$VER" || return 0
	check "$SCENARIO: one passphrase in three boots: cryptroot's at the cold boot, reboot's once" \
		prompts_were 1 1
	plain_reboot_wipes 3 || return 0
}
