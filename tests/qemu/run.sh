#!/bin/bash
# Most functions run through check(), which shellcheck cannot follow.
# shellcheck disable=SC2317
# run.sh [--demo] [--keep] [SCENARIO...]: end-to-end test of keyhandover in
# QEMU, two boots joined by kexec per scenario.
#
#   positive  boot 1 opens the volume with its passphrase, stashes the key,
#             kexecs; boot 2 must open it with no passphrase (restore-ok)
#   negative  the same without the stash; boot 2 must open nothing
#   nomodule  boot 1 arms and kexecs into a boot without keyhandover: the
#             passphrase opens the volume; a module loaded later wipes the
#             pending stash on its timeout (case 25)
#   stale     boot 1 loads the next kernel, then arms again: boot 2 must
#             refuse the stash as stale (its nonce is not the loaded one)
#   planted   one boot, no kexec: the threat model's region, interface and
#             restore cases; region images made on the host by mkplant.c
#             are planted through /dev/mem (see guest/planted.sh)
#   reboot, poweroff, panic, wipe, timeout
#             one boot: arm, the host dumps RAM (the key must be found:
#             the positive control), then the guest reboots, powers off,
#             panics (QEMU pauses instead), wipes or waits for the arm
#             timeout (and holds); the region and all RAM must then be
#             free of the key
#   foreign   boot 1 arms, kexec-tools loads the next kernel (no nonce):
#             boot 2's module must wipe the stash at load
#   passon    boot 2 leaves the stash unread and kexecs again: boot 3
#             must find nothing
#   resetarm  arm, SysRq-B (a reset with no notifier), the same boot
#             again: its module must wipe the stash at load
#   efi       one boot under OVMF (UEFI): RAM the kernel reserved for
#             EFI's tables must be refused as a region
#   debug     one boot of the debug kernel (the KHO test kernel, built with
#             tests/qemu/debug.config: KASAN, KFENCE, UBSAN, lockdep,
#             debugobjects, kmemleak, fault injection) on the memmap=
#             backend: iface_test, stress_test.c's race, cycles and faults;
#             any detector's report ends the boot or fails a check
#   probe     harness bring-up without the project (plain kexec-tools)
# Default: every scenario but probe.
#
# A scenario passes only on its positive marker on the second serial port;
# panic_on_warn=1, panic=-1, -no-reboot and a hard timeout make every crash
# or hang a failure. Then no piece of the volume key may appear in any log
# in any form (lib.sh kh_leak_patterns: hex, spaced, colons, raw, base64),
# and, dumped from outside the guest through QEMU's monitor at the end of
# boot 2, neither the reserved region nor (with the volume closed) any of
# the guest's RAM may hold it. Output: "ok N - ..." / "not ok N - ..."
# lines, then "N passed, N failed"; the exit status is non-zero on failure.
# Timings go to "# timing" lines.
#
# --demo narrates a real run for a human. --keep keeps the working
# directory (logs are kept anyway when a check fails). Environment:
# KH_KVER, KH_MODULE, KH_TOOL, KH_TIMEOUT (seconds per scenario, default
# 300), KH_NO_BUILD=1 (use what is built), KH_RAMDUMP=0 (skip the RAM dump).
set -eu -o pipefail

# shellcheck source=lib.sh
. "$(dirname -- "$0")/lib.sh"

# shellcheck disable=SC2016 # a literal $: memmap= syntax, also region=
KH_REGION='4K$0x7000000'
TIMEOUT=${KH_TIMEOUT:-300}
HOLD=30 # seconds the guest waits after its verdict for the memory dump
MEM_MB=1024
RAMDUMP=${KH_RAMDUMP:-1} # dump all guest RAM after boot 2 (about 5 s)
DEMO=0
KEEP=0
SCENARIOS=()
WORK=
QEMU_PID=
TAIL_PID=
WATCHER_PID=
QEMU_EXTRA=()   # more QEMU arguments for one scenario
APPEND_EXTRA=   # more kernel command line for one scenario

# ok, not_ok, check, note: the numbered result lines.
# shellcheck source=report.sh
. "$KH_QEMU_DIR/report.sh"

# Narration for --demo only; a normal run stays terse.
tell() {
	[ "$DEMO" = 1 ] || return 0
	printf '\n==> %s\n' "$*"
}

now() {
	printf '%s\n' "$EPOCHREALTIME"
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

# --- setup ---------------------------------------------------------------

usage() {
	printf 'usage: %s [--demo] [--keep] [positive|negative|stale|nomodule|foreign|passon|resetarm|efi|planted|keyring|keyring27|chain|kho|debug|distro|distro-negative|reboot|poweroff|panic|wipe|timeout|probe]...\n' \
		"${0##*/}" >&2
	exit 2
}

parse_args() {
	local a
	for a in "$@"; do
		case $a in
		--demo) DEMO=1 ;;
		--keep) KEEP=1 ;;
		positive | negative | stale | nomodule | foreign | passon | resetarm | efi | \
			planted | keyring | keyring27 | chain | kho | debug | distro | distro-negative | \
			reboot | poweroff | panic | wipe | timeout | probe)
			SCENARIOS+=("$a") ;;
		*) usage ;;
		esac
	done
	[ ${#SCENARIOS[@]} -gt 0 ] ||
		SCENARIOS=(positive negative stale nomodule foreign passon resetarm
			efi planted keyring keyring27 chain kho debug distro distro-negative
			reboot poweroff panic wipe timeout)
}

needs_project() {
	local s
	for s in "${SCENARIOS[@]}"; do
		[ "$s" = probe ] || return 0
	done
	return 1
}

# The project's own build, as a user runs it.
build_project() {
	make -s -C "$KH_TOP" module tool KERNELRELEASE="$VER" >&2
}

# Test secrets, new for every run and never on a command line: the
# passphrase and the known content go into the initramfs as fixtures, the
# volume key only into the LUKS header. The key holds no NUL or newline
# byte so that a line-based grep finds its raw bytes anywhere in a log.
make_fixtures() {
	mkdir -p "$WORK/fixtures"
	head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n' \
		>"$WORK/fixtures/passphrase"
	printf 'keyhandover e2e content %s\n' \
		"$(head -c 8 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" \
		>"$WORK/fixtures/content"
	while :; do
		head -c 64 /dev/urandom >"$WORK/vk.bin"
		od -An -tx1 -v "$WORK/vk.bin" | grep -wE '00|0a' >/dev/null || break
	done
	{ head -c 32 "$WORK/vk.bin"; echo; tail -c 32 "$WORK/vk.bin"; echo; } \
		>"$WORK/vk.halves"
	# The leak detector's patterns (lib.sh): every form of the key.
	kh_leak_patterns "$WORK/vk.bin" "$WORK/leak" ||
		kh_die "cannot make the leak detector's patterns"
}

# A fresh LUKS2 volume with the known volume key. Cheap argon2 settings:
# the guest runs them under TCG.
make_volume() {
	local uuid=()
	rm -f "$1"
	truncate -s 32M "$1"
	# The distro scenarios' volume is named by UUID in the crypttab that
	# Debian's initramfs carries, built once per run for both.
	case ${1%/luks.img} in
	*/distro | */distro-negative) uuid=(--uuid "$DISTRO_UUID") ;;
	esac
	cryptsetup luksFormat --batch-mode --type luks2 \
		--cipher aes-xts-plain64 --key-size 512 \
		--pbkdf argon2id --pbkdf-memory 16384 \
		--pbkdf-force-iterations 4 --pbkdf-parallel 1 \
		--volume-key-file "$WORK/vk.bin" "${uuid[@]}" \
		--key-file "$WORK/fixtures/passphrase" "$1"
}

