#!/bin/bash
# make bench: what the hand-over saves, measured side by side in one QEMU
# boot (TCG, 1 GiB, Debian's 6.1 kernel), printed as a table and written
# to docs/benchmarks.md. Timings are reported, never asserted. The guest
# has two vCPUs (QEMU runs them on two host threads), for the parallel
# restore.
#
#   1. unlock in the new kernel: `keyhandover restore` against opening the
#      same volume with its passphrase, and against its floor, `cryptsetup
#      open --volume-key-file`, at a small argon2id cost and at the cost
#      cryptsetup picks by itself in this guest;
#   2. preparation before the reboot: `keyhandover stash` (key file) +
#      `load` against cryptreboot's pipeline reproduced with the standard
#      tools on a real Debian 12 initramfs (cryptreboot-pipeline.sh);
#      load against its floor, `kexec -s -l`; keyring-mode stash against
#      passphrase stash;
#   3. the module's own cost (function_graph; the reboot notifier's own
#      line); 4. footprint; 5. scaling with 1, 4 and 16 volumes, restore
#      serial and parallel; 6. the downtime of a whole Debian 13 system
#      (downtime.sh, KH_DOWNTIME_RUNS; KH_BENCH_DOWNTIME=0 leaves it out).
#
# Environment: KH_BENCH_RUNS (default 5), KH_BENCH_PIPELINE_RUNS
# (default 3), KH_BENCH_OUT (default docs/benchmarks.md), KH_BENCH_PARTS
# (unlock,scale,keyring,module,pipeline,footprint: the initramfs the
# integration adds, two mkinitramfs runs on the host), KH_BENCH_RAW (a file for the
# guest's raw lines), KH_KVER.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
KH_TOP=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/debian.sh
. "$KH_TOP/tests/lib/debian.sh"
# shellcheck source=../lib/qemu.sh
. "$KH_TOP/tests/lib/qemu.sh"
top=$KH_TOP
RUNS=${KH_BENCH_RUNS:-5}
# The cryptreboot pipeline takes minutes under TCG: fewer runs of it.
PRUNS=${KH_BENCH_PIPELINE_RUNS:-3}
OUT=${KH_BENCH_OUT:-$top/docs/benchmarks.md}
NONCE=42420000000000000000000000000000
NVOL=16
MEM_MB=1024
# shellcheck disable=SC2034 # read by tests/lib/qemu.sh qemu_start
QEMU_SMP=2
WORK=

DONE=0

# Logs stay when the run failed: say where.
cleanup() {
	[ -n "$WORK" ] || return 0
	if [ "$DONE" = 1 ]; then
		rm -rf "$WORK"
	else
		echo "# logs kept in $WORK" >&2
	fi
}

# A real Debian 12 initramfs for the kernel, made by Debian's own
# mkinitramfs (with cryptsetup-initramfs, as on an encrypted system). The
# kernel's modules are bind-mounted in a private mount namespace, so the
# host's /lib/modules is not touched. Cached by kernel version.
real_initrd() {
	local ver=$1 root=$2 out=$KH_CACHE/real-initrd/$1/initrd.img
	if [ ! -f "$out" ]; then
		kh_need_pkgs initramfs-tools cryptsetup-initramfs >&2
		mkdir -p "${out%/*}"
		unshare -m sh -c '
			mkdir -p "/lib/modules/$1" && touch "/boot/config-$1" &&
			mount --bind "$2/lib/modules/$1" "/lib/modules/$1" &&
			mount --bind "$2/boot/config-$1" "/boot/config-$1" &&
			mkinitramfs -o "$3.tmp" "$1"' sh "$ver" "$root" "$out" >&2
		mv "$out.tmp" "$out"
	fi
	printf '%s\n' "$out"
}

