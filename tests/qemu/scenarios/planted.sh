# shellcheck shell=bash
# planted: the threat model's region, interface and restore cases, one boot
# No kexec: region images made on the host by mkplant.c, sealed with its
# nonce as if a `keyhandover load` had named it, are planted through
# /dev/mem (tests/qemu/init.sh). They carry the volume's key (cases 27,
# 28), so they go on a disk of their own, never into the initramfs the
# other scenarios boot and dump. Case 17 is also checked from outside:
# the guest asks the host to dump the region (KH-DUMP) before and after
# the refused arms.
STAGES="planted -"
MARKER=planted-ok
RAM_CHECK="the planted images carry the key by design"
LANE=1

scenario_prepare() {
	local uuid
	uuid=$(cryptsetup luksUUID "$1/luks.img") &&
		mkdir -p "$1/plant" &&
		"$WORK/mkplant" "$1/plant" "$uuid" "$WORK/vk.bin" &&
		tar -c -f "$1/plant.tar" -C "$1/plant" . || return 1
	BOOTDISK=$1/plant.tar
	APPEND+=" keyhandover.nonce=42420000000000000000000000000000"
}

# A region dump the guest waited for, of the region's full size.
region_dump() {
	grep -qx "$2 in-time" "$1/dumps.log" 2>/dev/null &&
		[ "$(wc -c <"$1/region-$2.bin")" = "$REGION_SIZE" ] ||
		{ note "no in-time dump $2 of the region"; return 1; }
}

# Case 17 from outside: the region holding the first stash is byte for
# byte the same after the refused second arms.
first_stash_kept() {
	region_dump "$1" 17-before && region_dump "$1" 17-after &&
		! all_zero "$1/region-17-before.bin" &&
		cmp -s "$1/region-17-before.bin" "$1/region-17-after.bin"
}

# The control: the stash that was refused, armed for real, changes the
# region, so the comparison above can see a change.
other_stash_differs() {
	region_dump "$1" 17-before && region_dump "$1" 17-other &&
		! all_zero "$1/region-17-other.bin" &&
		! cmp -s "$1/region-17-before.bin" "$1/region-17-other.bin"
}

scenario_checks() {
	check "planted: 17: the region, dumped from outside before and after the refused arms, is unchanged" \
		first_stash_kept "$1"
	check "planted: 17: control: arming the refused stash for real changes the region" \
		other_stash_differs "$1"
}
