# shellcheck shell=sh disable=SC2034,SC2154 # NAME and the rest: init.sh's
# The tool's commands that change nothing, checked in the planted boot
# (planted.sh runs these as cases load_dry_run, reboot_dry_run and
# setup, in that order): sourced by /init (tests/qemu/init.sh). No
# stage of its own: `load --dry-run`, `reboot --dry-run` and `setup` on
# a fake installed system under /tmp/fakeroot; `status`, these dry runs
# and `setup --check` with --json too, for the host to parse (json_mark).

# json_mark TAG COMMAND...: the command's --json output, which must be
# one line, goes to the host as "KH-JSON TAG RC JSON" on the second port
# with its exit code: busybox has no JSON parser, the host's python3
# reads it (scenarios/planted.sh).
json_mark() {
	jm_tag=$1
	shift
	jm_out=$("$@" 2>/dev/null)
	jm_rc=$?
	printf '%s\n' "$jm_out"
	gcheck "$jm_tag: --json printed one line" one_line "$jm_out"
	printf 'KH-JSON %s %s %s\n' "$jm_tag" "$jm_rc" "$jm_out" >"$MARKER"
}

# A fake installed system for `load --dry-run --root`: Debian 12's GRUB
# layout (header, a simple entry, a submenu), GRUB_DEFAULT=saved and a
# grubenv naming a submenu entry by its id path, as grub-set-default does.
fake_grub_root() {
	r=/tmp/fakeroot
	mkdir -p $r/boot/grub
	for f in vmlinuz-6.1.0-18-amd64 initrd.img-6.1.0-18-amd64 \
		vmlinuz-6.1.0-9-amd64 initrd.img-6.1.0-9-amd64; do
		echo fake >"$r/boot/$f"
	done
	cat >$r/boot/grub/grub.cfg <<'EOF_GRUB'
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
else
   set default="${saved_entry}"
fi
menuentry 'Debian GNU/Linux' $menuentry_id_option 'gnulinux-simple-u' {
	linux	/boot/vmlinuz-6.1.0-18-amd64 root=/dev/mapper/cryptroot ro quiet
	initrd	/boot/initrd.img-6.1.0-18-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-u' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-9-amd64' $menuentry_id_option 'gnulinux-6.1.0-9-amd64-advanced-u' {
		linux	/vmlinuz-6.1.0-9-amd64 root=/dev/mapper/cryptroot ro
		initrd	/initrd.img-6.1.0-9-amd64
	}
}
EOF_GRUB
	printf 'saved_entry=gnulinux-advanced-u>gnulinux-6.1.0-9-amd64-advanced-u\n' \
		>$r/boot/grub/grubenv
}