# 16 small LUKS2 volumes (argon2id 16 MiB, 4 iterations) with known keys,
# and the stash images that plant 1, 4 or 16 of them, or the default one.
make_volumes() {
	local i uuids=()
	head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >"$WORK/fixtures/passphrase"
	echo "bench" >"$WORK/fixtures/content"
	for ((i = 0; i < NVOL; i++)); do
		head -c 64 /dev/urandom >"$WORK/vk$i"
		truncate -s 20M "$WORK/vol$i.img"
		cryptsetup luksFormat -q --type luks2 --pbkdf argon2id \
			--pbkdf-memory 16384 --pbkdf-force-iterations 4 \
			--pbkdf-parallel 1 --volume-key-file "$WORK/vk$i" \
			--key-file "$WORK/fixtures/passphrase" "$WORK/vol$i.img"
		uuids+=("$(cryptsetup luksUUID "$WORK/vol$i.img")" "$WORK/vk$i")
	done
	mkdir -p "$WORK/data"
	"$WORK/mkstash" "$WORK/data/stash-small" "$NONCE" "${uuids[@]:0:2}"
	"$WORK/mkstash" "$WORK/data/stash-n1" "$NONCE" "${uuids[@]:0:2}"
	"$WORK/mkstash" "$WORK/data/stash-n4" "$NONCE" "${uuids[@]:0:8}"
	"$WORK/mkstash" "$WORK/data/stash-n16" "$NONCE" "${uuids[@]}"
	# The volume keys as files, for the floors (--volume-key-file) and the
	# keyring mode's logon keys: test keys of throwaway volumes.
	cp "$WORK/vk0" "$WORK/data/vk-small"
	for ((i = 0; i < NVOL; i++)); do
		cp "$WORK/vk$i" "$WORK/data/vk-bench$i"
		printf '%s\n' "${uuids[2 * i]}" >"$WORK/data/uuid-bench$i"
	done
	head -c 64 /dev/urandom >"$WORK/data/vk-default"
	cat /proc/sys/kernel/random/uuid >"$WORK/data/default.uuid"
	"$WORK/mkstash" "$WORK/data/stash-default" "$NONCE" \
		"$(cat "$WORK/data/default.uuid")" "$WORK/data/vk-default"
	truncate -s 64M "$WORK/default.img"
}

build() {
	make -s -C "$top" module tool KERNELRELEASE="$VER" >&2
	gcc -O2 -static -o "$WORK/fixtures/kh-timeit" "$here/timeit.c"
	gcc -O2 -static -o "$WORK/fixtures/kh-logon-key" "$top/tests/qemu/logon_key.c"
	install -m 0755 "$here/cryptreboot-pipeline.sh" \
		"$WORK/fixtures/kh-cryptreboot-pipeline"
	gcc -O2 -I"$top/kmod" -o "$WORK/mkstash" "$here/mkstash.c" \
		"$top/kmod/format.c" "$top/userspace/format_user.c" -lcrypto
}

run_guest() {
	local disks=() i append
	append="console=ttyS0 panic=-1 panic_on_warn=1 memmap=4K\$0x7000000"
	append+=" kh.stage=bench kh.runs=$RUNS kh.pruns=$PRUNS keyhandover.nonce=$NONCE"
	append+=" kh.bench=${KH_BENCH_PARTS:-unlock,scale,keyring,module,pipeline}"
	disks+=(-drive "file=$WORK/vol0.img,if=virtio,format=raw")
	disks+=(-drive "file=$WORK/data.tar,if=virtio,format=raw,readonly=on")
	for ((i = 1; i < NVOL; i++)); do
		disks+=(-drive "file=$WORK/vol$i.img,if=virtio,format=raw")
	done
	disks+=(-drive "file=$WORK/default.img,if=virtio,format=raw")
	qemu_start "$WORK" 3000 -no-reboot \
		-kernel "$VMLINUZ" -initrd "$WORK/initrd.img" -append "$append" \
		"${disks[@]}" -serial "file:$WORK/console.log" \
		-serial "file:$WORK/marker.log"
	qemu_wait
	tr -d '\r' <"$WORK/marker.log" >"$WORK/results"
	# The power-off's reboot notifier, timed by the module (one per boot).
	tr -d '\r' <"$WORK/console.log" |
		sed -n 's/.*keyhandover: reboot notifier: \([0-9]*\) ns.*/KH-PARAM notifier-ns \1/p' \
		>>"$WORK/results"
	grep -qx 'KH-RESULT bench-ok' "$WORK/results" || {
		tail -n 5 "$WORK/results" >&2
		tr -d '\r' <"$WORK/console.log" | tail -n 30 >&2
		kh_die "the benchmark guest did not finish (logs: $WORK)"
	}
}

