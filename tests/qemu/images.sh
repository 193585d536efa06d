# shellcheck shell=bash
# The guests' images, for tests/qemu/run.sh: each image_NAME builds its
# initramfs and boot disk once per run (the first scenario that asks),
# and sets what a scenario's boot 1 starts from:
#
#   KERNEL    the kernel QEMU boots (-kernel): Debian's, unpacked for a
#             PVH start where it can (tests/lib/qemu.sh qemu_pvh_kernel)
#   INITRD    its initramfs (-initrd): tests/qemu/init.sh and the stages
#   BOOTDISK  the second disk, a tar read by the guest: the kernel and
#             initramfs it loads with kexec for the next boot
#
# A scenario names its image with IMAGE=NAME.

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

# Debian's kernel (the one the module is built for) and the busybox
# initramfs, in both boots. Built before any scenario runs.
image_initrd() {
	[ -e "$WORK/initrd.tar" ] || build_image initrd "" || return 1
	KERNEL=$VMLINUX INITRD=$WORK/initrd.img BOOTDISK=$WORK/initrd.tar
}

# --- Debian 13's cryptsetup 2.7 and keyctl ---------------------------------

# The same with Debian 13's cryptsetup 2.7 and keyctl and their own
# libraries added (cryptsetup27, keyctl27); the other scenarios keep the
# smaller image.
image_initrd27() {
	local tree
	if [ ! -e "$WORK/initrd27.tar" ]; then
		tree=$(kh_trixie_tree) || return 1
		build_image initrd27 "$tree" || return 1
	fi
	KERNEL=$VMLINUX INITRD=$WORK/initrd27.img BOOTDISK=$WORK/initrd27.tar
}

# --- the cross-version chain: 6.1 -> Debian 13's 6.12 -> backports' 7.3 --

CHAIN_KVERS=

# For each later kernel: the module built for it (W=1, in the trixie
# chroot), Debian's image, and an initramfs of its own; all on one boot
# disk as vmlinuz-VER and initrd-VER. Boot 1 is initrd27's.
image_chain() {
	local tree croot kv root dir=$WORK/chain.boot
	image_initrd27 || return 1
	if [ ! -e "$WORK/chain.tar" ]; then
		tree=$(kh_trixie_tree) || return 1
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
	fi
	BOOTDISK=$WORK/chain.tar
}

# --- distro: Debian's own initramfs-tools in boot 2 ------------------------

DISTRO_UUID=4b480000-6b68-4000-8000-0000000000d1

# Debian's mkinitramfs, with cryptsetup-initramfs, a crypttab naming the
# volume "cryptroot" (by DISTRO_UUID: the scenario's volume carries it),
# and keyhandover's hook and boot script, as a user's machine would have
# them (tests/qemu/mkdebinitrd.sh changes nothing on the host); on a boot
# disk with the kernel, for boot 1 to kexec into.
image_distro() {
	local dir=$WORK/distro.boot
	image_initrd || return 1
	if [ ! -e "$WORK/distro.tar" ]; then
		check "distro: Debian's mkinitramfs with keyhandover's hook and crypttab" \
			build_distro_image "$dir"
		[ "$LAST_OK" = 1 ] || return 1
	fi
	BOOTDISK=$WORK/distro.tar
}

build_distro_image() {
	mkdir -p "$1"
	"$KH_QEMU_DIR/mkdebinitrd.sh" "$1/initrd.img" "$VER" "$ROOT" \
		"$KH_TOP/kmod/keyhandover.ko" "$KH_TOP/userspace/keyhandover" \
		"cryptroot UUID=$DISTRO_UUID none luks,initramfs" >"$WORK/mkdebinitrd.log" 2>&1 || {
		tail -n 20 "$WORK/mkdebinitrd.log" >&2
		return 1
	}
	cp "$VMLINUZ" "$1/vmlinuz"
	tar -c -f "$WORK/distro.tar" -C "$1" vmlinuz initrd.img
}

# --- Kexec HandOver: Debian's 7.3 source, built with tests/qemu/kho.config --

KHO_KVER= KHO_MODULE=

# The KHO and debug kernel with the RFC series (built once, cached) and
# the module built against its tree, W=1, and signed with the tree's own
# key (the series' lockdown LSM brings module signing along; an unsigned
# module would load, but tainted).
kho_kernel_and_module() {
	local croot=$KH_CACHE/chroot-trixie
	[ -z "$KHO_MODULE" ] || return 0
	KHO_TREE=$(kh_kho_kernel) || return 1
	KHO_KVER=$(cat "$KHO_TREE/include/config/kernel.release") || return 1
	check "kho: module builds W=1-clean against $KHO_KVER (CONFIG_KEXEC_HANDOVER)" \
		kh_build_module_chroot "$croot" "$KHO_KVER" "$WORK/keyhandover-kho.ko" \
		"${KHO_TREE#"$croot"}"
	[ "$LAST_OK" = 1 ] || return 1
	kh_sign_module_chroot "$croot" "${KHO_TREE#"$croot"}" \
		"$WORK/keyhandover-kho.ko" || return 1
	KHO_MODULE=$WORK/keyhandover-kho.ko
}

# kho_image NAME [TREE]: an initramfs for that kernel (every guest driver
# is built in), with TREE's files added (kh_trixie_tree: cryptsetup 2.7),
# and a boot disk holding both for the kexec.
kho_image() {
	local name=$1 extra=${2:-} dir=$WORK/$1.boot
	if [ ! -e "$WORK/$name.tar" ]; then
		kho_kernel_and_module || return 1
		mkdir -p "$dir"
		cp "$KHO_TREE/arch/x86/boot/bzImage" "$dir/vmlinuz"
		KH_FIXTURES=$WORK/fixtures KH_KVER=$KHO_KVER KH_KERNEL_ROOT=$KHO_TREE/root \
			KH_MODULE=$KHO_MODULE KH_EXTRA_BINS=/usr/bin/keyctl \
			KH_EXTRA_TREE=$extra \
			"$KH_QEMU_DIR/mkinitramfs.sh" "$WORK/initrd-$name.img" || return 1
		cp "$WORK/initrd-$name.img" "$dir/initrd.img"
		# Beside the kernel, as /boot has it: `load` checks that the next
		# kernel has Kexec HandOver before it hands a KHO region to it.
		cp "$KHO_TREE/.config" "$dir/config-$KHO_KVER"
		tar -c -f "$WORK/$name.tar" -C "$dir" vmlinuz initrd.img "config-$KHO_KVER"
	fi
	KERNEL=$dir/vmlinuz INITRD=$WORK/initrd-$name.img BOOTDISK=$WORK/$name.tar
	# The kernel's own need, whatever the scenario: KASAN's shadow is an
	# eighth of RAM, and a KHO boot's scratch areas
	# (kho_scratch=16M,256M,16M) take 288 MiB of it.
	MEM_MB=1024
}

image_kho() {
	kho_image kho
}

# The same kernel with Debian 13's cryptsetup 2.7 and keyctl: the
# `upstream` scenario's, for the RFC series' round trip.
image_upstream() {
	local tree=
	[ -e "$WORK/upstream.tar" ] || tree=$(kh_trixie_tree) || return 1
	kho_image upstream "$tree"
}