# `load --dry-run`: what the boot loader would boot, the region's memmap=
# and keyhandover.region= added, the stash's nonce; nothing loaded, the
# stash kept. A grubenv naming nothing fails, and still wipes nothing.
planted_load_dry_run() {
	load_keyhandover
	fake_grub_root
	stash_quiet || fail "stash for the dry run"
	region=$(cmdline_arg memmap)
	out=$(keyhandover load --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "load --dry-run exits 0" [ "$rc" = 0 ]
	gcheck "load --dry-run: GRUB's saved entry, in the submenu" \
		eval 'printf "%s\n" "$out" | grep -qxF "kernel: /tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64"'
	gcheck "load --dry-run: its initrd" \
		eval 'printf "%s\n" "$out" | grep -qxF "initrd: /tmp/fakeroot/boot/initrd.img-6.1.0-9-amd64"'
	want="command line: root=/dev/mapper/cryptroot ro memmap=$region keyhandover.region=$region keyhandover.nonce="
	gcheck "load --dry-run: the entry's command line, memmap= and keyhandover.region= added, the nonce" \
		eval 'printf "%s\n" "$out" | grep -F "$want" | grep -qE "nonce=[0-9a-f]{32}\$"'
	gcheck "load --dry-run names where the choice came from" \
		eval 'printf "%s\n" "$out" | grep -qF "chosen from: GRUB saved_entry"'
	gcheck "load --dry-run loaded nothing" \
		eval '[ "$(cat /sys/kernel/kexec_loaded)" = 0 ]'
	gcheck "load --dry-run kept the stash" status_is armed
	json_mark status-armed keyhandover status --json
	json_mark load-dry-run keyhandover load --dry-run --json \
		--root /tmp/fakeroot
	printf 'saved_entry=no such entry\n' >/tmp/fakeroot/boot/grub/grubenv
	out=$(keyhandover load --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "load --dry-run, a saved entry naming nothing: exit 1, one line" \
		eval '[ "$rc" = 1 ] && one_line "$out" && printf "%s\n" "$out" | grep -qF "names no menu entry"'
	gcheck "... and the stash is kept (a dry run changes nothing)" status_is armed
	keyhandover wipe >/dev/null
	rmmod keyhandover || fail "rmmod keyhandover"
}

# `reboot --dry-run`: what it would stash (from a crypttab), load and run,
# with nothing done; and its refusal where keyhandover is not set up.
planted_reboot_dry_run() {
	load_keyhandover
	fake_grub_root
	uuid=$(cryptsetup luksUUID "$VOLUME")
	printf '%s\n' "cryptroot UUID=$uuid none luks" \
		"swap /dev/vdb /dev/urandom swap" >/tmp/crypttab.test
	out=$(keyhandover reboot --dry-run --root /tmp/fakeroot \
		--crypttab /tmp/crypttab.test 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "reboot --dry-run exits 0" [ "$rc" = 0 ]
	gcheck "reboot --dry-run: the crypttab volume it would stash" \
		eval 'printf "%s\n" "$out" | grep -qF "would stash /dev/disk/by-uuid/$uuid as cryptroot"'
	gcheck "reboot --dry-run: the entry it would not, with the reason" \
		eval 'printf "%s\n" "$out" | grep -qF "crypttab line 2: swap (/dev/vdb) not handed over: swap with a throw-away key"'
	gcheck "reboot --dry-run: the boot loader's kernel" \
		eval 'printf "%s\n" "$out" | grep -qxF "kernel: /tmp/fakeroot/boot/vmlinuz-6.1.0-9-amd64"'
	gcheck "reboot --dry-run: memmap= added to the entry's command line" \
		eval 'printf "%s\n" "$out" | grep -qF "command line: root=/dev/mapper/cryptroot ro memmap=$(cmdline_arg memmap) keyhandover.region="'
	gcheck "reboot --dry-run: how it would reboot (no systemd here)" \
		eval 'printf "%s\n" "$out" | grep -qF "then: kexec at once (no systemd)"'
	gcheck "reboot --dry-run stashed nothing" status_is empty
	gcheck "reboot --dry-run loaded nothing" \
		eval '[ "$(cat /sys/kernel/kexec_loaded)" = 0 ]'
	json_mark reboot-dry-run keyhandover reboot --dry-run --json \
		--root /tmp/fakeroot --crypttab /tmp/crypttab.test
	gcheck "reboot --dry-run --json stashed nothing" status_is empty
	rmmod keyhandover || fail "rmmod keyhandover"
	json_mark status-no-module keyhandover status --json
	out=$(keyhandover reboot --dry-run --root /tmp/fakeroot 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "reboot without the module: exit 1, one line, 'not set up'" \
		eval '[ "$rc" = 1 ] && one_line "$out" && printf "%s\n" "$out" | grep -qF "keyhandover is not set up here"'
}

# `setup`: the region from this guest's firmware memory map, the GRUB
# drop-in written under --root (no update-grub there), idempotent; and
# `setup --check` on this boot, whose command line has memmap= but no
# keyhandover.region= (busybox insmod gets region= directly).
planted_setup() {
	r=/tmp/fakeroot
	f=$r/etc/default/grub.d/keyhandover.cfg
	out=$(keyhandover setup --dry-run --root $r 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup --dry-run exits 0 and writes nothing" \
		eval '[ "$rc" = 0 ] && [ ! -e "$f" ]'
	gcheck "setup --dry-run shows the drop-in with the escaped memmap=" \
		eval 'printf "%s\n" "$out" | grep -qF "memmap=4K\\\\\\\$0x7000000 keyhandover.region=4K\\\\\\\$0x7000000"'
	out=$(keyhandover setup --root $r 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup writes the drop-in under --root" \
		eval '[ "$rc" = 0 ] && grep -q "^GRUB_CMDLINE_LINUX=" "$f"'
	gcheck "setup picked 112 MiB, RAM in this guest's firmware map" \
		eval 'printf "%s\n" "$out" | grep -qxF "region: 4K\$0x7000000"'
	gcheck "setup says what to do next" \
		eval 'printf "%s\n" "$out" | grep -qF "reboot once"'
	out=$(keyhandover setup --root $r 2>&1)
	gcheck "setup again changes nothing" \
		eval 'printf "%s\n" "$out" | grep -qF "already set up"'
	load_keyhandover
	out=$(keyhandover setup --check 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "setup --check: memmap= on this kernel's command line" \
		eval 'printf "%s\n" "$out" | grep -qF "ok: this kernel was booted with memmap="'
	gcheck "setup --check: the region reserved, the module holding it" \
		eval 'printf "%s\n" "$out" | grep -qF "ok: the region is reserved" && printf "%s\n" "$out" | grep -qF "ok: the module holds it"'
	gcheck "setup --check: keyhandover.region= missing here, exit 1" \
		eval '[ "$rc" = 1 ] && printf "%s\n" "$out" | grep -qF "missing: keyhandover.region="'
	json_mark setup-check keyhandover setup --check --json
	rmmod keyhandover || fail "rmmod keyhandover"
}
