# shellcheck shell=bash
# efi: under UEFI, RAM reserved for EFI's tables is refused as a region
# One boot under OVMF (UEFI firmware, a private copy of its variable
# store).
STAGES="efi -"
MARKER=efi-ok
LANE=1

scenario_prepare() {
	# OVMF loads a bzImage (the EFI stub), not the PVH kernel.
	KERNEL=$VMLINUZ
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$1/vars.fd"
	QEMU_ARGS=(-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,file=$1/vars.fd")
}