# Test programs built on the host: the guest's interface test (static,
# so it needs no library in the initramfs) and the region images maker.
build_test_tools() {
	install -m 0755 "$KH_QEMU_DIR/rootfs-init.sh" "$WORK/fixtures/kh-rootfs-init" &&
		gcc -static -O2 -Wall -Wextra -I"$KH_TOP/kmod" \
		-o "$WORK/fixtures/kh-iface-test" "$KH_QEMU_DIR/iface_test.c" &&
		gcc -static -O2 -Wall -Wextra -pthread -I"$KH_TOP/kmod" \
		-o "$WORK/fixtures/kh-stress-test" "$KH_QEMU_DIR/stress_test.c" &&
		gcc -O2 -Wall -Wextra -I"$KH_TOP/kmod" -o "$WORK/mkplant" \
			"$KH_QEMU_DIR/mkplant.c" "$KH_TOP/kmod/format.c" \
			"$KH_TOP/userspace/format_user.c" -lcrypto
}

# The planted scenario's disk: region images for its volume. They carry
# the volume's key (cases 27, 28), so they go on a disk of their own and
# never into the initramfs that the other scenarios boot and dump.
make_plant_disk() {
	local dir=$1 uuid
	uuid=$(cryptsetup luksUUID "$dir/luks.img") &&
		mkdir -p "$dir/plant" &&
		"$WORK/mkplant" "$dir/plant" "$uuid" "$WORK/vk.bin" &&
		tar -c -f "$dir/plant.tar" -C "$dir/plant" .
}

# One initramfs and the boot disk that carries it with the kernel for
# kexec; $1 names them, $2 is a tree to add (KH_EXTRA_TREE) or empty.
build_image() {
	KH_FIXTURES=$WORK/fixtures KH_KVER=$VER KH_KERNEL_ROOT=$ROOT \
		KH_EXTRA_BINS=/usr/bin/keyctl KH_EXTRA_TREE=$2 \
		"$KH_QEMU_DIR/mkinitramfs.sh" "$WORK/$1.img" || return 1
	mkdir -p "$WORK/$1.boot"
	cp "$VMLINUZ" "$WORK/$1.boot/vmlinuz"
	cp "$WORK/$1.img" "$WORK/$1.boot/initrd.img"
	tar -c -f "$WORK/$1.tar" -C "$WORK/$1.boot" vmlinuz initrd.img
}

needs_scenario() {
	local s
	for s in "${SCENARIOS[@]}"; do
		[ "$s" != "$1" ] || return 0
	done
	return 1
}

# The keyring27 scenario's image adds Debian 13's cryptsetup 2.7 and
# keyctl with their own libraries (cryptsetup27, keyctl27); the others
# keep the smaller image.
build_images() {
	local tree
	build_test_tools || return 1
	build_image initrd "" || return 1
	if needs_scenario kho || needs_scenario debug; then
		build_kho_images || return 1
	fi
	if needs_scenario distro || needs_scenario distro-negative; then
		check "distro: Debian's mkinitramfs with keyhandover's hook and crypttab" \
			build_distro_images
		[ "$LAST_OK" = 1 ] || return 1
	fi
	needs_scenario keyring27 || needs_scenario chain || return 0
	tree=$(kh_trixie_tree) || return 1
	build_image initrd27 "$tree" || return 1
	! needs_scenario chain || build_chain_images "$tree"
}

# --- the cross-version chain: 6.1 -> Debian 13's 6.12 -> backports' 7.3 --

CHAIN_KVERS=

# For each later kernel: the module built for it (W=1, in the trixie
# chroot), Debian's image, and an initramfs of its own; all on one boot
# disk as vmlinuz-VER and initrd-VER.
build_chain_images() {
	local tree=$1 croot kv root dir=$WORK/chain.boot
	CHAIN_KVERS=$(kh_trixie_kvers) || return 1
	# shellcheck disable=SC2046 # one package a word
	croot=$(kh_kernel_chroot $(printf 'linux-headers-%s ' $CHAIN_KVERS)) ||
		return 1
	mkdir -p "$dir"
	for kv in $CHAIN_KVERS; do
		check "chain: module builds W=1-clean against $kv (gcc-14, trixie chroot)" \
			kh_build_module_chroot "$croot" "$kv" "$WORK/keyhandover-$kv.ko"
		[ "$LAST_OK" = 1 ] || return 1
		root=$(kh_fetch_trixie_kernel "$croot" "$kv") || return 1
		cp "$(kh_vmlinuz "$root" "$kv")" "$dir/vmlinuz-$kv"
		KH_FIXTURES=$WORK/fixtures KH_KVER=$kv KH_KERNEL_ROOT=$root \
			KH_MODULE=$WORK/keyhandover-$kv.ko \
			KH_EXTRA_BINS=/usr/bin/keyctl KH_EXTRA_TREE=$tree \
			"$KH_QEMU_DIR/mkinitramfs.sh" "$dir/initrd-$kv" || return 1
	done
	(cd "$dir" && tar -c -f "$WORK/chain.tar" -- *)
}

