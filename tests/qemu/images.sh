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

KHO_KVER=

# The KHO and debug kernel (built once, cached), the module built against
# its tree, an initramfs for it (every guest driver is built in) and a
# boot disk holding both for the kexec.
image_kho() {
	local tree croot dir=$WORK/kho.boot
	if [ ! -e "$WORK/kho.tar" ]; then
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
	fi
	KERNEL=$dir/vmlinuz INITRD=$WORK/initrd-kho.img BOOTDISK=$WORK/kho.tar
}
