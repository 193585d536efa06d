#!/bin/bash
# report.sh RESULTS KVER RUNS MODULE_BYTES REAL_INITRD_BYTES PIPELINE_RUNS [DOWNTIME_MD]
# (KH_BENCH_NOTE: one more line for the run's header, about its conditions)
# Turns the guest's "KH-BENCH name microseconds maxrss_kib rc",
# "KH-MODULE op microseconds" and "KH-PARAM name value" lines into
# docs/benchmarks.md (on stdout): medians and ratios taken in this one
# run; DOWNTIME_MD (downtime.sh's section) goes in as it is.
set -eu
res=$1 kver=$2 runs=$3 ko_bytes=$4 initrd_bytes=$5 pruns=$6
downtime=${7:-}

# The median of the numbers on stdin, one a line; n/a for none.
median_of() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "n/a"; exit }
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# median NAME FIELD: the median of one measurement (field 3: us, 4: KiB).
median() {
	awk -v n="$1" -v f="$2" '$1 == "KH-BENCH" && $2 == n { print $f }' "$res" |
		median_of
}

# The median of the module's own timings of OP (KH-MODULE lines), in us.
mmedian() {
	awk -v n="$1" '$1 == "KH-MODULE" && $2 == n { print $3 }' "$res" | median_of
}

# spread NAME: the fastest and the slowest run of NAME, in seconds.
spread() {
	awk -v n="$1" '$1 == "KH-BENCH" && $2 == n { print $3 }' "$res" | sort -n |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END {
			if (!NR) print "n/a"; else printf "%.2f..%.2f", lo / 1e6, hi / 1e6 }'
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

# The same with two decimals: for the ratios held against a goal.
ratio2() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) print "n/a"
		else printf "%.2f", a / b }'
}

# met RATIO GOAL: whether RATIO is at most GOAL, in words.
met() {
	awk -v r="$1" -v g="$2" 'BEGIN {
		if (r == "n/a") print "not measured"
		else if (r + 0 <= g + 0) print "met"
		else print "**not met**" }'
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

# The reboot notifier's one figure, in microseconds.
notifier_us() {
	awk -v n="$(param notifier-ns)" 'BEGIN {
		if (n == "") print "n/a"; else printf "%.1f", n / 1000 }'
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
qemu=$(qemu-system-x86_64 --version | head -n 1)

# The medians the tables use, in microseconds: m_NAME for KH-BENCH NAME.
for k in open-small floor-small digest-small restore-small open-default \
	floor-default digest-default restore-default stash-n1 load-n1 wipe-n1 pipeline load kexec-load \
	stash-keyring-small stash-passphrase-small stash-keyring-default \
	stash-passphrase-default; do
	eval "m_${k//-/_}=\$(median $k 3)"
done
# s_N: restore of N volumes one at a time; p_N: at once.
for n in 1 4 16; do
	eval "s_$n=\$(median restore-j1-n$n 3)"
	eval "p_$n=\$(median restore-jcpus-n$n 3)"