# The kernels the chain's boots ran, from their "KH-KERNEL stage version"
# lines, must be exactly $2 (space-separated).
chain_kernels() {
	local seen
	seen=$(strip_cr "$1/console.log" | awk '$1 == "KH-KERNEL" { printf "%s ", $3 }')
	[ "$seen" = "$2 " ]
}

# --- distro: Debian's own initramfs-tools in boot 2 ------------------------

DISTRO_UUID=4b480000-6b68-4000-8000-0000000000d1

# Debian's mkinitramfs, with cryptsetup-initramfs, a crypttab naming the
# volume "cryptroot", and keyhandover's hook and boot script, as a user's
# machine would have them (tests/qemu/mkdebinitrd.sh changes nothing on
# the host); on a boot disk with the kernel, for boot 1 to kexec into.
build_distro_images() {
	local dir=$WORK/distro.boot
	mkdir -p "$dir"
	"$KH_QEMU_DIR/mkdebinitrd.sh" "$dir/initrd.img" "$VER" "$ROOT" \
		"$KH_TOP/kmod/keyhandover.ko" "$KH_TOP/userspace/keyhandover" \
		"cryptroot UUID=$DISTRO_UUID none luks,initramfs" >"$WORK/mkdebinitrd.log" 2>&1 || {
		tail -n 20 "$WORK/mkdebinitrd.log" >&2
		return 1
	}
	cp "$VMLINUZ" "$dir/vmlinuz"
	tar -c -f "$WORK/distro.tar" -C "$dir" vmlinuz initrd.img
}

# Debian's cryptroot asked for the passphrase (it did in distro-negative,
# it must not in distro).
cryptroot_prompted() {
	strip_cr "$1/console.log" | grep 'Please unlock disk cryptroot' >/dev/null
}

# What `keyhandover reboot` printed in distro's boot 1 (the console).
reboot_said() {
	strip_cr "$1/console.log" | grep -F -- "$2" >/dev/null
}

restored_by_hook() {
	strip_cr "$1/console.log" | grep 'keyhandover: volumes opened from the hand-over' >/dev/null
}

# --- Kexec HandOver: Debian's 7.3 source, built with tests/qemu/kho.config --

KHO_KVER=

# The KHO kernel (built once, cached), the module built against its tree,
# an initramfs for it (every guest driver is built in) and a boot disk
# holding both for the kexec.
build_kho_images() {
	local tree croot dir=$WORK/kho.boot
	tree=$(kh_kho_kernel) || return 1
	KHO_KVER=$(cat "$tree/include/config/kernel.release") || return 1
	croot=$KH_CACHE/chroot-trixie
	check "kho: module builds W=1-clean against $KHO_KVER (CONFIG_KEXEC_HANDOVER)" \
		kh_build_module_chroot "$croot" "$KHO_KVER" "$WORK/keyhandover-kho.ko" \
		"${tree#"$croot"}"
	[ "$LAST_OK" = 1 ] || return 1
	mkdir -p "$dir"
	cp "$tree/arch/x86/boot/bzImage" "$dir/vmlinuz"
	KH_FIXTURES=$WORK/fixtures KH_KVER=$KHO_KVER KH_KERNEL_ROOT=$tree/root \
		KH_MODULE=$WORK/keyhandover-kho.ko KH_EXTRA_BINS=/usr/bin/keyctl \
		"$KH_QEMU_DIR/mkinitramfs.sh" "$WORK/initrd-kho.img" || return 1
	cp "$WORK/initrd-kho.img" "$dir/initrd.img"
	# Beside the kernel, as /boot has it: `load` checks that the next
	# kernel has Kexec HandOver before it hands a KHO region to it.
	cp "$tree/.config" "$dir/config-$KHO_KVER"
	tar -c -f "$WORK/kho.tar" -C "$dir" vmlinuz initrd.img "config-$KHO_KVER"
}

# Both boots of the kho scenario ran the KHO backend and no other.
kho_backend_used() {
	[ "$(strip_cr "$1/console.log" | grep -c 'preserved by Kexec HandOver$')" = 2 ] &&
		[ "$(strip_cr "$1/console.log" | grep -c '^backend: kho (Kexec HandOver)$')" -ge 2 ] &&
		! strip_cr "$1/console.log" | grep '^backend: memmap$' >/dev/null
}

# The initramfs and boot disk a scenario boots.
scenario_image() {
	case ${1##*/} in
	keyring27 | chain) echo initrd27 ;;
	kho | debug) echo initrd-kho ;;
	*) echo initrd ;;
	esac
}

# --- running the guest ---------------------------------------------------

# Bytes and address of a memmap=SIZE$ADDR region.
region_size() {
	local s=${KH_REGION%%\$*}
	case $s in
	*K) echo $((${s%K} * 1024)) ;;
	*M) echo $((${s%M} * 1024 * 1024)) ;;
	*) echo $((s)) ;;
	esac
}

# The region's physical address: the memmap= one, or under Kexec HandOver
# (scenario kho) the page the module's last "preserved by Kexec HandOver"
# line names; nothing when there is none, so that no dump of some other
# page can pass for the region.
region_addr() {
	if [ "${1:-}" ] && [ "${1##*/}" = kho ]; then
		strip_cr "$1/console.log" |
			sed -n 's/.*keyhandover: region \(0x[0-9a-f]*\)+0x1000 preserved by Kexec HandOver$/\1/p' |
			tail -n 1
		return 0
	fi
	printf '%s\n' "${KH_REGION#*\$}"
}