# What the initramfs-tools integration adds: Debian's mkinitramfs with the
# same crypttab, once without and once with keyhandover's hook (the tool,
# its libraries, the module, the boot script). Compressed bytes, as the
# boot loader reads them, and the unpacked bytes.
integration_sizes() {
	local line="cryptroot UUID=4b480000-6b68-4000-8000-0000000000d1 none luks,initramfs"
	local h
	for h in 1 0; do
		KH_NO_HOOK=$h "$top/tests/qemu/mkdebinitrd.sh" "$WORK/deb-hook$h.img" \
			"$VER" "$ROOT" "$top/kmod/keyhandover.ko" "$top/userspace/keyhandover" \
			"$line" >"$WORK/mkdebinitrd.log" 2>&1 || {
			cat "$WORK/mkdebinitrd.log" >&2
			return 1
		}
		rm -rf "$WORK/unpacked"
		unmkinitramfs "$WORK/deb-hook$h.img" "$WORK/unpacked"
		printf 'KH-PARAM initrd-hook%s %s %s\n' "$((1 - h))" \
			"$(du -b "$WORK/deb-hook$h.img" | cut -f1)" \
			"$(du -sb "$WORK/unpacked" | cut -f1)" >>"$WORK/sizes"
	done
	rm -rf "$WORK/unpacked"
}

main() {
	kh_need_pkgs qemu-system-x86 cryptsetup-bin busybox-static kexec-tools \
		cpio zstd kmod make gcc libssl-dev
	VER=$(kh_kernel_version)
	ROOT=$(kh_fetch_kernel "$VER")
	VMLINUZ=$(kh_vmlinuz "$ROOT" "$VER")
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-bench.XXXXXX")
	trap cleanup EXIT
	mkdir -p "$WORK/fixtures"
	build
	make_volumes
	cp "$(real_initrd "$VER" "$ROOT")" "$WORK/data/real-initrd.img"
	cp "$VMLINUZ" "$WORK/data/vmlinuz"
	tar -c -f "$WORK/data.tar" -C "$WORK/data" .
	KH_FIXTURES=$WORK/fixtures KH_KVER=$VER KH_KERNEL_ROOT=$ROOT \
		KH_EXTRA_BINS="/usr/bin/unmkinitramfs /usr/bin/cpio /usr/bin/zstd /bin/dd /bin/grep /bin/dash" \
		"$top/tests/qemu/mkinitramfs.sh" "$WORK/initrd.img"
	case ,${KH_BENCH_PARTS:-footprint}, in *,footprint,*) integration_sizes ;; esac
	echo "# benchmark guest running ($RUNS runs per figure; takes a while under TCG)" >&2
	run_guest
	[ ! -f "$WORK/sizes" ] || cat "$WORK/sizes" >>"$WORK/results"
	[ -z "${KH_BENCH_RAW:-}" ] || cp "$WORK/results" "$KH_BENCH_RAW"
	if [ "${KH_BENCH_DOWNTIME:-1}" != 0 ]; then
		echo "# the whole-system downtime (tests/bench/downtime.sh: an hour or more under TCG)" >&2
		"$here/downtime.sh" "$WORK/downtime.md"
	fi
	"$here/report.sh" "$WORK/results" "$VER" "$RUNS" \
		"$(du -b "$top/kmod/keyhandover.ko" | cut -f1)" \
		"$(du -b "$WORK/data/real-initrd.img" | cut -f1)" "$PRUNS" \
		"$WORK/downtime.md" | tee "$OUT"
	echo "# written to $OUT" >&2
	DONE=1
}

main "$@"
