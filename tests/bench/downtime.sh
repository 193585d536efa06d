#!/bin/bash
# tests/bench/downtime.sh OUT.md: the downtime of a whole system, measured.
#
# The Debian 13 system of the system suite (tests/system/systems/
# trixie.sh: initramfs-tools, root and a data disk, keyhandover installed
# from make deb's packages; tests/lib/system.sh), here booted as a real
# encrypted install boots: OVMF (plain, no Secure Boot) -> Debian 13's
# GRUB on an EFI system partition -> /boot, a partition of its own,
# unencrypted, with the grub.cfg update-grub made in the guest -> root on
# LUKS2. In ONE QEMU session, the guest rebooting in place, interleaved
# (a, b, a, b, ...: the load of the machine falls on both alike):
#
#   a. `keyhandover reboot </dev/null` (keyring mode: root's key linked,
#      no terminal to ask on) to multi-user.target on the new kernel;
#   b. `systemctl reboot`: the reset goes back through OVMF and GRUB, and
#      the passphrase is typed the moment cryptroot's prompt is there.
#
# Every console line is stamped with the host's clock as it arrives; each
# boot's own clocks (the kernel's printk times, systemd-analyze time) are
# read in the guest after it. After a firmware boot cryptroot has linked
# no key (it ignores link-volume-key=), so before the next (a) the root
# key is linked by `cryptsetup refresh --link-vk-to-keyring` with the
# passphrase typed: preparation, not measured.
#
# Timings are reported, never asserted. What is checked: the root is the
# same volume, the file written before each reboot is there after it, the
# kexec path asks for no passphrase and its boot's command line holds
# keyhandover.nonce=, a firmware boot's does not, and neither the
# passphrase nor the volume keys are in any log.
#
# Writes OUT.md (a markdown section); progress goes to stderr. Exit
# non-zero only when a check failed or the guest did not come up.
# Environment: KH_DOWNTIME_RUNS (runs of each, default 5),
# KH_DOWNTIME_FIGURES (a run's figures file: write only the section),
# KH_SYSTEM_TIMEOUT (seconds per wait, default 900), KH_DOWNTIME_KEEP=1
# (keep the logs).
set -eu -o pipefail