# Start QEMU in the background under a hard timeout. The monitor is on a
# pipe so that the host can dump the region once the guest holds.
start_qemu() {
	local dir=$1 stage=$2 image
	image=$(scenario_image "$dir")
	local disk2=$WORK/$image.tar
	local append="console=ttyS0 ignore_loglevel panic=-1 panic_on_warn=1"
	if [ "${dir##*/}" = kho ]; then
		# No reservation at all: the module asks Kexec HandOver. The
		# kexec'd kernel allocates only from the scratch areas until
		# memblock hands over to the buddy allocator, and KASAN's shadow
		# (1/8 of RAM, 128 MiB here) comes before that (arch/x86/kernel/
		# setup.c: kho_populate(), then kasan_init()): hence 256M global.
		append+=" kho=on kho_scratch=16M,256M,16M"
	else
		append+=" memmap=$KH_REGION"
	fi
	append+=" kh.stage=$stage kh.hold=$HOLD$APPEND_EXTRA"
	case ${dir##*/} in
	nomodule) append+=" kh.next=nomodule" ;;
	foreign) append+=" kh.next=foreign kh.loader=kexec" ;;
	passon) append+=" kh.next=passon" ;;
	esac
	local kernel=$VMLINUZ
	case ${dir##*/} in
	distro | distro-negative)
		disk2=$WORK/distro.tar
		append+=" root=/dev/mapper/cryptroot keyhandover.region=$KH_REGION" ;;
	esac
	case ${dir##*/} in
	kho | debug)
		disk2=$WORK/kho.tar
		kernel=$WORK/kho.boot/vmlinuz ;;
	esac
	# Any detector's report ends the boot: KASAN's and oopses panic, and
	# panic_on_warn (above) covers WARN, UBSAN and KFENCE. The log buffer
	# holds the whole boot for the guest's own search of it; KFENCE
	# samples every 10 ms instead of 100.
	[ "${dir##*/}" != debug ] ||
		append+=" kasan.fault=panic oops=panic log_buf_len=16M kfence.sample_interval=10"
	if [ "${dir##*/}" = chain ]; then
		disk2=$WORK/chain.tar
		append+=" kh.next=hop kh.chain=$(printf '%s\n' $CHAIN_KVERS | paste -sd,)"
	fi
	# The console: a file, or for a scenario whose passphrase is typed, a
	# pipe pair (the host types into .in; cat copies .out to the log).
	local console=file:$dir/console.log
	if [ "$(scenario_typed "$dir")" = 1 ]; then
		append+=" kh.tty=1"
		rm -f "$dir/tty0.in" "$dir/tty0.out"
		mkfifo "$dir/tty0.in" "$dir/tty0.out"
		cat "$dir/tty0.out" >"$dir/console.log" &
		console=pipe:$dir/tty0
	fi
	# The planted images are sealed with mkplant.c's nonce, as if a
	# `keyhandover load` had named it.
	if [ -f "$dir/plant.tar" ]; then
		disk2=$dir/plant.tar
		append+=" keyhandover.nonce=42420000000000000000000000000000"
	fi
	rm -f "$dir/mon.in" "$dir/mon.out"
	mkfifo "$dir/mon.in" "$dir/mon.out"
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max \
		-m "$MEM_MB" -smp 1 -nographic -no-reboot -nic none \
		-monitor "pipe:$dir/mon" \
		-kernel "$kernel" -initrd "$WORK/$image.img" -append "$append" \
		-drive "file=$dir/luks.img,if=virtio,format=raw" \
		-drive "file=$disk2,if=virtio,format=raw,readonly=on" \
		-serial "$console" -serial "file:$dir/marker.log" "${QEMU_EXTRA[@]}" \
		</dev/null >"$dir/qemu.out" 2>&1 &
	QEMU_PID=$!
}

qemu_running() {
	kill -0 "$QEMU_PID" 2>/dev/null
}

# monitor DIR COMMAND: one HMP command; bounded, as the FIFO blocks once
# QEMU is gone.
monitor() {
	# shellcheck disable=SC2016 # expanded by the inner sh
	timeout 5 sh -c 'printf "%s\n" "$1" >"$2"' sh "$2" "$1/mon.in"
}

# Wait for the verdict; while the guest holds, dump the region through
# the monitor and stop QEMU. Sets QEMU_RC.
# In a typed scenario, answer the tool's passphrase prompt once, as a
# person at the serial console would (the tool has echo off).
type_passphrase() {
	local dir=$1
	[ "$(scenario_typed "$dir")" = 1 ] && [ ! -e "$dir/typed" ] || return 0
	grep -aq "$(scenario_prompt "$dir")" "$dir/console.log" 2>/dev/null || return 0
	touch "$dir/typed"
	sleep 0.5 # the tool turns echo off right after printing the prompt
	timeout 5 sh -c 'printf "%s\r" "$(cat "$1")" >"$2"' sh \
		"$WORK/fixtures/passphrase" "$dir/tty0.in" || true
}

# Whether the scenario in DIR types its passphrase at the console prompt.
scenario_typed() {
	case ${1##*/} in
	positive | distro-negative) echo 1 ;;
	*) echo 0 ;;
	esac
}

# The prompt it types at: the tool's, or Debian's cryptroot's.
scenario_prompt() {
	case ${1##*/} in
	distro-negative) echo 'Please unlock disk cryptroot' ;;
	*) echo 'Enter passphrase for' ;;
	esac
}

# A prompt that must never come: in distro, no one would be there to type.
# The run stops at once instead of waiting for the timeout.
unexpected_prompt() {
	[ "${1##*/}" = distro ] && cryptroot_prompted "$1" 2>/dev/null
}