done
# shellcheck disable=SC2154 # m_*, s_*, p_*: set by the evals above
{
prep=$(sum "$m_stash_passphrase_small" "$m_load_n1")
r_small=$(ratio2 "$m_restore_small" "$m_floor_small")
r_default=$(ratio2 "$m_restore_default" "$m_floor_default")
r_load=$(ratio2 "$m_load" "$m_kexec_load")
r_par=$(ratio2 "$p_16" "$s_16")

cat <<EOF
# Benchmarks

One run of \`make bench\` (\`tests/bench/run.sh\`), $(date -u +%Y-%m-%d).
Every figure is the median of $runs runs ($pruns for the slow cryptreboot
pipeline) taken in the same QEMU boot, the commands compared run in
turns (a, b, a, b, ...). Timings are reported, never asserted.

- Host: ${cpu:-unknown CPU}, $(nproc) cores. $qemu, **TCG** (no KVM):
  everything in the guest runs many times slower than on bare metal; the
  ratios are the point, the absolute seconds are not.
- Guest: $(param cpus) vCPUs, 1024 MiB, Debian's kernel $kver, a busybox
  initramfs with the module, the tool, cryptsetup 2.6.1 and kexec-tools
  (no udev: restore finds each device by its LUKS header).
- Reproduce: \`make bench\` (\`KH_BENCH_RUNS\` sets the runs).
- Commands that failed during the run: $(failures) (should be 0).${KH_BENCH_NOTE:+
- $KH_BENCH_NOTE}

## At a glance

| comparison | ours (s) | the floor or the alternative (s) | ratio | goal |
|---|---|---|---|---|
| restore against \`cryptsetup open --volume-key-file\`, small cost | $(sec "$m_restore_small") | $(sec "$m_floor_small") | $r_small | at most 1.1: $(met "$r_small" 1.1) |
| restore against \`cryptsetup open --volume-key-file\`, default cost | $(sec "$m_restore_default") | $(sec "$m_floor_default") | $r_default | at most 1.1: $(met "$r_default" 1.1) |
| load against \`kexec -s -l\` | $(sec "$m_load") | $(sec "$m_kexec_load") | $r_load | at most 1.1: $(met "$r_load" 1.1) |
| restore of 16 volumes at once against one at a time | $(sec "$p_16") | $(sec "$s_16") | $r_par | at most 0.6: $(met "$r_par" 0.6) |
| keyring-mode stash against passphrase stash, default cost | $(sec "$m_stash_keyring_default") | $(sec "$m_stash_passphrase_default") | $(ratio2 "$m_stash_keyring_default" "$m_stash_passphrase_default") | |
| restore against the passphrase, default cost | $(sec "$m_restore_default") | $(sec "$m_open_default") | $(ratio2 "$m_restore_default" "$m_open_default") | |
| stash + load against the cryptreboot pipeline | $(sec "$prep") | $(sec "$m_pipeline") | $(ratio2 "$prep" "$m_pipeline") | |

## 1. Unlocking in the new kernel

\`keyhandover restore\` (read the stash once, find the device by its LUKS
UUID, check the key against the LUKS2 header, activate) against
\`cryptsetup open\` with the passphrase, and against its floor,
\`cryptsetup open --volume-key-file\` of the same key on the same device:
the digest check and the activation, nothing else. "small": argon2id
with 16 MiB and 4 iterations (what the tests use). "default": the cost
cryptsetup chose by itself when the volume was formatted inside this
guest: $(param PBKDF) with memory $(param Memory) KiB, $(param Time-cost)
iterations, $(param Threads) thread(s).

| volume | passphrase (s) | floor (s) | keyhandover restore (s) | passphrase / restore | restore / floor |
|---|---|---|---|---|---|
| small | $(sec "$m_open_small") | $(sec "$m_floor_small") | $(sec "$m_restore_small") | $(ratio "$m_open_small" "$m_restore_small") | $r_small |
| default | $(sec "$m_open_default") | $(sec "$m_floor_default") | $(sec "$m_restore_default") | $(ratio "$m_open_default" "$m_restore_default") | $r_default |

Where the floor's time goes: \`cryptsetup open --test-passphrase
--volume-key-file\`, the same command without the activation (process
start, header load and the digest's PBKDF2), took $(sec "$m_digest_small") s
(small) and $(sec "$m_digest_default") s (default); the rest of the floor
is the dm-crypt activation.

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
| keyhandover stash (1 volume) | $(sec "$m_stash_passphrase_small") |
| keyhandover load | $(sec "$m_load_n1") |
| **keyhandover total** | $(sec "$prep") |
| cryptreboot pipeline | $(sec "$m_pipeline") |
| **pipeline / keyhandover** | $(ratio "$m_pipeline" "$prep") |

**load against its floor**: \`keyhandover load\` (read the command line,
add \`memmap=\` and the nonce, bind the armed stash, \`kexec_file_load\`)
against \`kexec -s -l\` of the same kernel, initramfs and command line
(the one load's dry run printed).

| keyhandover load (s) | kexec -s -l (s) | load / kexec |
|---|---|---|
| $(sec "$m_load") | $(sec "$m_kexec_load") | $r_load |

**Keyring mode**: \`stash --keyring\` (the module takes the volume key
from a logon key, in the kernel: no key derivation at all) against
\`stash --key-file\` (argon2id on the passphrase) of the same volume.

| volume | keyring stash (s) | passphrase stash (s) | passphrase / keyring |
|---|---|---|---|
| small | $(sec "$m_stash_keyring_small") | $(sec "$m_stash_passphrase_small") | $(ratio "$m_stash_passphrase_small" "$m_stash_keyring_small") |
| default | $(sec "$m_stash_keyring_default") | $(sec "$m_stash_passphrase_default") | $(ratio "$m_stash_passphrase_default" "$m_stash_keyring_default") |

## 3. The module's own cost

Inside the kernel: the function_graph tracer on the module's
\`kh_stash_arm\` (ARM of one volume: check, seal, write the region),
\`kh_stash_read\` (READ: check, copy out, wipe) and \`kh_stash_wipe\`
(WIPE); the reboot notifier by the module's own clock, at the guest's
power-off with a stash armed (the wipe and the flush; one per boot, so
a figure of that one run, not a median).

| operation | microseconds |
|---|---|
| arm | $(mmedian arm) |
| read | $(mmedian read) |
| wipe | $(mmedian wipe) |
| reboot notifier (power-off, stash armed) | $(notifier_us) |

## 4. Footprint

| what | size |
|---|---|
| keyhandover.ko | $((ko_bytes / 1024)) KiB (with debug info, as built) |
| region used | 64 + 240 per volume + 32 bytes: $((64 + 240 + 32)) for 1, $((64 + 4 * 240 + 32)) for 4, $((64 + 16 * 240 + 32)) for 16 (a 4 KiB region holds 16) |
| initramfs added by the integration | $(initrd_added) |
| peak RSS of the tool | stash $(median stash-passphrase-small 4) KiB, restore $(median restore-j1-n1 4) KiB, load $(median load-n1 4) KiB |
| shutdown path | the reboot notifier zeroes 4 KiB and flushes it (section 3); \`keyhandover wipe\`, the same work plus starting a process, takes $(sec "$m_wipe_n1") s here |

## 5. Scaling with the number of volumes

The volumes made again in the guest, at the digest cost cryptsetup's own
benchmark picks there ($(param scale-digest-iterations) PBKDF2 iterations),
with a PBKDF2 keyslot of 50 ms (what stash derives here).

restore one at a time (\`--jobs 1\`) and at once (the default: as many
workers as CPUs, here $(param cpus)); every run of either opened every
volume. Beside them the machine's own parallelism, the floor for
restore's: the same volumes opened by \`cryptsetup open
--volume-key-file\` one after another, and in $(param cpus) shell streams at
once.

| volumes | stash (s) | load (s) | restore, one at a time (s) | restore, at once (s) | at once / one at a time | cryptsetup, one stream (s) | cryptsetup, $(param cpus) streams (s) | streams / one |
|---|---|---|---|---|---|---|---|---|
EOF
cpus=$(param cpus)
for n in 1 4 16; do
	eval "sn=\$s_$n pn=\$p_$n"
	f1=$(median "floor-s1-n$n" 3) fc=$(median "floor-s${cpus:-2}-n$n" 3)
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
		"$(sec "$(median "stash-n$n" 3)")" "$(sec "$(median "load-n$n" 3)")" \
		"$(sec "$sn")" "$(sec "$pn")" "$(ratio2 "$pn" "$sn")" \
		"$(sec "$f1")" "$(sec "$fc")" "$(ratio2 "$fc" "$f1")"
done
cat <<EOF

stash grows with one passphrase derivation per volume; restore with one
digest check and one activation per volume, which its workers share out
among the CPUs; load does not depend on it.

Spread of the restores of 16 volumes (min..max of the runs, s): one at a
time $(spread restore-j1-n16), at once $(spread restore-jcpus-n16);
cryptsetup in one stream $(spread floor-s1-n16), in $(param cpus) $(spread "floor-s$(param cpus)-n16").
EOF
if [ -n "$downtime" ] && [ -s "$downtime" ]; then
	echo
	cat "$downtime"
fi
cat <<EOF

The unattended kernel upgrade of a whole Debian 13 system, from the
service's start to \`multi-user.target\` on the new kernel, one
measurement of the system suite: [unattended.md](unattended.md).
EOF
}
