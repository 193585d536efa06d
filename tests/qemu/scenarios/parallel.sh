# shellcheck shell=bash
# parallel: restore opens four volumes at once, one with a wrong key
# One boot on 2 vCPUs, no kexec: four small LUKS2 volumes, and a stash of
# them (tests/bench/mkstash.c, sealed with the nonce as `keyhandover
# load` would seal it) planted through /dev/mem: bench0 and bench2 with
# their keys, bench1 with a wrong one, bench3's volume already open under
# another name. `restore --jobs 4` must open bench0 and bench2, refuse
# bench1 (exit 1) and leave bench3 alone, each said in the stash's order;
# `restore --jobs 1` on the same stash must say the same, stream for
# stream; the region is zero after each (guest/parallel.sh).
STAGES="parallel -"
MARKER=parallel-ok
RAM_CHECK="the planted stash carries the volumes' keys by design"
LANE=2
# shellcheck disable=SC2034 # read by tests/lib/qemu.sh qemu_start
QEMU_SMP=2

scenario_prepare() {
	local dir=$1 i args=()
	mkdir -p "$dir/plant"
	for i in 0 1 2 3; do
		head -c 64 /dev/urandom >"$dir/vk$i"
		truncate -s 20M "$dir/par$i.img"
		cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 --volume-key-file "$dir/vk$i" \
			--key-file "$WORK/fixtures/passphrase" "$dir/par$i.img" || return 1
		QEMU_ARGS+=(-drive "file=$dir/par$i.img,if=virtio,format=raw")
		args+=("$(cryptsetup luksUUID "$dir/par$i.img")" "$dir/vk$i")
	done
	# bench1's key, after its volume was made with another: the wrong one.
	head -c 64 /dev/urandom >"$dir/vk1"
	"$WORK/mkstash" "$dir/plant/stash" 42420000000000000000000000000000 \
		"${args[@]}" &&
		tar -c -f "$dir/plant.tar" -C "$dir/plant" . || return 1
	BOOTDISK=$dir/plant.tar
	APPEND+=" keyhandover.nonce=42420000000000000000000000000000"
}