# The guest's "KH-DUMP TAG" requests (guest/planted.sh request_dump; case
# 17): stop the guest, save the region as region-TAG.bin, and only once
# "info status" (which the monitor runs after the pmemsave) says paused,
# look whether the guest's "KH-DUMP-END TAG" is out yet: dumps.log gets
# "TAG in-time" if not, "TAG late" if so (the guest went on meanwhile).
serve_dumps() {
	local dir=$1 tag markers
	grep -aq '^KH-DUMP ' "$dir/marker.log" 2>/dev/null || return 0
	markers=$(strip_cr "$dir/marker.log")
	for tag in $(sed -n 's/^KH-DUMP \([-a-z0-9]*\)$/\1/p' <<<"$markers"); do
		! grep -q "^$tag " "$dir/dumps.log" 2>/dev/null || continue
		monitor "$dir" stop || true
		monitor "$dir" "pmemsave $(region_addr "$dir") $(region_size) \"$dir/region-$tag.bin\"" || true
		case $(qemu_status "$dir") in
		paused*)
			markers=$(strip_cr "$dir/marker.log")
			case $markers in
			*"KH-DUMP-END $tag"*) echo "$tag late" ;;
			*) echo "$tag in-time" ;;
			esac ;;
		*) echo "$tag not-paused" ;;
		esac >>"$dir/dumps.log"
		monitor "$dir" cont || true
	done
}

# A region dump the guest waited for, of the region's full size.
region_dump() {
	grep -qx "$2 in-time" "$1/dumps.log" 2>/dev/null &&
		[ "$(wc -c <"$1/region-$2.bin")" = "$(region_size)" ] ||
		{ note "no in-time dump $2 of the region"; return 1; }
}

# Case 17 from outside: the region holding the first stash is byte for
# byte the same after the refused second arms.
first_stash_kept() {
	region_dump "$1" 17-before && region_dump "$1" 17-after &&
		! cmp -s "$1/region-17-before.bin" <(head -c "$(region_size)" /dev/zero) &&
		cmp -s "$1/region-17-before.bin" "$1/region-17-after.bin"
}

# The control: the stash that was refused, armed for real, changes the
# region, so the comparison above can see a change.
other_stash_differs() {
	region_dump "$1" 17-before && region_dump "$1" 17-other &&
		! cmp -s "$1/region-17-other.bin" <(head -c "$(region_size)" /dev/zero) &&
		! cmp -s "$1/region-17-before.bin" "$1/region-17-other.bin"
}

wait_qemu() {
	local dir=$1
	while qemu_running && ! grep -q KH-HOLD "$dir/marker.log" 2>/dev/null; do
		if unexpected_prompt "$dir"; then
			note "${dir##*/}: cryptroot asks for the passphrase: stopping"
			break
		fi
		type_passphrase "$dir"
		serve_dumps "$dir"
		sleep 0.2
	done
	if qemu_running; then
		# The monitor runs commands in order: once "quit" is done, so are
		# the dumps.
		local addr
		addr=$(region_addr "$dir")
		[ -z "$addr" ] ||
			monitor "$dir" "pmemsave $addr $(region_size) \"$dir/region.bin\"" || true
		# debug has no RAM check (no key in that boot): no dump either.
		[ "$RAMDUMP" = 0 ] || [ "${dir##*/}" = debug ] ||
			monitor "$dir" "pmemsave 0 $((MEM_MB << 20)) \"$dir/ram.bin\"" || true
		monitor "$dir" quit || true
	fi
	QEMU_RC=0
	wait "$QEMU_PID" || QEMU_RC=$?
	QEMU_PID=
}

# The console watcher follows console.log live: it stamps every KH-STAGE
# line with the host clock (so the time outside the guests' uptime, such
# as firmware and the kexec jump, can be told) and, with --demo, tells
# what each step means.
narrate_stage() {
	local stage=$1 step=$2 up=$3
	case $stage/$step in
	*/init) tell "boot '$stage': the kernel is up, /init started at ${up} s uptime" ;;
	*/module-loaded) tell "keyhandover.ko loaded; it owns the region $KH_REGION that memmap= keeps out of the kernel's RAM" ;;
	*/volume-written) tell "the server is running with its volume open (opened with the passphrase at its last cold boot); a known line was written to it" ;;
	arm/stashed) tell "keyhandover stash: the passphrase was typed once at its prompt on the serial console (echo off, so it shows nowhere); the tool derived the volume key through the LUKS header and the module now holds it in the reserved region" ;;
	rearm/stashed) tell "keyhandover stash (passphrase on stdin)" ;;
	*/loaded) tell "next kernel loaded with kexec_file_load; kexec -e: no firmware, no boot loader, RAM kept" ;;
	restore/restored) tell "a NEW kernel: keyhandover restore opened the volume with the handed-over key; nobody typed a passphrase" ;;
	negative/restored) tell "nothing was stashed: restore exits 3 (nothing handed over; quiet, as on every normal boot) and opens nothing" ;;
	*/checked) tell "checks done at ${up} s uptime of this boot; the verdict goes to the second serial port" ;;
	esac
}

watch_console() {
	local line
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		KH-STAGE\ *)
			printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$1/stamps"
			# shellcheck disable=SC2086 # stage, step, uptime
			narrate_stage ${line#KH-STAGE } ;;
		\[* | *$'\e'* | SeaBIOS* | Booting* | Probing*) ;; # firmware, kernel
		?*) [ "$DEMO" = 0 ] || printf '    | %s\n' "$line" ;;
		esac
	done
}

start_watcher() {
	mkfifo "$1/console.fifo"
	# grep drops the kernel's lines first: bash reads a pipe a byte at a
	# time and would stamp late during the kernel's bursts.
	tail -n +1 -F "$1/console.log" 2>/dev/null \
		> >(grep --line-buffered -av '^\[' >"$1/console.fifo") &
	TAIL_PID=$!
	watch_console "$1" <"$1/console.fifo" &
	WATCHER_PID=$!
}