KH_TOP=$(cd "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/suite.sh
. "$KH_TOP/tests/lib/suite.sh"
# shellcheck source=../lib/system.sh
. "$KH_TOP/tests/lib/system.sh"
# shellcheck source=../lib/efi.sh
. "$KH_TOP/tests/lib/efi.sh"

[ $# = 1 ] || { printf 'usage: %s OUT.md\n' "${0##*/}" >&2; exit 2; }
OUT_MD=$1
RUNS=${KH_DOWNTIME_RUNS:-5}
# shellcheck disable=SC2034 # read by keep_or_remove_work
KEEP=${KH_DOWNTIME_KEEP:-0}
# shellcheck disable=SC2034 # read by tests/lib/system.sh's checks
SCENARIO=downtime
# Plain OVMF: no Secure Boot, no SMM; QEMU's default machine.
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
WORK=
MERGED=
# The result lines (check) are progress too: stderr, as the contract says.
exec 1>&2

cleanup() {
	local rc=$?
	qemu_stop "${DIR:-/nonexistent}" 2>/dev/null || true
	[ -z "${MERGED:-}" ] || umount "$MERGED/proc" 2>/dev/null || true
	[ -z "${MERGED:-}" ] || umount "$MERGED" 2>/dev/null || true
	keep_or_remove_work "$rc"
}

# --- the disk: ESP, /boot, root on LUKS ------------------------------------

# system_boot_disk TREE (install_keyhandover's hook, before the root image
# is made): /boot as a partition of its own, in fstab, holding the
# system's kernel and initramfs as the install left them and, for the
# cold boot, a grub.cfg with the region (boot 1's `keyhandover setup`
# runs update-grub, whose grub.cfg every later boot uses); an ESP with
# Debian 13's GRUB (grub-efi-amd64-signed, which runs without Secure Boot
# too) as the removable-media path and the grub.cfg that Debian's
# grub-install puts beside it: find /boot by UUID, read its grub.cfg.
# GRUB's menu waits 0 s here (Debian's default is 5): the firmware path's
# figure is the lower one.
system_boot_disk() {
	local r=$1 uuid mb
	uuid=$(cat /proc/sys/kernel/random/uuid)
	printf 'UUID=%s /boot ext4 defaults 0 2\n' "$uuid" >>"$r/etc/fstab"
	mkdir -p "$r/etc/default/grub.d"
	printf 'GRUB_TIMEOUT=0\nGRUB_TERMINAL=console\n' >"$r/etc/default/grub.d/kh-downtime.cfg"
	rm -rf "$WORK/boot-tree"
	mkdir -p "$WORK/boot-tree"
	cp -a "$r/boot/." "$WORK/boot-tree/"
	mkdir -p "$WORK/boot-tree/grub"
	cat >"$WORK/boot-tree/grub/grub.cfg" <<-EOF
	set timeout=0
	linux /vmlinuz-$VER root=/dev/mapper/cryptroot ro console=ttyS0 $TCG_CMDLINE memmap=${KH_REGION/\$/\\\$} keyhandover.region=${KH_REGION/\$/\\\$}
	initrd /initrd.img-$VER
	boot
	EOF
	# Room for update-grub and an initramfs made again.
	mb=$(($(du -sm "$WORK/boot-tree" | cut -f1) + 160))
	mke2fs -q -t ext4 -U "$uuid" -L kh-boot -d "$WORK/boot-tree" "$WORK/boot.ext4" "${mb}M" \
		>>"$WORK/mke2fs.log" 2>&1 || { cat "$WORK/mke2fs.log" >&2; return 1; }
	rm -rf "$WORK/boot-tree"
	cat >"$WORK/esp-grub.cfg" <<-EOF
	search.fs_uuid $uuid root
	set prefix=(\$root)'/grub'
	configfile \$prefix/grub.cfg
	EOF
	rm -f "$WORK/esp.img"
	mkfs.vfat -C -F 32 -n KH-ESP "$WORK/esp.img" $((64 * 1024)) >/dev/null &&
		mmd -i "$WORK/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/debian &&
		mcopy -i "$WORK/esp.img" "$GRUB_EFI" ::/EFI/BOOT/BOOTX64.EFI &&
		mcopy -i "$WORK/esp.img" "$WORK/esp-grub.cfg" ::/EFI/BOOT/grub.cfg &&
		mcopy -i "$WORK/esp.img" "$WORK/esp-grub.cfg" ::/EFI/debian/grub.cfg
}

# The whole disk: the ESP, /boot, and the LUKS2 root make_image made.
make_disk() {
	gpt_disk "$WORK/disk.img" "$ESP_TYPE:ESP:$WORK/esp.img" \
		"$LINUX_TYPE:boot:$WORK/boot.ext4" "$LINUX_TYPE:root:$WORK/luks.img" &&
		rm -f "$WORK/esp.img" "$WORK/boot.ext4" "$WORK/luks.img"
}

# --- the guest ---------------------------------------------------------------

# The console's reader: what QEMU's serial port sends goes to console.log
# as it comes (wait_for and guest read it), and each line, once whole,
# to console.ts behind the host's clock (seconds, ms resolution).
STAMPER='
import os, sys, time
src = os.open(sys.argv[1], os.O_RDONLY)
raw = open(sys.argv[2], "ab", 0)
ts = open(sys.argv[3], "ab", 0)
part = b""
while True:
    d = os.read(src, 4096)
    if not d:
        break
    raw.write(d)
    now = b"%.3f " % time.time()
    part += d
    *whole, part = part.split(b"\n")
    for line in whole:
        ts.write(now + line.replace(b"\r", b"") + b"\n")
'

start_guest() {
	DIR=$WORK/guest
	POS=0
	mkdir -p "$DIR"
	cp "$OVMF_VARS" "$WORK/vars.fd"
	rm -f "$DIR/tty0.in" "$DIR/tty0.out"
	mkfifo "$DIR/tty0.in" "$DIR/tty0.out"
	: >"$DIR/console.log"
	: >"$DIR/console.ts"
	/usr/bin/python3 -c "$STAMPER" "$DIR/tty0.out" "$DIR/console.log" "$DIR/console.ts" &
	QEMU_CATS+=($!)
	# A bound on the whole session: every wait inside it is bounded too.
	qemu_start "$DIR" $((3600 + RUNS * 2400)) \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd" \
		-drive "file=$WORK/disk.img,if=virtio,format=raw,snapshot=on,cache=unsafe" \
		-drive "file=$WORK/data.img,if=virtio,format=raw,snapshot=on,cache=unsafe" \
		-nodefaults -serial "pipe:$DIR/tty0"
}

# The cold boot (the first one, through the firmware), as a user's first:
# the passphrase, then `keyhandover setup` (its drop-in, update-grub:
# the grub.cfg every later firmware boot reads and keyhandover load
# follows).
first_boot() {
	boot_with_passphrase "$BOOT" || return 1
	guest_ok "boot $BOOT: setup writes the drop-in and runs update-grub (/boot's grub.cfg)" \
		'keyhandover setup && grep -q "memmap=" /boot/grub/grub.cfg' 600
	[ "$LAST_OK" = 1 ]
}

# link_root_key: after a firmware boot, root's key linked as restore
# links it after a kexec (link-volume-key=), from the passphrase typed
# at cryptsetup's prompt; systemd-cryptsetup linked the data disk's at
# this boot already. Preparation for the next kexec, not measured.
link_root_key() {
	# Its own end marker (computed by the guest's shell, as guest's): what
	# is typed while cryptsetup runs is lost when it restores the echo.
	send "cryptsetup refresh --link-vk-to-keyring '@u::%logon:$KEY_DESC' cryptroot; echo KH-LINK-\$(($BOOT + 0))-rc-\$?-end" ||
		return 1
	check "$SCENARIO: boot $BOOT: cryptsetup refresh asks for root's passphrase" \
		wait_for 'Enter passphrase for'
	[ "$LAST_OK" = 1 ] || return 1
	type_passphrase
	check "$SCENARIO: boot $BOOT: cryptsetup refresh --link-vk-to-keyring succeeded" \
		wait_for "KH-LINK-$BOOT-rc-0-end"
	guest_ok "boot $BOOT: root's key linked in @u" "keyctl search @u logon $KEY_DESC"
	[ "$LAST_OK" = 1 ]
}

# same_root N: boot N runs on the same root volume, opened from the disk's
# third partition.
same_root() {
	guest_ok "boot $1: root is the same LUKS volume (its UUID), on the disk's root partition" \
		"[ \"\$(cryptsetup luksUUID /dev/vda3)\" = $UUID ] && cryptsetup status cryptroot | grep -E 'device: +/dev/vda3\$'"
}

# run_kexec I: (a) from boot BOOT: keyhandover reboot with no terminal,
# to boot BOOT+1's multi-user.target; the chain's own checks
# (tests/lib/system.sh chain_boot: boot BOOT's file, keyhandover.nonce=,
# the hand-over read once, the region zero).
run_kexec() {
	local mark
	mark=$(wc -l <"$DIR/console.ts")
	reboot_no_terminal "$BOOT" || return 1
	chain_boot $((BOOT + 1)) "$VER" || return 1
	BOOT=$((BOOT + 1))
	check "$SCENARIO: run $1 (kexec): no passphrase asked from keyhandover reboot to the shell" \
		no_prompt_since "$mark"
	same_root "$BOOT"
	analyze kexec "$1" "$mark"
}

# run_firmware I: (b) from boot BOOT: systemctl reboot, through OVMF
# and GRUB; the passphrase typed the moment cryptroot asks (it turns the
# echo off before it prints the prompt: cryptsetup's askpass), to boot
# BOOT+1's multi-user.target.
run_firmware() {
	local mark
	mark=$(wc -l <"$DIR/console.ts")
	write_file "$BOOT"
	send 'systemctl reboot' || return 1
	check "$SCENARIO: run $1 (firmware): the old kernel restarts the machine" \
		wait_for 'reboot: Restarting system'
	[ "$LAST_OK" = 1 ] || return 1
	check "$SCENARIO: run $1 (firmware): cryptroot asks for root's passphrase (looked for every 0.1 s)" \
		prompt_now
	[ "$LAST_OK" = 1 ] || return 1
	qemu_type_file "$DIR" "$WORK/fixtures/passphrase" 0
	reach_shell $((BOOT + 1)) || return 1
	BOOT=$((BOOT + 1))
	guest_ok "boot $BOOT: boot $((BOOT - 1))'s file is on the root" \
		"grep -x $TOKEN-$((BOOT - 1)) /root/kh-chain-$((BOOT - 1))"
	guest_ok "boot $BOOT: a firmware boot: no keyhandover.nonce= on the command line" \
		'! grep -q "keyhandover.nonce=" /proc/cmdline'
	same_root "$BOOT"
	analyze firmware "$1" "$mark"
}

prompt_now() {
	WAIT_POLL=0.1 wait_for "$COLD_PROMPT"
}

no_prompt_since() {
	! tail -n +"$(($1 + 1))" "$DIR/console.ts" | grep -E 'Please unlock disk|Enter passphrase'
}

# --- the figures -------------------------------------------------------------

# analyze PATH I MARK: one boot's figures, from the console lines after
# line MARK of console.ts and from systemd in the guest, as one line of
# $WORK/figures: PATH I, then the host's (whole, shutdown, the jump:
# firmware + GRUB or purgatory, kernel, initramfs, userspace) and the
# guest's (printk time of /init and of systemd's start, systemd-analyze's
# kernel, initrd and userspace, multi-user.target after systemd's start).
# systemd's start: the kernel's word when /sbin/init is executed
# (TOMOYO's, lsm= lists it), else systemd's first line. Once the serial
# getty starts, systemd prints no more status lines on the console, so
# the host sees no line for multi-user.target: its time is systemd's own
# span from its start (UserspaceTimestampMonotonic) to the target's
# ActiveEnterTimestampMonotonic, after the host's stamp of that start.
analyze() {
	local host sa unpack
	# shellcheck disable=SC2016 # expanded by the guest's shell
	guest 'systemd-analyze time; echo "kh-mu $(systemctl show -P UserspaceTimestampMonotonic) $(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target)"' 120 ||
		return 1
	sa=$(tr -d '\r' <"$OUT" | awk '
		function sec(s,   t, n, i, v) {
			# "2min 1.133s", "845ms", "3.2s": seconds
			n = split(s, t, " "); v = 0
			for (i = 1; i <= n; i++) {
				if (t[i] ~ /min$/) v += 60 * t[i]
				else if (t[i] ~ /ms$/) v += t[i] / 1000
				else if (t[i] ~ /us$/) v += t[i] / 1000000
				else v += t[i] + 0
			}
			return v
		}
		/Startup finished in/ {
			n = split($0, part, /\+|=/)
			for (i = 1; i <= n; i++) {
				if (match(part[i], /\((kernel|initrd|userspace)\)/)) {
					w = substr(part[i], RSTART + 1, RLENGTH - 2)
					x = part[i]; sub(/.*finished in /, "", x); sub(/\(.*/, "", x)
					v[w] = sec(x)
				}
			}
		}
		/^kh-mu [0-9]+ [0-9]+/ && $3 > $2 { mu = ($3 - $2) / 1000000 }
		END {
			printf "%s %s %s %s\n", ("kernel" in v) ? v["kernel"] : "NA",
				("initrd" in v) ? v["initrd"] : "NA",
				("userspace" in v) ? v["userspace"] : "NA", mu == "" ? "NA" : mu
		}')
	host=$(tail -n +"$(($3 + 1))" "$DIR/console.ts" | awk -v mu="${sa##* }" '
		function kt(s) { return substr(s, index(s, "[") + 1, index(s, "]") - index(s, "[") - 1) + 0 }
		!cmd && /# (keyhandover reboot <\/dev\/null|systemctl reboot)/ { cmd = $1; next }
		cmd && !down && /kexec_core: Starting new kernel|reboot: Restarting system/ { down = $1; next }
		down && !lin && /\] Linux version / { lin = $1; next }
		lin && !init && /\] Run \/init as init process/ { init = $1; kinit = kt($0); next }
		init && !sysd && /systemd\[1\]:|Not activating Mandatory Access Control/ { sysd = $1; ksysd = kt($0); next }
		END {
			if (!sysd || mu == "NA") { print "NA NA NA NA NA NA NA NA"; exit }
			printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", sysd + mu - cmd, down - cmd,
				lin - down, init - lin, sysd - init, mu, kinit, ksysd
		}')
	# The kernel unpacking the initramfs, by its own clock: the span that
	# makes a kexec'd boot slow under TCG (the section says why).
	unpack=$(tail -n +"$(($3 + 1))" "$DIR/console.ts" | awk '
		function kt(s) { return substr(s, index(s, "[") + 1, index(s, "]") - index(s, "[") - 1) + 0 }
		/Trying to unpack rootfs image/ && !t { t = kt($0) }
		/Freeing initrd memory/ && t && !f { f = kt($0) }
		END { if (t && f) printf "%.3f\n", f - t; else print "NA" }')
	note "run $2 ($1): host: $host; systemd: $sa; unpack: $unpack"
	# A boot the console did not show whole is left out of the medians
	# (and said); the run goes on.
	printf '%s %s %s %s %s\n' "$1" "$2" "$host" "$sa" "$unpack" >>"$WORK/figures"
}

# median PATH FIELD: the median of a field of $WORK/figures (PATH, I,
# then the figures from field 3 on) over PATH's runs, "NA" ignored.
median() {
	awk -v p="$1" -v f="$2" '$1 == p && $f != "NA" && $f != "" { print $f }' "$WORK/figures" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (!NR) { print "NA"; exit }
			print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# row TITLE FIELD: a table row of both medians and their ratio.
row() {
	local a b
	a=$(median kexec "$2") b=$(median firmware "$2")
	awk -v t="$1" -v a="$a" -v b="$b" 'function s(x) { return x == "NA" ? "—" : sprintf("%.1f", x) }
		BEGIN { printf "| %s | %s | %s | %s |\n", t, s(a), s(b),
			(a == "NA" || b == "NA" || a == 0) ? "—" : sprintf("%.2f", b / a) }'
}

# table: the table of both paths, a row for each "FIELD TITLE" line read.
table() {
	local f t
	printf '| | keyhandover reboot (kexec) | firmware reboot | firmware / kexec |\n|---|---|---|---|\n'
	while read -r f t; do
		row "$t" "$f"
	done
}

count() {
	awk -v p="$1" '$1 == p && $3 != "NA"' "$WORK/figures" | wc -l
}

write_section() {
	local qv fw
	qv=$(qemu-system-x86_64 --version | head -n 1)
	fw=$(dpkg-query -W -f '${Version}' ovmf 2>/dev/null || echo '?')
	{
		cat <<-EOF
		## Downtime of a whole system (Debian 13, TCG)

		Method: the Debian 13 system of the system suite (initramfs-tools,
		root and a data disk on LUKS2, keyhandover installed from \`make
		deb\`'s packages, Debian's $VER) installed as an encrypted Debian
		boots: OVMF (\`OVMF_CODE_4M.fd\`, ovmf $fw, no Secure Boot) ->
		Debian 13's GRUB on an EFI system partition -> an unencrypted
		\`/boot\` with the \`grub.cfg\` that \`update-grub\` made in the guest
		(menu timeout 0 s; Debian's default of 5 s would add to the firmware
		path) -> root on LUKS2. One QEMU session (TCG, 1 vCPU, $MEM_MB MiB,
		$qv), the guest rebooting in place, the two paths interleaved (kexec,
		firmware, kexec, ...) under the same machine load: **kexec**, from
		\`keyhandover reboot </dev/null\` (keyring mode: the keys already
		linked, no terminal) to \`multi-user.target\` on the new kernel,
		nothing typed; **firmware**, from \`systemctl reboot\` through the
		reset, OVMF, GRUB and Debian's cryptroot prompt (the passphrase typed
		by the harness the moment the prompt appears, looked for every 0.1 s)
		to the same target. Each part is timed on the host's clock from the
		serial console's lines as they arrive: shutdown, the command to the
		old kernel's last line (\`kexec_core: Starting new kernel\` or
		\`reboot: Restarting system\`); firmware + GRUB, that line to the
		new kernel's first (\`Linux version\`): OVMF, GRUB, the EFI stub
		loading the initramfs and decompressing the kernel, the kernel's
		start before its console; on the kexec path the same span holds
		purgatory, the decompression and that start (the jump); kernel, to
		\`Run /init as init process\`; initramfs with the unlock, to
		systemd's start in the real root (the kernel's line when it executes
		\`/sbin/init\`); userspace, from there to \`multi-user.target\`: once
		its serial getty runs, systemd prints no more status lines on the
		console, so this span is systemd's own (\`UserspaceTimestampMonotonic\`
		to the target's \`ActiveEnterTimestampMonotonic\`), added to the
		host's stamp of systemd's start for the whole. Medians of each part separately: the
		parts need not add up to the whole. Runs: $(count kexec) kexec, $(count firmware) firmware
		(KH_DOWNTIME_RUNS=$RUNS); a run whose console lines are missing is not counted.

		EOF
		table <<-EOF
		3 **whole downtime** (s)
		4 shutdown (s)
		5 firmware + GRUB (s); kexec: the jump
		6 kernel (s)
		7 initramfs incl. unlock (s)
		8 userspace to multi-user.target (s)
		EOF
		cat <<-EOF

		The guest's own clocks, medians (s): the printk time of \`Run /init\`
		and of systemd's start in the real root (the kernel's clock starts only
		after its first lines, which say 0.000000, so it leaves out the
		start that the host sees); \`systemd-analyze time\` in the guest
		after each boot (initramfs-tools has no systemd,
		so systemd's "kernel" holds the initramfs too; GRUB on Debian reports
		no loader time to systemd, so it shows no firmware or loader part).

		EOF
		table <<-EOF
		9 kernel: printk time of Run /init
		10 kernel + initramfs: printk time of systemd's start
		11 systemd-analyze: kernel
		13 systemd-analyze: userspace (to graphical.target, its default)
		14 systemd: its start to multi-user.target
		15 kernel: unpacking the initramfs (printk: Trying to unpack to Freeing initrd memory)
		EOF
		cat <<-EOF

		The kexec path's shutdown holds \`keyhandover reboot\`'s own work,
		which the firmware path does not do: the stash from the keyring
		and \`kexec_file_load\` of the kernel and its initramfs, read and
		hashed under TCG (\`make bench\` times both: its stash and load
		rows in docs/benchmarks.md). On hardware that load takes a
		fraction of a second.

		The translation cache: under TCG, QEMU keeps the blocks it has
		translated until its cache fills, and a guest's write to a page
		that holds one is slow until they are dropped. A reboot of either
		kind writes over RAM where the old system's code ran. With QEMU's
		default cache of 1 GiB, which no boot fills, both paths paid tens
		of seconds for it (the unpacking of the initramfs took 34 s after
		a kexec and 9 s after a reset with it, about 1 s each without).
		The harness sets 48 MiB
		(tests/lib/qemu.sh, KH_TCG_TB_MB), so the cache fills a few times
		a boot and one flush drops the stale blocks. Hardware has no such
		cost.

		**Real server firmware adds tens of seconds that QEMU's does not**
		(memory training, option ROMs, RAID and network controllers, the
		BMC: QEMU's OVMF has no hardware to bring up, and its part above is
		only emulation's slowness), and GRUB's menu waits 5 s on a stock
		Debian, so the ratio here is a lower bound of what a server saves.
		Under TCG everything in the guest runs many times slower than on
		hardware; the ratio is the point, not the seconds.
		EOF
	} >"$OUT_MD"
}

main() {
	# Only the section again, from a run's figures (its logs, kept with
	# KH_DOWNTIME_KEEP=1 or when it stopped early: WORK/figures).
	if [ -n "${KH_DOWNTIME_FIGURES:-}" ]; then
		system_settings "$KH_TOP/tests/system/systems/trixie.sh"
		VER=$(system_kernel) || kh_die "cannot tell Debian 13's kernel"
		WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-downtime.XXXXXX")
		trap 'rm -rf "$WORK"' EXIT
		cp "$KH_DOWNTIME_FIGURES" "$WORK/figures"
		write_section
		exit 0
	fi
	[ "$(id -u)" = 0 ] || kh_die "run as root (chroot, overlay mounts)"
	kh_need_pkgs qemu-system-x86 ovmf cryptsetup-bin e2fsprogs debootstrap gcc \
		libc6-dev libssl-dev xz-utils binutils fdisk dosfstools mtools python3
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-downtime.XXXXXX")
	trap cleanup EXIT
	trap 'exit 143' TERM INT
	system_settings "$KH_TOP/tests/system/systems/trixie.sh"
	# The trixie system's room for the kernel upgrade: not installed here.
	EXTRA_MB=0
	VER=$(system_kernel) || kh_die "cannot tell Debian 13's kernel"
	# shellcheck disable=SC2086 # one package a word
	BASE=$(kh_system_base "$SUITE" "$VER" $EXTRA_PKGS) || kh_die "the Debian 13 system"
	# shellcheck disable=SC2034 # read by chain_boot
	VOLUMES=2
	GRUB_EFI=$(kh_sb_binaries "$(kh_kernel_chroot)")/grubx64.efi || kh_die "Debian 13's GRUB"
	system_secrets || finish
	local t=$SECONDS
	check "install keyhandover into the Debian 13 system (make deb's packages), encrypt root, make the ESP and /boot" \
		prepare_system
	[ "$LAST_OK" = 1 ] || finish
	check "the disk: GPT, ESP with GRUB, /boot, root on LUKS2" make_disk
	[ "$LAST_OK" = 1 ] || finish
	note "prepared in $((SECONDS - t)) s"
	: >"$WORK/figures"
	start_guest
	BOOT=1
	local i ok=1
	first_boot && link_root_key || ok=0
	for i in $(seq "$RUNS"); do
		[ "$ok" = 1 ] || break
		kh_log "# run $i of $RUNS: kexec"
		run_kexec "$i" || { ok=0; break; }
		kh_log "# run $i of $RUNS: firmware"
		run_firmware "$i" || { ok=0; break; }
		# The section so far: a run stopped early still leaves its figures.
		write_section
		[ "$i" = "$RUNS" ] || link_root_key || ok=0
	done
	qemu_stop "$DIR"
	check "$SCENARIO: the guest came up and every run passed its checks" [ "$ok" = 1 ]
	check "$SCENARIO: passphrase and volume keys in no log" \
		no_secret_in "$DIR"/console.log "$DIR"/console.ts "$DIR"/monitor.log \
		"$DIR"/qemu.out "$DIR"/out.* "$WORK"/install.log "$WORK"/mke2fs.log
	if [ -s "$WORK/figures" ]; then
		write_section
		note "written: $OUT_MD"
	fi
	finish
}

main
