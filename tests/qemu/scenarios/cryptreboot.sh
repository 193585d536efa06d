# shellcheck shell=bash
# cryptreboot: cryptreboot --keep-key's calls with the real module, kexec
# The contract of docs/cryptreboot.md from cryptreboot's side with the
# module loaded (tests/cryptreboot/contract.sh has the host's side, where
# there is none): boot 1 (guest/cryptreboot.sh) makes the patch's calls,
# setup --check --json, status --json, load --dry-run --json, a wrong
# passphrase on stdin (exit 1, nothing armed), the passphrase on stdin,
# load and kexec -e; boot 2's restore (kexec.sh) opens the volume with no
# passphrase. Here the host reads the --json documents by the patch's
# rules. Lane 2 (make test's queue, beside the whole systems: lane 1 is
# full). Booted with keyhandover.region= as `keyhandover setup` leaves a
# machine, so that setup --check passes.
STAGES="crarm restore"
MARKER=restore-ok
LANE=2

scenario_prepare() {
	APPEND+=" keyhandover.region=$KH_REGION"
}

scenario_checks() {
	check "cryptreboot: setup --check --json: exit 0, ok: every required check true (the mode is available)" \
		guest_json "$1" cr-setup-check "rc == 0 and d['ok'] is True and d['error'] is None and d['backend'] == 'memmap' and d['region'] == '4K\$0x7000000' and all(c['ok'] is True for c in d['checks'] if c['required']) and {c['name'] for c in d['checks']} >= {'cmdline_memmap', 'cmdline_region', 'iomem_reserved', 'module_holds_region'}"
	check "cryptreboot: status --json before the stash: loaded, empty, its capacity" \
		guest_json "$1" cr-status "rc == 0 and d['loaded'] is True and d['state'] == 'empty' and d['capacity'] >= 1 and d['expires_in'] is None"
	check "cryptreboot: load --dry-run --json with cryptreboot's kernel, initramfs, command line: ok, nothing armed yet" \
		guest_json "$1" cr-load-dry-run "rc == 0 and d['ok'] is True and d['loaded'] is True and d['armed'] is False and d['kernel'] == '/tmp/boot/vmlinuz' and d['initrd'] == '/tmp/boot/initrd.img' and 'kh.stage=restore' in d['cmdline'] and 'keyhandover.nonce=' not in d['cmdline'] and 'memmap=4K\$0x7000000' in d['cmdline'].split()"
	check "cryptreboot: status --json after the stash: armed, one entry, seconds left (a second cryptreboot would not stash again)" \
		guest_json "$1" cr-status-armed "rc == 0 and d['state'] == 'armed' and d['entries'] == 1 and d['expires_in'] > 0"
}