# Stop tail; the watcher ends at the end of its input.
stop_watcher() {
	sleep 0.3 # tail's last lines
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	[ -z "$TAIL_PID" ] || wait "$TAIL_PID" 2>/dev/null || true
	[ -z "$WATCHER_PID" ] || wait "$WATCHER_PID" 2>/dev/null || true
	TAIL_PID=
	WATCHER_PID=
}

# --- checks --------------------------------------------------------------

strip_cr() {
	tr -d '\r' <"$1"
}

has_marker() {
	strip_cr "$1/marker.log" | grep -x "KH-RESULT $2" >/dev/null
}

# Why there is no positive marker, in a few lines: the guest's verdict,
# QEMU's own complaint, the end of the console.
explain_failure() {
	local f
	for f in marker.log qemu.out; do
		[ ! -s "$1/$f" ] || strip_cr "$1/$f" | tail -n 5 | note_lines "$f"
	done
	[ ! -f "$1/console.log" ] ||
		strip_cr "$1/console.log" | tail -n 15 | note_lines console
}

# The guest's own checks ("KH-CHECK ok|not-ok WHAT" on the second port),
# each counted as one of ours.
guest_checks() {
	local line
	while IFS= read -r line; do
		case $line in
		"KH-CHECK ok "*) ok "$2: ${line#KH-CHECK ok }" ;;
		"KH-CHECK not-ok "*) not_ok "$2: ${line#KH-CHECK not-ok }" ;;
		esac
	done < <(strip_cr "$1/marker.log")
}

# The boots must be exactly FIRST then SECOND: an unexpected extra boot
# (a reset, a kexec loop) is a failure too.
boot_sequence() {
	local seen
	seen=$(strip_cr "$1/console.log" | awk '$1 == "KH-STAGE" && $3 == "init" { printf "%s ", $2 }')
	if [ "$3" = - ]; then
		[ "$seen" = "$2 " ]
	else
		[ "$seen" = "$2 ${3//,/ } " ]
	fi
}

no_kernel_trouble() {
	! strip_cr "$1/console.log" |
		grep -E 'Kernel panic|BUG:|WARNING:|Oops|Call Trace|general protection' >&2
}

# The debug kernel's detectors (the guest also searches its dmesg).
no_debug_reports() {
	! strip_cr "$1/console.log" |
		grep -E 'UBSAN:|KASAN:|KFENCE:|possible recursive|circular locking|unreferenced object|inconsistent lock state|ODEBUG:|sleeping function called' >&2
}

# None of the files holds any piece of the key in any form the shared
# detector knows (lib.sh kh_leak_patterns: 16-byte windows in hex of any
# case, spaced or with colons, raw, and base64). The first file must have
# content and every file must be there and readable: "no such file" must
# not read as "not found".
no_key_in() {
	local rc=0
	[ -s "$1" ] || { note "nothing to search in $1"; return 1; }
	kh_leak_scan "$WORK/leak" "$@" || rc=$?
	[ "$rc" = 1 ]
}

# The RAM check must find a planted half, or its silence means nothing.
self_test_ram_check() {
	local t=$WORK/ram-probe
	mkdir -p "$t" && tail -c 32 "$WORK/vk.bin" >"$t/ram.bin" &&
		! ram_clean "$t" && rm -rf "$t"
}

no_passphrase_in_logs() {
	! LC_ALL=C grep -qaF -f "$WORK/fixtures/passphrase" -- "$@"
}

region_clean() {
	[ -f "$1/region.bin" ] || return 1
	no_key_in "$1/region.bin"
}

region_zero() {
	[ -f "$1/region.bin" ] &&
		cmp -s "$1/region.bin" <(head -c "$(region_size)" /dev/zero)
}

# A dump of all guest RAM taken after boot 2 closed the volume: neither
# 32-byte half of the XTS key may be anywhere (each half also starts the
# expanded AES key schedule, so a forgotten tfm shows too). With the volume
# still open the halves are found: that is the check's positive control.
ram_clean() {
	[ -f "$1/ram.bin" ] || return 1
	! LC_ALL=C grep -aqF -f "$WORK/vk.halves" -- "$1/ram.bin"
}

# Timings from the host-stamped "KH-STAGE stage step uptime" lines: per
# boot the steps by the guest's uptime, and by the host clock what lies
# between (QEMU start to the first kernel, kexec -e to the second kernel,
# the verdict to QEMU's exit). A kernel started at stamp - uptime.
report_timings() {
	[ -f "$1/stamps" ] || return 0
	awk -v t0="$2" -v t1="$3" '
	function flush() { if (line) print line; line = "" }
	{
		stage = $3; step = $4; up = $5; start = $1 - up
		if (stage != boot) {
			flush()
			if (!boot) printf "# timing QEMU start -> kernel 1: %.1fs (firmware, loading the kernel)\n", start - t0
			else printf "# timing kexec -e -> kernel 2: %.1fs (purgatory, decompression)\n", start - last
			boot = stage; prev = 0
			line = sprintf("# timing boot %s (uptime):", stage)
		}
		line = line sprintf(" %s +%.2fs", step, up - prev); prev = up; last = $1
	}
	END {
		flush()
		if (last) printf "# timing last step -> QEMU exit: %.1fs (region dump, quit)\n", t1 - last
		printf "# timing total wall: %.1fs\n", t1 - t0
	}' "$1/stamps"
}

# --- scenarios -----------------------------------------------------------

scenario_stages() {
	case $1 in
	positive) echo "arm restore restore-ok" ;;
	planted) echo "planted - planted-ok" ;;
	stale) echo "rearm stale stale-ok" ;;
	nomodule) echo "arm nomodule nomodule-ok" ;;
	foreign) echo "arm foreign foreign-ok" ;;
	passon) echo "arm passon,passon2 passon-ok" ;;
	resetarm) echo "resetarm resetarm resetarm-ok" ;;
	efi) echo "efi - efi-ok" ;;
	keyring) echo "krarm restore restore-ok" ;;
	keyring27) echo "kr27arm kr27restore kr27-ok" ;;
	chain) echo "arm hop,restore restore-ok" ;;
	kho) echo "arm restore restore-ok" ;;
	debug) echo "debug - debug-ok" ;;
	distro) echo "distroarm distro distro-ok" ;;
	distro-negative) echo "distronoarm distro distro-ok" ;;
	negative) echo "noarm negative negative-ok" ;;
	probe) echo "probe probe2 probe-ok" ;;
	esac
}

