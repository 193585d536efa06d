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
	json_checks "$1"
}

# What --json says with the real module loaded; the same runs' text is
# checked in the guest (tool.sh).
json_checks() {
	local uuid
	uuid=$(cryptsetup luksUUID "$1/luks.img")
	check "planted: status --json, armed: the state, entries, backend, region's address and size, seconds left" \
		guest_json "$1" status-armed "rc == 0 and d['command'] == 'status' and d['loaded'] and d['device'] and d['state'] == 'armed' and d['entries'] == 1 and d['capacity'] >= 1 and d['backend'] == 'memmap' and d['region'] == {'size': 4096, 'address': 0x7000000, 'param': '4K\$0x7000000'} and d['expires_in'] > 0 and d['format_version'] >= 1 and d['verdict'] is None"
	check "planted: load --dry-run --json: GRUB's saved entry, memmap=, keyhandover.region= and the stash's nonce on its command line" \
		guest_json "$1" load-dry-run "rc == 0 and d['loaded'] and d['armed'] and d['backend'] == 'memmap' and d['kernel'] == '/tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64' and d['initrd'] == '/tmp/fakeroot/boot/initrd.img-6.1.0-9-amd64' and d['chosen_from'].startswith('GRUB saved_entry') and d['boot_loader'] and d['kernel_release'] == '6.1.0-9-amd64' and re.fullmatch(r'root=/dev/mapper/cryptroot ro memmap=4K\\\$0x7000000 keyhandover.region=4K\\\$0x7000000 keyhandover.nonce=[0-9a-f]{32}', d['cmdline'])"
	check "planted: reboot --dry-run --json: the crypttab volume (device, name, LUKS UUID, key source), the line it would not hand over, the kernel, how it would reboot" \
		guest_json "$1" reboot-dry-run "rc == 0 and d['would_reboot'] and d['loaded'] and d['backend'] == 'memmap' and d['crypttab'] == '/tmp/crypttab.test' and d['mode'] == 'passphrase' and d['mode_reason'] == 'cryptroot: no link-volume-key=' and d['volumes'] == [{'device': '/dev/disk/by-uuid/' + a[0], 'name': 'cryptroot', 'uuid': a[0], 'crypttab_line': 1, 'key_source': 'passphrase', 'keyring_key': None, 'key_file': None}] and d['not_handed_over'] == [{'crypttab_line': 2, 'name': 'swap', 'source': '/dev/vdb', 'reason': 'swap with a throw-away key'}] and d['kernel'] == '/tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64' and 'memmap=4K\$0x7000000' in d['cmdline'] and 'keyhandover.nonce=' not in d['cmdline'] and d['reboot_method'] == 'immediate_kexec'" \
		"$uuid"
	check "planted: status --json, module unloaded: loaded false, exit 1" \
		guest_json "$1" status-no-module "rc == 1 and d['loaded'] is False and d['device'] is False and d['state'] is None and 'module not loaded' in d['error']"
	check "planted: setup --check --json: the module's region; memmap= on this boot, keyhandover.region= not, reserved, held; no drop-in; then Secure Boot, lockdown (facts), the module's signature and signer" \
		guest_json "$1" setup-check "rc == 1 and d['backend'] == 'memmap' and d['region'] == '4K\$0x7000000' and d['region_source'] == 'module' and {c['name']: (c['ok'], c['required']) for c in d['checks'][:5]} == {'cmdline_memmap': (True, True), 'cmdline_region': (False, True), 'iomem_reserved': (True, True), 'module_holds_region': (True, True), 'grub_dropin': (False, False)} and [c['name'] for c in d['checks'][5:]] == ['secure_boot', 'lockdown', 'module_signed', 'signer_enrolled'] and not any(c['required'] for c in d['checks'][5:7])"
}
