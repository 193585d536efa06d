#!/bin/bash
# report.sh RESULTS KVER RUNS MODULE_BYTES REAL_INITRD_BYTES PIPELINE_RUNS
# Turns the guest's "KH-BENCH name microseconds maxrss_kib rc" and
# "KH-PARAM name value" lines into docs/benchmarks.md (on stdout): medians
# and ratios taken in this one run.
set -eu
res=$1 kver=$2 runs=$3 ko_bytes=$4 initrd_bytes=$5 pruns=$6

# median NAME FIELD: the median of one measurement (field 3: us, 4: KiB).
median() {
	awk -v n="$1" -v f="$2" '$1 == "KH-BENCH" && $2 == n { print $f }' "$res" |
		sort -n | awk '{ v[NR] = $1 } END {
			if (!NR) { print "n/a"; exit }
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Seconds with two decimals from microseconds.
sec() {
	awk -v u="$1" 'BEGIN { if (u == "n/a") print u; else printf "%.2f", u / 1e6 }'
}

# a + b, or n/a when either is.
sum() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a") print "n/a"; else print a + b }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) print "n/a"
		else printf "%.1f", a / b }'
}

param() {
	awk -v n="$1" '$1 == "KH-PARAM" && $2 == n { print $3; exit }' "$res"
}

# KH-PARAM initrd-hookN COMPRESSED UNPACKED, N=0 without the hook, 1 with.
initrd_size() {
	awk -v n="initrd-hook$1" -v f="$2" '$1 == "KH-PARAM" && $2 == n { print $f; exit }' "$res"
}

initrd_added() {
	local c0 c1 u0 u1
	c0=$(initrd_size 0 3) c1=$(initrd_size 1 3)
	u0=$(initrd_size 0 4) u1=$(initrd_size 1 4)
	if [ -z "$c0" ] || [ -z "$c1" ]; then
		echo "n/a (not measured in this run)"
		return
	fi
	printf '+%d KiB compressed (%d -> %d KiB), +%d KiB unpacked: Debian'"'"'s mkinitramfs with the same crypttab, without and with the hook (tool, its libraries not already there, the module, the boot script)' \
		$(((c1 - c0) / 1024)) $((c0 / 1024)) $((c1 / 1024)) $(((u1 - u0) / 1024))
}

failures() {
	awk '$1 == "KH-BENCH" && $5 != 0' "$res" | wc -l
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
qemu=$(qemu-system-x86_64 --version | head -n 1)

cat <<EOF
# Benchmarks

One run of \`make bench\` (\`tests/bench/run.sh\`), $(date -u +%Y-%m-%d).
Every figure is the median of $runs runs ($pruns for the slow cryptreboot
pipeline) taken in the same QEMU boot.
Timings are reported, never asserted.

- Host: ${cpu:-unknown CPU}, $(nproc) cores. $qemu, **TCG** (no KVM):
  everything in the guest runs many times slower than on bare metal; the
  ratios are the point, the absolute seconds are not.
- Guest: 1 vCPU, $((1024)) MiB, Debian's kernel $kver, a busybox initramfs
  with the module, the tool, cryptsetup 2.6.1 and kexec-tools.
- Reproduce: \`make bench\` (\`KH_BENCH_RUNS\` sets the runs).
- Commands that failed during the run: $(failures) (should be 0).

## 1. Unlocking in the new kernel

\`keyhandover restore\` (read the stash once, check the key against the
LUKS2 header, activate) against \`cryptsetup open\` with the passphrase, on
the same volume. "small": argon2id with 16 MiB and 4 iterations (what the
tests use). "default": the cost cryptsetup chose by itself when the volume
was formatted inside this guest: $(param PBKDF) with memory $(param Memory) KiB,
$(param Time-cost) iterations, $(param Threads) thread(s).

| volume | passphrase (s) | keyhandover restore (s) | passphrase / restore |
|---|---|---|---|
| small | $(sec "$(median open-small 3)") | $(sec "$(median restore-small 3)") | $(ratio "$(median open-small 3)" "$(median restore-small 3)") |
| default | $(sec "$(median open-default 3)") | $(sec "$(median restore-default 3)") | $(ratio "$(median open-default 3)" "$(median restore-default 3)") |

## 2. Preparing the reboot

\`keyhandover stash --key-file\` (one argon2id derivation at the small cost)
plus \`keyhandover load\` of Debian's kernel and its real initramfs, against
cryptreboot's approach reproduced with the standard tools
(\`tests/bench/cryptreboot-pipeline.sh\`): \`unmkinitramfs\` of a real Debian 12
initramfs made by Debian's \`mkinitramfs\` with cryptsetup-initramfs
($((initrd_bytes / 1024)) KiB, zstd), a key file and a crypttab entry added,
packed again with cpio and \`zstd -9\` (Debian's default), loaded with
\`kexec -s -l\`. This reproduction is ours, not cryptreboot's code; it does
what cryptreboot describes, with Debian's own tools.

| | seconds |
|---|---|
| keyhandover stash (1 volume) | $(sec "$(median stash-n1 3)") |
| keyhandover load | $(sec "$(median load-n1 3)") |
| **keyhandover total** | $(sec "$(sum "$(median stash-n1 3)" "$(median load-n1 3)")") |
| cryptreboot pipeline | $(sec "$(median pipeline 3)") |
| **pipeline / keyhandover** | $(ratio "$(median pipeline 3)" "$(sum "$(median stash-n1 3)" "$(median load-n1 3)")") |

## 3. Footprint

| what | size |
|---|---|
| keyhandover.ko | $((ko_bytes / 1024)) KiB (with debug info, as built) |
| region used | 64 + 240 per volume + 32 bytes: $((64 + 240 + 32)) for 1, $((64 + 4 * 240 + 32)) for 4, $((64 + 16 * 240 + 32)) for 16 (a 4 KiB region holds 16) |
| initramfs added by the integration | $(initrd_added) |
| peak RSS of the tool | stash $(median stash-n1 4) KiB, restore $(median restore-n1 4) KiB, load $(median load-n1 4) KiB |
| shutdown path | the reboot notifier zeroes 4 KiB and flushes it; \`keyhandover wipe\`, the same work plus starting a process, takes $(sec "$(median wipe-n1 3)") s here |

## 4. Scaling with the number of volumes (small cost)

| volumes | stash (s) | load (s) | restore (s) |
|---|---|---|---|
EOF
for n in 1 4 16; do
	printf '| %s | %s | %s | %s |\n' "$n" "$(sec "$(median "stash-n$n" 3)")" \
		"$(sec "$(median "load-n$n" 3)")" "$(sec "$(median "restore-n$n" 3)")"
done
cat <<EOF

stash grows with one passphrase derivation per volume; restore with one
digest check and one activation per volume; load does not depend on it.
EOF