run_scenario() {
	local name=$1 first second marker dir t0 t1
	read -r first second marker <<<"$(scenario_stages "$name")"
	dir=$WORK/$name
	mkdir -p "$dir"
	if ! make_volume "$dir/luks.img"; then
		not_ok "$name: LUKS2 volume made on the host"
		return 0
	fi
	if [ "$name" = planted ] && ! make_plant_disk "$dir"; then
		not_ok "$name: region images made on the host"
		return 0
	fi
	tell "scenario $name: boot 1 runs '$first', kexec, boot 2 runs '$second'"
	t0=$(now)
	# SysRq-B resets the machine: this one boot again instead of exiting.
	[ "$name" != resetarm ] || QEMU_EXTRA=(-action reboot=reset)
	# UEFI firmware (OVMF) with a private copy of its variable store.
	if [ "$name" = efi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd"
		QEMU_EXTRA=(-drive "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"
			-drive "if=pflash,format=raw,file=$dir/vars.fd")
	fi
	start_qemu "$dir" "$first"
	QEMU_EXTRA=()
	start_watcher "$dir"
	wait_qemu "$dir"
	t1=$(now)
	stop_watcher
	case $QEMU_RC in
	124 | 137) note "$name: QEMU hit the ${TIMEOUT}s timeout" ;;
	esac

	check "$name: marker KH-RESULT $marker on the second serial port" \
		has_marker "$dir" "$marker"
	[ "$LAST_OK" = 1 ] || explain_failure "$dir"
	guest_checks "$dir" "$name"
	check "$name: boots were exactly $first then $second" \
		boot_sequence "$dir" "$first" "$second"
	check "$name: no kernel warning, BUG or panic" no_kernel_trouble "$dir"
	[ "$name" != debug ] ||
		check "debug: no KASAN, KFENCE, UBSAN, lockdep, debugobjects or kmemleak report on the console" \
			no_debug_reports "$dir"
	case $name in
	distro)
		check "distro: keyhandover reboot stashed the crypttab root volume as cryptroot" \
			reboot_said "$dir" "as cryptroot ($DISTRO_UUID)"
		check "distro: ... listed the swap entry with its reason" \
			reboot_said "$dir" "crypttab line 3: swap (/dev/vdb) not handed over: swap with a throw-away key"
		check "distro: ... listed the missing volume with its reason" \
			reboot_said "$dir" "crypttab line 4: gone (UUID=00000000-0000-4000-8000-0000000000aa) not handed over: no LUKS device with this UUID here"
		check "distro: ... and, with no systemd, kexecd at once" \
			reboot_said "$dir" "then: kexec at once (no systemd)"
		check "distro: Debian's initramfs ran keyhandover's boot script, which opened the volume" \
			restored_by_hook "$dir"
		check "distro: cryptroot never asked for the passphrase" \
			eval '! cryptroot_prompted "$dir"' ;;
	distro-negative)
		check "distro-negative: cryptroot asked for the passphrase" \
			cryptroot_prompted "$dir"
		check "distro-negative: keyhandover's boot script opened nothing" \
			eval '! restored_by_hook "$dir"' ;;
	esac
	if [ "$name" = planted ]; then
		check "planted: 17: the region, dumped from outside before and after the refused arms, is unchanged" \
			first_stash_kept "$dir"
		check "planted: 17: control: arming the refused stash for real changes the region" \
			other_stash_differs "$dir"
	fi
	[ "$name" != kho ] ||
		check "kho: both boots used the Kexec HandOver backend (no memmap=)" \
			kho_backend_used "$dir"
	[ "$name" != chain ] ||
		check "chain: the boots ran $VER then $CHAIN_KVERS" \
			chain_kernels "$dir" "$VER $CHAIN_KVERS"
	local logs=("$dir/console.log" "$dir/marker.log" "$dir/qemu.out")
	check "$name: volume key in no log (hex, spaced, colons, raw, base64; whole, halves, 16-byte pieces)" \
		no_key_in "${logs[@]}"
	check "$name: passphrase in no log" no_passphrase_in_logs "${logs[@]}"
	if [ "$name" != probe ]; then
		check "$name: region dumped from outside holds no key bytes" \
			region_clean "$dir"
		check "$name: region is all zero after boot 2" region_zero "$dir"
	fi
	# The planted images carry the key by design: no RAM check there.
	case $name in
	distro | distro-negative)
		note "$name: no RAM check: boot 2 runs from the open volume, whose key dm-crypt holds" ;;
	debug)
		note "debug: no RAM check: the volume key never enters this boot (test patterns only)" ;;
	esac
	if [ "$RAMDUMP" = 1 ] && [ "$name" != probe ] && [ "$name" != planted ] &&
		[ "$name" != debug ] &&
		[ "$name" != distro ] && [ "$name" != distro-negative ]; then
		check "$name: guest RAM after boot 2 holds no key bytes (volume closed)" \
			ram_clean "$dir"
		[ "$KEEP" = 1 ] || rm -f "$dir/ram.bin" # 1 GiB
	fi
	report_timings "$dir" "$t0" "$t1"
	[ "$DEMO" = 0 ] || demo_summary "$dir" "$name"
}

# --- lifecycle: the stash must not outlive a reboot, power-off or panic --

# VM status through the monitor: "running", "paused (shutdown)", ...
qemu_status() {
	monitor "$1" "info status" || return 1
	sleep 0.3
	timeout 1 cat "$1/mon.out" 2>/dev/null | tr -d '\r' |
		sed -n 's/^VM status: //p' | tail -n 1
}

wait_marker() {
	local dir=$1 what=$2 i
	for ((i = 0; i < 600; i++)); do
		grep -aq "^$what" "$dir/marker.log" 2>/dev/null && return 0
		qemu_running || return 1
		sleep 0.2
	done
	return 1
}

wait_paused() {
	local i
	for ((i = 0; i < 30; i++)); do
		case $(qemu_status "$1") in "paused (shutdown)") return 0 ;; esac
		qemu_running || return 1
	done
	return 1
}

# After a wipe or timeout the guest lives on and holds: stop it there.
wait_held() {
	wait_marker "$1" KH-HOLD && monitor "$1" stop
}

# The full volume key (raw) somewhere in a RAM dump.
ram_has_key() {
	[ -f "$1" ] && LC_ALL=C grep -aqF -f "$WORK/vk.bin" -- "$1"
}

# The module's own line for the way the stash went.
region_wiped_logged() {
	local want='keyhandover: region wiped'
	case $2 in
	panic) want='keyhandover: panic: region wiped' ;;
	timeout) want='keyhandover: stash not collected in time: region wiped' ;;
	esac
	strip_cr "$1/console.log" | grep "$want\$" >/dev/null
}

# Boot once, arm, let the host dump RAM (the key must be there: the
# positive control), then end the boot with ACTION; QEMU pauses instead
# of resetting or powering off, and the host dumps RAM again.
run_lifecycle() {
	local name=$1 dir=$WORK/$1 t0 t1
	mkdir -p "$dir"
	if ! make_volume "$dir/luks.img"; then
		not_ok "$name: LUKS2 volume made on the host"
		return 0
	fi
	tell "scenario $name: arm, then $name instead of kexec; the key must be gone from RAM"
	QEMU_EXTRA=(-action shutdown=pause)
	APPEND_EXTRA=" kh.then=$name"
	t0=$(now)
	start_qemu "$dir" armthen
	QEMU_EXTRA=()
	APPEND_EXTRA=
	start_watcher "$dir"
	if wait_marker "$dir" KH-ARMED; then
		# pmemsave completes before cont: the guest waits for it.
		monitor "$dir" stop
		monitor "$dir" "pmemsave 0 $((MEM_MB << 20)) \"$dir/armed.bin\""
		monitor "$dir" cont
	fi
	check "$name: guest armed and went on to $name" wait_marker "$dir" KH-GOING
	[ "$LAST_OK" = 1 ] || explain_failure "$dir"
	case $name in
	wipe | timeout)
		check "$name: guest holds after the $name" wait_held "$dir" ;;
	*)
		check "$name: QEMU paused at the guest's $name" wait_paused "$dir" ;;
	esac
	monitor "$dir" "pmemsave $(region_addr) $(region_size) \"$dir/region.bin\"" || true
	monitor "$dir" "pmemsave 0 $((MEM_MB << 20)) \"$dir/ram.bin\"" || true
	monitor "$dir" quit || true
	wait "$QEMU_PID" || true
	QEMU_PID=
	t1=$(now)
	stop_watcher

	check "$name: positive control: the armed key is found in guest RAM" \
		ram_has_key "$dir/armed.bin"
	check "$name: the module logged the wipe" region_wiped_logged "$dir" "$name"
	check "$name: region is all zero after $name" region_zero "$dir"
	check "$name: guest RAM after $name holds no key bytes" ram_clean "$dir"
	local logs=("$dir/console.log" "$dir/marker.log" "$dir/qemu.out")
	check "$name: volume key in no log (hex, spaced, colons, raw, base64; whole, halves, 16-byte pieces)" \
		no_key_in "${logs[@]}"
	[ "$KEEP" = 1 ] || rm -f "$dir/ram.bin" "$dir/armed.bin"
	note "timing $name: $(elapsed "$t0" "$t1")s wall"
}

demo_summary() {
	local read_back
	read_back=$(strip_cr "$1/console.log" | sed -n 's/^kh-init: read back from [^:]*: //p')
	[ -z "$read_back" ] ||
		tell "$2: boot 2 read from the volume: '$read_back'; it was written in boot 1"
	region_zero "$1" &&
		tell "$2: the reserved region, read from outside the guest at the end: all zero"
	tell "$2: the times above: '# timing' lines (uptime of each boot, host clock between)"
}

cleanup() {
	local rc=$?
	[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	keep_or_remove_work "$rc" " (console.log, marker.log per scenario)"
}

main() {
	parse_args "$@"
	kh_need_pkgs qemu-system-x86 cryptsetup-bin busybox-static kexec-tools \
		cpio kmod make keyutils ovmf
	VER=$(kh_kernel_version)
	tell "kernel $VER (Debian's image, the same for both boots)"
	if [ "${KH_NO_BUILD:-0}" = 1 ]; then
		note "KH_NO_BUILD=1: not building"
	elif needs_project; then
		check "build (make module tool KERNELRELEASE=$VER)" build_project
		[ "$LAST_OK" = 1 ] || finish
	else
		export KH_ALLOW_MISSING=1
	fi
	if ! ROOT=$(kh_fetch_kernel "$VER") || ! VMLINUZ=$(kh_vmlinuz "$ROOT" "$VER"); then
		not_ok "Debian kernel $VER fetched"
		finish
	fi
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-qemu.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	make_fixtures
	leak_self_test "$WORK/vk.bin" "$WORK/leak" "$WORK/leak-probe"
	check "RAM check finds a planted half of the key" self_test_ram_check
	tell "a LUKS2 volume (32 MiB) with a known volume key, an initramfs, and a boot disk holding kernel and initramfs for kexec"
	local t0
	t0=$(now)
	check "initramfs and boot disk built" build_images
	[ "$LAST_OK" = 1 ] || finish
	note "initramfs $(du -k "$WORK/initrd.img" | cut -f1) KiB, built in $(elapsed "$t0" "$(now)")s"
	local s
	for s in "${SCENARIOS[@]}"; do
		case $s in
		reboot | poweroff | panic | wipe | timeout) run_lifecycle "$s" ;;
		*) run_scenario "$s" ;;
		esac
	done
	finish
}

main "$@"
