# shellcheck shell=sh
# Debian's parts for every suite: host packages, Debian's kernels, the
# trixie chroot (gcc-14, dracut, newer kernels), the Kexec HandOver test
# kernel and the whole Debian 12 system. Source it after setting KH_TOP
# (the checkout's top); it defines functions and a few variables and
# runs nothing.
#
# Everything fetched or built once lives in a cache keyed by version
# ($KH_CACHE), so a second run needs neither apt nor the network.

: "${KH_TOP:?set KH_TOP to the checkout before sourcing tests/lib/debian.sh}"
# shellcheck disable=SC2034 # used by the scripts that source this file
KH_QEMU_DIR=$KH_TOP/tests/qemu
KH_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/keyhandover

kh_log() {
	printf '%s\n' "$*" >&2
}

kh_die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# apt-get update only when apt knows no packages at all (a fresh machine)
# or when asked for a package it cannot find: updating costs ~10 s.
kh_apt_update_once() {
	[ -z "${KH_APT_UPDATED:-}" ] || return 0
	kh_log "apt-get update"
	apt-get update -qq >&2 || kh_die "apt-get update failed"
	KH_APT_UPDATED=1
}

# True when apt has a candidate version of package $1. (No "| grep -q":
# under pipefail an early grep exit fails the pipeline with SIGPIPE.)
kh_apt_known() {
	case $(apt-cache policy "$1" 2>/dev/null) in
	*"Candidate: ("* | "") return 1 ;;
	*Candidate:*) return 0 ;;
	*) return 1 ;;
	esac
}

kh_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = \
		"install ok installed" ]
}

# kh_need_pkgs PKG...: install the host packages that are missing.
# Idempotent and quiet when everything is there already.
kh_need_pkgs() {
	kh_missing=
	for kh_p in "$@"; do
		kh_installed "$kh_p" || kh_missing="$kh_missing $kh_p"
	done
	[ -n "$kh_missing" ] || return 0
	for kh_p in $kh_missing; do
		kh_apt_known "$kh_p" || kh_apt_update_once
	done
	kh_log "installing:$kh_missing"
	# The lock timeout: make test's two lanes may install at once.
	# shellcheck disable=SC2086 # word splitting of the list is intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o DPkg::Lock::Timeout=600 --no-install-recommends $kh_missing >&2 ||
		kh_die "apt-get install$kh_missing failed"
}

# The kernel ABI name the installed linux-headers-amd64 points at, e.g.
# 6.1.0-56-amd64: the module is built against those headers, so the guest
# must boot exactly that kernel. KH_KVER overrides it.
kh_kernel_version() {
	if [ -n "${KH_KVER:-}" ]; then
		printf '%s\n' "$KH_KVER"
		return 0
	fi
	kh_need_pkgs linux-headers-amd64
	kh_deps=$(dpkg-query -W -f='${Depends}' linux-headers-amd64)
	# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)" -> 6.1.0-56-amd64
	kh_v=${kh_deps#*linux-headers-}
	kh_v=${kh_v%%[ ,]*}
	if [ "$kh_v" = "$kh_deps" ] || [ -z "$kh_v" ]; then
		kh_die "cannot tell the kernel version from linux-headers-amd64"
	fi
	printf '%s\n' "$kh_v"
}

# Which binary package carries the image of VER: the unsigned one when it
# exists (identical content, unsigned modules), else the signed one.
kh_image_package() {
	for kh_p in "linux-image-$1-unsigned" "linux-image-$1"; do
		if kh_apt_known "$kh_p"; then
			printf '%s\n' "$kh_p"
			return 0
		fi
	done
	return 1
}

# kh_fetch_kernel VER: download and unpack Debian's image of VER into the
# cache, run depmod on it and print the root of the unpacked tree (it holds
# boot/vmlinuz-VER and lib/modules/VER). Idempotent: an unpacked tree is
# reused; with no apt at all (offline) any cached tree of VER is used.
kh_fetch_kernel() {
	kh_ver=$1
	kh_pkg=$(kh_image_package "$kh_ver") ||
		{ kh_apt_update_once; kh_pkg=$(kh_image_package "$kh_ver"); } ||
		kh_pkg=
	if [ -z "$kh_pkg" ]; then
		kh_root=
		for kh_d in "$KH_CACHE/kernel/$kh_ver"/*/root; do
			[ ! -e "$kh_d/.complete" ] || kh_root=$kh_d
		done
		[ -n "$kh_root" ] ||
			kh_die "no package linux-image-$kh_ver(-unsigned) in apt and nothing cached"
		printf '%s\n' "$kh_root"
		return 0
	fi
	kh_pver=$(apt-cache policy "$kh_pkg" | sed -n 's/^ *Candidate: //p')
	kh_dir=$KH_CACHE/kernel/$kh_ver/$kh_pver
	kh_root=$kh_dir/root
	if [ ! -e "$kh_root/.complete" ]; then
		kh_unpack_kernel "$kh_pkg" "$kh_dir" "$kh_ver" >&2
	fi
	printf '%s\n' "$kh_root"
}

# Download into a scratch directory and rename it into place at the end, so
# an interrupted run never leaves a half tree that looks complete.
kh_unpack_kernel() {
	kh_pkg=$1 kh_dir=$2 kh_ver=$3
	mkdir -p "$kh_dir"
	rm -rf "$kh_dir/root" "$kh_dir/tmp"
	mkdir "$kh_dir/tmp"
	kh_log "downloading $kh_pkg"
	(cd "$kh_dir/tmp" && apt-get download -qq \
		-o APT::Sandbox::User=root "$kh_pkg") ||
		kh_die "apt-get download $kh_pkg failed"
	kh_unpack_debs "$kh_dir" "$kh_ver"
}

# kh_unpack_debs DIR VER: unpack DIR/tmp/*.deb (an image, or the packages
# 7.x splits it into) into DIR/root, run depmod on it, keep the .debs in
# DIR and mark the tree complete.
kh_unpack_debs() {
	kh_dir=$1 kh_ver=$2
	kh_log "unpacking" "$kh_dir"/tmp/*.deb
	for kh_deb in "$kh_dir"/tmp/*.deb; do
		dpkg -x "$kh_deb" "$kh_dir/tmp/root"
	done
	# Newer Debian packages put modules under usr/lib; depmod -b wants lib/.
	if [ ! -d "$kh_dir/tmp/root/lib/modules/$kh_ver" ] &&
		[ -d "$kh_dir/tmp/root/usr/lib/modules/$kh_ver" ]; then
		mkdir -p "$kh_dir/tmp/root/lib"
		ln -s ../usr/lib/modules "$kh_dir/tmp/root/lib/modules"
	fi
	depmod -b "$kh_dir/tmp/root" "$kh_ver" || kh_die "depmod of $kh_ver failed"
	mv "$kh_dir"/tmp/*.deb "$kh_dir/"
	mv "$kh_dir/tmp/root" "$kh_dir/root"
	rmdir "$kh_dir/tmp"
	: >"$kh_dir/root/.complete"
}

# The bzImage inside an unpacked tree (boot/ in Debian 12, the module
# directory in later packages).
kh_vmlinuz() {
	for kh_f in "$1/boot/vmlinuz-$2" "$1/lib/modules/$2/vmlinuz" \
		"$1/usr/lib/modules/$2/vmlinuz"; do
		if [ -f "$kh_f" ]; then
			printf '%s\n' "$kh_f"
			return 0
		fi
	done
	kh_die "no vmlinuz for $2 under $1"
}

# Debian 13's userland, for tools newer than the guest's Debian 12 ones:
# cryptsetup 2.7 (--link-vk-to-keyring, --volume-key-keyring) and keyctl.
# Debian 12 has no backport of them, so they come from a trixie chroot with
# their own libraries beside them.
KH_TRIXIE_MIRROR=${KH_TRIXIE_MIRROR:-http://deb.debian.org/debian}

# True when the chroot $1 has package $2 installed.
kh_chroot_installed() {
	# shellcheck disable=SC2016 # a dpkg-query format, not for the shell
	[ "$(chroot "$1" dpkg-query -W -f='${Status}' "$2" 2>/dev/null)" = \
		"install ok installed" ]
}

# kh_trixie_chroot: make (once) a minbase Debian 13 chroot in the cache with
# cryptsetup-bin and keyutils installed, and print its path. Idempotent and
# quiet when everything is there already. A chroot that an earlier session
# made by hand is adopted when it looks complete.
kh_trixie_chroot() {
	kh_croot=$KH_CACHE/chroot-trixie
	if [ ! -e "$kh_croot/.complete" ] && [ -x "$kh_croot/usr/bin/apt-get" ]; then
		case $(cat "$kh_croot/etc/debian_version" 2>/dev/null) in
		13*) : >"$kh_croot/.complete" ;;
		esac
	fi
	[ -e "$kh_croot/.complete" ] || kh_debootstrap_trixie "$kh_croot" >&2
	kh_missing=
	for kh_p in cryptsetup-bin keyutils; do
		kh_chroot_installed "$kh_croot" "$kh_p" || kh_missing="$kh_missing $kh_p"
	done
	# shellcheck disable=SC2086 # word splitting of the list is intended
	[ -z "$kh_missing" ] || kh_chroot_apt "$kh_croot" $kh_missing >&2
	printf '%s\n' "$kh_croot"
}

# kh_debootstrap SUITE DIR LOG: a minbase Debian SUITE in a fresh DIR.
# debootstrap's chatter goes to LOG, whose end is shown only on failure.
kh_debootstrap() {
	kh_need_pkgs debootstrap
	rm -rf "$2"
	mkdir -p "$2"
	debootstrap --variant=minbase "$1" "$2" "$KH_TRIXIE_MIRROR" >"$3" 2>&1 ||
		{ tail -n 20 "$3" >&2; return 1; }
}

# Like kh_unpack_kernel: bootstrap into a scratch directory and rename it
# into place at the end.
kh_debootstrap_trixie() {
	kh_log "debootstrap trixie into $1 (once, under a minute)"
	kh_debootstrap trixie "$1.tmp" "$1.log" ||
		kh_die "debootstrap trixie failed (log: $1.log)"
	rm -rf "$1" "$1.log"
	mv "$1.tmp" "$1"
	: >"$1/.complete"
}

# kh_chroot_apt ROOT PKG...: install packages inside the chroot (proc
# mounted for apt's sake by kh_chroot_run).
kh_chroot_apt() {
	kh_croot=$1
	shift
	kh_log "installing into $kh_croot: $*"
	# A cached chroot may come from a machine with another resolver.
	cp -L /etc/resolv.conf "$kh_croot/etc/resolv.conf"
	# The chroot's package lists may be stale (old versions gone from the
	# mirror): update before installing. Only a cold run gets here.
	# INITRD=No: a kernel installed here (for its modules or its
	# headers) gets no initramfs of its own, which nothing here boots;
	# Debian's kernel hooks (dracut's, initramfs-tools') skip it, and a
	# cold run saves minutes.
	kh_chroot_run "$kh_croot" env DEBIAN_FRONTEND=noninteractive INITRD=No \
		sh -c 'apt-get update -qq &&
			apt-get install -y -qq -o Dpkg::Use-Pty=0 \
				--no-install-recommends "$@"' \
		sh "$@" || kh_die "apt-get install $* in $kh_croot failed"
}

# kh_trixie_tree: print a cached directory tree, keyed by trixie's
# cryptsetup-bin version, to copy as-is into the guest's root:
#   /opt/trixie/bin/{cryptsetup,keyctl}  trixie's binaries
#   /opt/trixie/lib/                     every library they load, by soname,
#                                        trixie's dynamic loader included
#   /usr/local/bin/{cryptsetup27,keyctl27}  wrappers that run them
# The wrappers start trixie's loader by hand, so nothing of the guest's
# Debian 12 libraries is mixed in and /sbin/cryptsetup stays Debian 12's.
# The marker .complete sits beside the tree, not in it, so the tree holds
# nothing but guest files.
kh_trixie_tree() {
	# kh_die in the command substitution ends only that subshell.
	kh_croot=$(kh_trixie_chroot) || exit 1
	# shellcheck disable=SC2016 # a dpkg-query format, not for the shell
	kh_cver=$(chroot "$kh_croot" dpkg-query -W -f='${Version}' cryptsetup-bin) ||
		kh_die "no cryptsetup-bin in $kh_croot"
	# No ":" of an epoch in the path: --library-path, like LD_LIBRARY_PATH,
	# splits at colons, which breaks running the tree from the cache.
	kh_dir=$KH_CACHE/trixie-tools/$(printf '%s\n' "$kh_cver" | tr : _)
	if [ ! -e "$kh_dir/.complete" ]; then
		kh_build_trixie_tree "$kh_croot" "$kh_dir" >&2
	fi
	printf '%s\n' "$kh_dir/tree"
}

kh_build_trixie_tree() {
	kh_croot=$1 kh_dir=$2
	kh_log "building the trixie tools tree in $kh_dir"
	mkdir -p "$kh_dir"
	rm -rf "$kh_dir/tree" "$kh_dir/tmp" "$kh_dir/.complete"
	kh_t=$kh_dir/tmp
	mkdir -p "$kh_t/opt/trixie/bin" "$kh_t/opt/trixie/lib" "$kh_t/usr/local/bin"
	# Resolve everything inside the chroot, where its symlinks (merged /usr)
	# mean what they say: "bin/NAME path" and "lib/SONAME path" lines, paths
	# free of links. ldd gives the whole closure; glibc dlopens libgcc_s
	# (thread cancellation) behind ldd's back, so it is added by hand.
	kh_list=$(LC_ALL=C chroot "$kh_croot" /bin/sh -s <<'KH_EOF'
set -e
PATH=/usr/sbin:/usr/bin:/sbin:/bin
pairs=
for b in cryptsetup keyctl; do
	p=$(command -v "$b")
	l=$(ldd "$p")
	case $l in *"not found"*)
		printf '%s\n' "$l" >&2
		exit 1 ;;
	esac
	# "name => /path (addr)" for libraries, "/path (addr)" for the loader
	pairs="$pairs
bin/$b $p
$(printf '%s\n' "$l" | awk '$2 == "=>" && $3 ~ /^\// { print "lib/" $1, $3 }
	$1 ~ /^\// { n = $1; sub(/.*\//, "", n); print "lib/" n, $1 }')"
done
pairs="$pairs
lib/libgcc_s.so.1 /lib/x86_64-linux-gnu/libgcc_s.so.1"
printf '%s\n' "$pairs" | while read -r n p; do
	[ -n "$n" ] || continue
	r=$(readlink -e "$p")
	printf '%s %s\n' "$n" "$r"
done
KH_EOF
	) || kh_die "cannot list the trixie binaries and their libraries"
	# A here-document, not a pipe: kh_die must end this shell, not a
	# subshell of the loop.
	while read -r kh_n kh_p; do
		cp "$kh_croot$kh_p" "$kh_t/opt/trixie/$kh_n" ||
			kh_die "cannot copy $kh_croot$kh_p"
		chmod 0644 "$kh_t/opt/trixie/$kh_n"
	done <<KH_EOF
$(printf '%s\n' "$kh_list" | LC_ALL=C sort -u)
KH_EOF
	kh_ld=$kh_t/opt/trixie/lib/ld-linux-x86-64.so.2
	[ -f "$kh_ld" ] || kh_die "no trixie dynamic loader in the closure"
	chmod 0755 "$kh_ld" "$kh_t"/opt/trixie/bin/*
	for kh_b in cryptsetup keyctl; do
		[ -f "$kh_t/opt/trixie/bin/$kh_b" ] || kh_die "no trixie $kh_b"
		# The loader by hand: the binaries' own interpreter path is the
		# guest's Debian 12 loader, and LD_LIBRARY_PATH would leak into
		# whatever they start.
		printf '%s\n' '#!/bin/sh' \
			"exec /opt/trixie/lib/ld-linux-x86-64.so.2 --library-path /opt/trixie/lib /opt/trixie/bin/$kh_b \"\$@\"" \
			>"$kh_t/usr/local/bin/${kh_b}27"
		chmod 0755 "$kh_t/usr/local/bin/${kh_b}27"
	done
	mv "$kh_t" "$kh_dir/tree"
	: >"$kh_dir/.complete"
}

# --- Debian 13's kernels: the cross-version chain -------------------------
#
# Debian 13 (6.12) and trixie-backports (7.3) headers need gcc-14, which
# Debian 12 lacks: the module is built for them inside the trixie chroot,
# from a copy of kmod/, and their images come from the chroot's apt.

# kh_chroot_run ROOT CMD...: run CMD in the chroot with proc mounted (Kbuild
# and apt read it), unmounted again whatever CMD did.
kh_chroot_run() {
	kh_croot=$1
	shift
	# A mount namespace of the command's own: its /proc goes when it
	# ends, and runs side by side in one chroot (the KHO kernel's build
	# beside the quick suites) never unmount each other's.
	LC_ALL=C unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" || exit 125
		exec chroot "$@"' sh "$kh_croot" "$@"
}

# The trixie chroot with trixie-backports enabled, and the headers of
# every kernel in $* plus what a W=1 build needs (perl for kernel-doc).
# One at a time: make test's two lanes may both reach it first on a cold
# cache (the KHO kernel's build and a system's kernel version), and two
# debootstraps or apts in one tree break each other.
kh_kernel_chroot() {
	mkdir -p "$KH_CACHE"
	(
		flock 9 || exit 1
		kh_kernel_chroot_locked "$@"
	) 9>"$KH_CACHE/chroot-trixie.lock"
}

kh_kernel_chroot_locked() {
	kh_croot=$(kh_trixie_chroot) || exit 1
	kh_list=$kh_croot/etc/apt/sources.list.d/keyhandover-backports.list
	if ! grep -rqs trixie-backports "$kh_croot/etc/apt/sources.list" \
		"$kh_croot/etc/apt/sources.list.d"; then
		printf 'deb %s trixie-backports main\n' "$KH_TRIXIE_MIRROR" >"$kh_list"
		kh_chroot_apt "$kh_croot" make >&2
	fi
	kh_missing=
	for kh_p in make perl "$@"; do
		kh_chroot_installed "$kh_croot" "$kh_p" || kh_missing="$kh_missing $kh_p"
	done
	# shellcheck disable=SC2086 # word splitting of the list is intended
	[ -z "$kh_missing" ] || kh_chroot_apt "$kh_croot" $kh_missing >&2
	printf '%s\n' "$kh_croot"
}

# The kernel ABI names linux-image-amd64 points at in trixie and in
# trixie-backports, e.g. "6.12.117+deb13-amd64 7.3.4+deb13-amd64".
# KH_CHAIN_KVERS overrides them.
kh_trixie_kvers() {
	if [ -n "${KH_CHAIN_KVERS:-}" ]; then
		printf '%s\n' "$KH_CHAIN_KVERS"
		return 0
	fi
	kh_croot=$(kh_kernel_chroot) || exit 1
	kh_out=
	for kh_suite in trixie trixie-backports; do
		kh_pv=$(chroot "$kh_croot" apt-cache madison linux-image-amd64 |
			awk -F' *[|] *' -v s=" $kh_suite/main amd64 Packages" \
				'index($3, s) { print $2; exit }')
		[ -n "$kh_pv" ] || kh_die "no linux-image-amd64 in $kh_suite"
		kh_v=$(chroot "$kh_croot" apt-cache depends "linux-image-amd64=$kh_pv" |
			sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n 1)
		[ -n "$kh_v" ] || kh_die "cannot tell the kernel of linux-image-amd64 $kh_pv"
		kh_out="$kh_out $kh_v"
	done
	printf '%s\n' "${kh_out# }"
}

# kh_build_module_chroot ROOT KVER OUT [KDIR]: build kmod/ with W=1
# against the chroot's headers of KVER (or the kernel tree KDIR, a path
# inside the chroot) and copy keyhandover.ko to OUT. The build log goes to
# OUT.log; any compiler or modpost warning fails the build.
kh_build_module_chroot() {
	kh_croot=$1 kh_kv=$2 kh_out=$3
	kh_kdir=${4:-/usr/src/linux-headers-$kh_kv}
	# kmod/ with VERSION beside it, as in the tree and the DKMS sources.
	kh_b=/tmp/kh-kmod-$kh_kv
	rm -rf "$kh_croot$kh_b"
	mkdir -p "$kh_croot$kh_b/kmod/uapi"
	cp "$KH_TOP/VERSION" "$kh_croot$kh_b/"
	cp "$KH_TOP"/kmod/*.c "$KH_TOP"/kmod/*.h "$KH_TOP/kmod/Kbuild" \
		"$KH_TOP/kmod/Makefile" "$kh_croot$kh_b/kmod/"
	rm -f "$kh_croot$kh_b"/kmod/*.mod.c
	cp "$KH_TOP/kmod/uapi/keyhandover.h" "$kh_croot$kh_b/kmod/uapi/"
	if ! kh_chroot_run "$kh_croot" make -C "$kh_b/kmod" \
		KDIR="$kh_kdir" W=1 module >"$kh_out.log" 2>&1; then
		tail -n 30 "$kh_out.log" >&2
		return 1
	fi
	if grep -E 'warning:|WARNING:' "$kh_out.log" >&2; then
		return 1
	fi
	cp "$kh_croot$kh_b/kmod/keyhandover.ko" "$kh_out"
	rm -rf "$kh_croot$kh_b"
}

# kh_sign_module_chroot CROOT TREE KO: sign KO with the key the kernel
# TREE (a path in CROOT) made for its own modules, when that kernel
# checks module signatures; nothing otherwise.
kh_sign_module_chroot() {
	kh_croot=$1 kh_t=$2 kh_ko=$3
	grep -qx 'CONFIG_MODULE_SIG=y' "$kh_croot$kh_t/.config" || return 0
	cp "$kh_ko" "$kh_croot/tmp/kh-sign.ko"
	kh_chroot_run "$kh_croot" "$kh_t/scripts/sign-file" sha512 \
		"$kh_t/certs/signing_key.pem" "$kh_t/certs/signing_key.x509" \
		/tmp/kh-sign.ko || {
		rm -f "$kh_croot/tmp/kh-sign.ko"
		kh_log "signing $kh_ko with $kh_t's key failed"
		return 1
	}
	mv "$kh_croot/tmp/kh-sign.ko" "$kh_ko"
}

# The packages that hold KVER's image and modules, pinned: the unsigned
# image where there is one (6.12), else the image and what 7.x split out
# of it (linux-base-KVER with modules.builtin, linux-binary-KVER,
# linux-modules-KVER).
kh_trixie_kernel_pkgs() {
	kh_croot=$1 kh_kv=$2
	for kh_p in "linux-image-$kh_kv-unsigned" "linux-image-$kh_kv"; do
		kh_pv=$(chroot "$kh_croot" apt-cache policy "$kh_p" |
			sed -n 's/^ *Candidate: //p')
		case $kh_pv in "" | "(none)") continue ;; esac
		printf '%s=%s\n' "$kh_p" "$kh_pv"
		chroot "$kh_croot" apt-cache depends "$kh_p=$kh_pv" |
			sed -n "s/^ *Depends: \(linux-\(base\|binary\|modules\)-$kh_kv\)\$/\1=$kh_pv/p"
		return 0
	done
	return 1
}

# kh_fetch_trixie_kernel ROOT KVER: as kh_fetch_kernel, for a kernel of
# trixie or trixie-backports, downloaded by the chroot's apt.
kh_fetch_trixie_kernel() {
	kh_croot=$1 kh_kv=$2
	kh_pkgs=$(kh_trixie_kernel_pkgs "$kh_croot" "$kh_kv") ||
		kh_die "no image of $kh_kv in the trixie chroot"
	kh_pv=$(printf '%s\n' "$kh_pkgs" | sed -n '1s/^[^=]*=//p')
	kh_dir=$KH_CACHE/kernel/$kh_kv/$(printf '%s\n' "$kh_pv" | tr : _)
	if [ ! -e "$kh_dir/root/.complete" ]; then
		kh_log "downloading" $kh_pkgs
		rm -rf "$kh_croot/tmp/kh-dl"
		mkdir -p "$kh_croot/tmp/kh-dl"
		# shellcheck disable=SC2086 # one package a word
		kh_chroot_run "$kh_croot" sh -c 'cd /tmp/kh-dl &&
			apt-get download -qq -o APT::Sandbox::User=root "$@"' \
			sh $kh_pkgs >&2 || kh_die "apt-get download $kh_pkgs failed"
		rm -rf "$kh_dir"
		mkdir -p "$kh_dir/tmp"
		mv "$kh_croot"/tmp/kh-dl/*.deb "$kh_dir/tmp/"
		rm -rf "$kh_croot/tmp/kh-dl"
		kh_unpack_debs "$kh_dir" "$kh_kv"
	fi
	printf '%s\n' "$kh_dir/root"
}

# --- the Kexec HandOver test kernel -----------------------------------------
#
# No Debian kernel enables CONFIG_KEXEC_HANDOVER yet: the test kernel is
# Debian's linux-source-7.3 with tinyconfig, tests/qemu/kho.config,
# tests/qemu/debug.config (KASAN, KFENCE, UBSAN, lockdep, kmemleak, fault
# injection) and the RFC series of upstream/: the same kernel serves the
# `kho`, `debug` and `upstream` scenarios, built in the trixie chroot
# (gcc-14) and cached by the hash of those files, the patches and the
# source package's version.

# (KH_KHO_CONFIGS=kho.config: the kernel without the debug options, for
# comparisons.)
KH_KHO_CONFIGS=${KH_KHO_CONFIGS:-kho.config debug.config}

# The RFC series in upstream/ (docs/upstream.md) is part of that kernel:
# its patches applied to the unpacked source in order, upstream/series.config
# merged after the configs above, both in the cache key, so that the `kho`
# and `debug` scenarios and the series' own `upstream` scenario boot one
# kernel, built once. (KH_KHO_SERIES= : the kernel without the series.)
KH_KHO_SERIES=${KH_KHO_SERIES-$KH_TOP/upstream}

# kh_kho_patches: the series' patch files in order (not the cover letter).
kh_kho_patches() {
	[ -n "$KH_KHO_SERIES" ] || return 0
	for kh_p in "$KH_KHO_SERIES"/[0-9][0-9][0-9][1-9]-*.patch; do
		[ -f "$kh_p" ] || kh_die "no patches in $KH_KHO_SERIES"
		printf '%s\n' "$kh_p"
	done
}

# kh_kho_config_files: the configuration fragments, in merge order.
kh_kho_config_files() {
	for kh_c in $KH_KHO_CONFIGS; do
		[ -f "$KH_QEMU_DIR/$kh_c" ] || kh_die "no $KH_QEMU_DIR/$kh_c"
		printf '%s\n' "$KH_QEMU_DIR/$kh_c"
	done
	[ -z "$KH_KHO_SERIES" ] || printf '%s\n' "$KH_KHO_SERIES/series.config"
}

# kh_kho_source: print the chroot and the path inside it of the unpacked
# linux-source-7.3 tree that the test kernel is built in (unpacked once;
# tests/check.sh runs its scripts/checkpatch.pl).
kh_kho_source() {
	# dwarves (pahole) before the configuration: the kernel records the
	# pahole it was configured with (CONFIG_PAHOLE_VERSION), and a module
	# built against it with another one warns, which the W=1 build
	# refuses. On a cold cache the headers a module build installs pull
	# dwarves into the chroot while this kernel builds: it was configured
	# with none (0) and every module build against it failed.
	kh_croot=$(kh_kernel_chroot linux-source-7.3 bc bison flex libelf-dev \
		libssl-dev cpio xz-utils gcc kmod dwarves) || exit 1
	# shellcheck disable=SC2016 # a dpkg-query format, not for the shell
	kh_sv=$(chroot "$kh_croot" dpkg-query -W -f='${Version}' linux-source-7.3)
	kh_files=$(kh_kho_config_files) || exit 1
	kh_patches=$(kh_kho_patches) || exit 1
	[ -z "$kh_patches" ] || kh_need_pkgs patch
	# shellcheck disable=SC2086 # one file name a word
	kh_key=$({ printf '%s\n' "$kh_sv"; cat $kh_files $kh_patches; } |
		sha256sum | cut -c1-12)
	kh_b=/usr/src/kh-kho-$kh_key
	if [ ! -e "$kh_croot$kh_b/.extracted" ]; then
		rm -rf "$kh_croot$kh_b"
		mkdir -p "$kh_croot$kh_b"
		tar -xJf "$kh_croot/usr/src/linux-source-7.3.tar.xz" \
			-C "$kh_croot$kh_b" --strip-components=1 ||
			kh_die "unpacking linux-source-7.3 into $kh_croot$kh_b failed"
		# Each patch must apply as it is, without fuzz: the series is
		# against this source, and a patch that only nearly applies
		# is not the series any more.
		for kh_p in $kh_patches; do
			patch -d "$kh_croot$kh_b" -p1 -s -N -F 0 -r - <"$kh_p" ||
				kh_die "${kh_p##*/} does not apply to linux-source-7.3 $kh_sv"
		done
		: >"$kh_croot$kh_b/.extracted"
	fi
	printf '%s %s\n' "$kh_croot" "$kh_b"
}

# kh_kho_kernel: print the host path of the built tree (arch/x86/boot/
# bzImage; root/lib/modules/VER from modules_install; the tree itself is
# what an out-of-tree module builds against, at the path the last line of
# the output names inside the chroot).
kh_kho_kernel() {
	kh_src=$(kh_kho_source) || exit 1
	kh_croot=${kh_src% *} kh_b=${kh_src#* }
	# One build at a time: make test builds it in the background while
	# the QEMU lane runs the scenarios that need other kernels; a scenario
	# that needs it waits here for that build instead of starting one.
	if [ ! -e "$kh_croot$kh_b/.complete" ]; then
		(
			flock 9
			[ -e "$kh_croot$kh_b/.complete" ] ||
				kh_build_kho_kernel "$kh_croot" "$kh_b" >&2
		) 9>"$kh_croot$kh_b.lock" ||
			kh_die "building the KHO kernel failed (log: $kh_croot$kh_b.log)"
	fi
	printf '%s\n' "$kh_croot$kh_b"
}

kh_build_kho_kernel() {
	kh_croot=$1 kh_b=$2
	kh_log "building the KHO and debug test kernel in $kh_croot$kh_b (once, about 25 minutes on 2 CPUs)"
	# An interrupted build resumes: make is incremental on the same tree.
	kh_files=$(kh_kho_config_files) || return 1
	# shellcheck disable=SC2086 # one file name a word
	cat $kh_files >"$kh_croot$kh_b/kho.config"
	kh_chroot_run "$kh_croot" sh -c 'set -e
		cd "$1"
		start=$(date +%s)
		make -s tinyconfig
		scripts/kconfig/merge_config.sh -m .config kho.config >/dev/null
		echo CONFIG_LOCALVERSION=\"-kho\" >>.config
		make -s olddefconfig
		# Every option asked for must have survived olddefconfig, and
		# every one switched off must be off.
		missing=$(grep "^CONFIG_" kho.config | while read -r l; do
			grep -qx "$l" .config || echo "$l"; done
			sed -n "s/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p" kho.config |
			while read -r o; do
				! grep -q "^$o=" .config || echo "$o (asked off)"; done)
		if [ -n "$missing" ]; then
			echo "options olddefconfig dropped: $missing" >&2
			exit 1
		fi
		make -s -j"$(nproc)" bzImage modules
		echo "kernel built in $(($(date +%s) - start)) s on $(nproc) CPUs"
		make -s INSTALL_MOD_PATH="$1/root" modules_install
	' sh "$kh_b" >"$kh_croot$kh_b.log" 2>&1 || {
		tail -n 30 "$kh_croot$kh_b.log"
		return 1
	}
	: >"$kh_croot$kh_b/.complete"
}

# --- a whole Debian 12 system: the `system` scenarios --------------------
#
# A debootstrap'd Debian 12 with systemd, Debian's kernel KVER (the one the
# other scenarios boot), initramfs-tools with cryptsetup-initramfs, what
# a user needs to install keyhandover with DKMS (headers, gcc, dkms, the
# -dev packages), and GRUB's configuration tools (update-grub; QEMU boots
# the kernel itself, so GRUB is never installed to a disk). Cached by KVER and the package list below; keyhandover
# itself is installed into a copy of it on every run.

KH_SECURITY_MIRROR=${KH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

KH_SYSTEM_PKGS="systemd-sysv udev kmod procps e2fsprogs util-linux
initramfs-tools busybox cryptsetup cryptsetup-initramfs keyutils
dkms make gcc libc6-dev pkg-config libcryptsetup-dev libkeyutils-dev
grub2-common grub-pc-bin openssl"

# kh_system_base SUITE KVER [PKG...]: print the cached root of a Debian
# SUITE system with kernel KVER, KH_SYSTEM_PKGS and the PKGs, built once.
kh_system_base() {
	kh_suite=$1 kh_kv=$2
	shift 2
	kh_extra=$*
	# shellcheck disable=SC2086 # one package a word
	kh_key=$(printf '%s\n' "$kh_kv" $KH_SYSTEM_PKGS $kh_extra | sha256sum | cut -c1-12)
	kh_sroot=$KH_CACHE/system-$kh_suite/$kh_key
	# shellcheck disable=SC2086 # one package a word
	kh_cache_once "$kh_sroot" "the $kh_suite system" \
		kh_build_system_base "$kh_sroot" "$kh_suite" "$kh_kv" $kh_extra ||
		exit 1
	printf '%s\n' "$kh_sroot"
}

kh_build_system_base() {
	kh_sroot=$1 kh_suite=$2 kh_kv=$3
	shift 3
	kh_log "debootstrap a Debian $kh_suite system with $kh_kv into $kh_sroot (once, a few minutes)"
	kh_debootstrap "$kh_suite" "$kh_sroot" "$kh_sroot.log" || return 1
	# Documentation is not what the test boots: leave it out, as Debian's
	# own container images do, to keep the encrypted image small.
	cat >"$kh_sroot/etc/dpkg/dpkg.cfg.d/keyhandover-test-nodoc" <<-'EOC'
	path-exclude /usr/share/doc/*
	path-exclude /usr/share/man/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/locale/*
	EOC
	# The suites an installed system has: its kernels' security updates
	# come from SUITE-security.
	cat >"$kh_sroot/etc/apt/sources.list" <<-EOC
	deb $KH_TRIXIE_MIRROR $kh_suite main
	deb $KH_TRIXIE_MIRROR $kh_suite-updates main
	deb $KH_SECURITY_MIRROR $kh_suite-security main
	EOC
	# shellcheck disable=SC2086 # one package a word
	kh_system_apt "$kh_sroot" "$kh_sroot.log" \
		"linux-image-$kh_kv" "linux-headers-$kh_kv" $KH_SYSTEM_PKGS "$@" ||
		return 1
	: >"$kh_sroot.complete"
	# The encrypted images an older recipe cached beside the systems.
	rm -rf "${kh_sroot%/*}"/image-*
}

# kh_system_apt ROOT LOG PKG...: the PKGs installed into the system ROOT by
# its own apt (its lists updated first, its archives cleaned after), the
# output appended to LOG, whose end is shown when it fails.
kh_system_apt() {
	kh_aroot=$1 kh_alog=$2
	shift 2
	cp -L /etc/resolv.conf "$kh_aroot/etc/resolv.conf"
	kh_chroot_run "$kh_aroot" env DEBIAN_FRONTEND=noninteractive \
		sh -c 'apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 \
			--no-install-recommends "$@" && apt-get clean' sh "$@" \
		>>"$kh_alog" 2>&1 || { tail -n 20 "$kh_alog"; return 1; }
}

# kh_cache_once ROOT WHAT BUILD...: run BUILD (which makes ROOT and
# ROOT.complete) unless ROOT.complete is there, then remove the other
# trees built beside ROOT (another kernel or package list: 1 GiB each).
# One build at a time, under a lock beside them: make test runs two
# system runs side by side, and Debian 13's two systems share one base.
kh_cache_once() {
	kh_oroot=$1 kh_what=$2
	shift 2
	mkdir -p "${kh_oroot%/*}"
	(
		flock 9 || exit 1
		[ ! -e "$kh_oroot.complete" ] || exit 0
		"$@" >&2 || kh_die "building $kh_what failed (log: $kh_oroot.log)"
		for kh_d in "${kh_oroot%/*}"/*.complete; do
			[ "$kh_d" = "$kh_oroot.complete" ] ||
				rm -rf "${kh_d%.complete}" "${kh_d%.complete}.log" "$kh_d"
		done
	) 9>"${kh_oroot%/*}.lock"
}

# kh_system_variant BASE NAME PKG...: print the cached root of the system
# BASE with the PKGs installed over it by its own apt (what a user does to
# switch generators: installing dracut replaces initramfs-tools), built
# once, under system-NAME/ and keyed by BASE and the PKGs. BASE is left as
# it was: the variant starts as a copy of it.
kh_system_variant() {
	kh_vbase=$1 kh_vname=$2
	shift 2
	kh_key=$(printf '%s\n' "${kh_vbase##*/}" "$@" | sha256sum | cut -c1-12)
	kh_vroot=$KH_CACHE/system-$kh_vname/$kh_key
	kh_cache_once "$kh_vroot" "the $kh_vname system" \
		kh_build_system_variant "$kh_vbase" "$kh_vroot" "$@" || exit 1
	printf '%s\n' "$kh_vroot"
}

kh_build_system_variant() {
	kh_vbase=$1 kh_vroot=$2
	shift 2
	kh_log "install $* over the system $kh_vbase into $kh_vroot (once, a minute or two)"
	rm -rf "$kh_vroot" "$kh_vroot.tmp" "$kh_vroot.log"
	cp -a "$kh_vbase" "$kh_vroot.tmp" &&
		kh_system_apt "$kh_vroot.tmp" "$kh_vroot.log" "$@" &&
		mv "$kh_vroot.tmp" "$kh_vroot" && : >"$kh_vroot.complete"
}

# kh_upgrade_repo BASE KVER: print a cached local package repository (a
# flat one: the .debs and their Packages index) holding linux-image-KVER
# and linux-headers-KVER from trixie-backports with every package they
# need that the system BASE lacks, as the system's own apt works it out in
# an overlay on BASE (which is left as it was). The system suites put it
# into the guest as "deb [trusted=yes] file:/srv/kh-upgrade ./": the
# guest installs a newer kernel the way a box does, with no network.
kh_upgrade_repo() {
	kh_base=$1 kh_kv=$2
	kh_repo=$KH_CACHE/upgrade-repo/$kh_kv
	if [ ! -e "$kh_repo.complete" ]; then
		kh_build_upgrade_repo "$kh_base" "$kh_kv" "$kh_repo" >&2 ||
			kh_die "building the local repository of $kh_kv failed (log: $kh_repo.log)"
	fi
	printf '%s\n' "$kh_repo"
}

kh_build_upgrade_repo() {
	kh_base=$1 kh_kv=$2 kh_repo=$3
	kh_log "a local repository with $kh_kv for the upgrade (once)"
	kh_need_pkgs dpkg-dev
	kh_w=$kh_repo.work
	rm -rf "$kh_w" "$kh_repo" "$kh_repo.complete"
	mkdir -p "$kh_w/upper" "$kh_w/work" "$kh_w/merged" "$kh_repo"
	mount -t overlay overlay \
		-o "lowerdir=$kh_base,upperdir=$kh_w/upper,workdir=$kh_w/work" \
		"$kh_w/merged" || return 1
	cp -L /etc/resolv.conf "$kh_w/merged/etc/resolv.conf"
	printf 'deb %s trixie-backports main\n' "$KH_TRIXIE_MIRROR" \
		>"$kh_w/merged/etc/apt/sources.list.d/backports.list"
	kh_rc=0
	kh_chroot_run "$kh_w/merged" env DEBIAN_FRONTEND=noninteractive \
		sh -c 'apt-get update -qq && apt-get install -y -qq --download-only -t trixie-backports \
			--no-install-recommends "$@"' \
		sh "linux-image-$kh_kv" "linux-headers-$kh_kv" >"$kh_repo.log" 2>&1 &&
		cp "$kh_w/merged/var/cache/apt/archives/"*.deb "$kh_repo/" || kh_rc=1
	umount "$kh_w/merged" || kh_rc=1
	rm -rf "$kh_w"
	[ "$kh_rc" = 0 ] || { tail -n 20 "$kh_repo.log"; return 1; }
	(cd "$kh_repo" && dpkg-scanpackages --multiversion . >Packages 2>>"$kh_repo.log") ||
		return 1
	: >"$kh_repo.complete"
}

# --- keyhandover's own Debian packages -------------------------------------

# kh_copy_sources DIR: the checkout's files (tracked, or new and not
# ignored: what a commit would hold, never a build's products) into DIR.
kh_copy_sources() {
	mkdir -p "$1"
	if git -C "$KH_TOP" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$KH_TOP" ls-files -co --exclude-standard -z |
			tar -C "$KH_TOP" --ignore-failed-read --null -T - -cf - |
			tar -C "$1" -xf -
	else
		tar -C "$KH_TOP" --exclude=.git --exclude=./build -cf - . |
			tar -C "$1" -xf -
	fi
}

# kh_debs SUITE: print a directory holding keyhandover_*.deb and
# keyhandover-dkms_*.deb built for the Debian SUITE (trixie: in the trixie
# chroot; bookworm: on this Debian 12 host) by `make deb` from the
# checkout, lintian included, as a user who builds from source makes
# them. Built once per content of the sources and SUITE, under a lock:
# make test's two Debian 13 jobs share one build.
kh_debs() {
	kh_dsuite=$1
	kh_dsrc=$(mktemp -d)
	kh_copy_sources "$kh_dsrc/keyhandover"
	# The key: every file's content, path and mode, and the suite.
	kh_dkey=$( (cd "$kh_dsrc/keyhandover" && find . -type f -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum &&
		find . -printf '%m %y %p %l\n' | LC_ALL=C sort; echo "$kh_dsuite") |
		sha256sum | cut -c1-12)
	kh_dout=$KH_CACHE/debs-$kh_dsuite/$kh_dkey
	mkdir -p "${kh_dout%/*}"
	(
		flock 9 || exit 1
		[ -e "$kh_dout.complete" ] ||
			kh_build_debs "$kh_dsuite" "$kh_dsrc/keyhandover" "$kh_dout" >&2 ||
			kh_die "make deb for $kh_dsuite failed (log: $kh_dout.log)"
	) 9>"${kh_dout%/*}.lock" || { rm -rf "$kh_dsrc"; exit 1; }
	rm -rf "$kh_dsrc"
	printf '%s\n' "$kh_dout"
}

# kh_install_debs ROOT DIR: apt installs the packages of DIR (kh_debs)
# into the system ROOT, as a user installs them: DKMS and the
# generator's trigger run in its chroot.
kh_install_debs() {
	mkdir -p "$1/root/kh-debs" && cp "$2"/*.deb "$1/root/kh-debs/" &&
		kh_chroot_run "$1" sh -ec '
			cd /root/kh-debs
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends ./keyhandover_*.deb ./keyhandover-dkms_*.deb
			cd / && rm -rf /root/kh-debs'
}

kh_build_debs() {
	kh_dsuite=$1 kh_dsrc=$2 kh_dout=$3
	kh_log "make deb for $kh_dsuite (once per source tree)"
	rm -rf "${kh_dout%/*}"/* "$kh_dout.log"
	mkdir -p "$kh_dout"
	case $kh_dsuite in
	bookworm)
		make -C "$kh_dsrc" deb >"$kh_dout.log" 2>&1 || {
			tail -n 30 "$kh_dout.log"
			return 1
		}
		cp "$kh_dsrc"/build/deb/keyhandover*.deb "$kh_dout/" ;;
	trixie)
		# What deps.sh would install, installed under the chroot's
		# lock (one apt at a time in it), once: the chroot is cached.
		kh_croot=$(kh_kernel_chroot build-essential pkg-config \
			libcryptsetup-dev libssl-dev libkeyutils-dev dpkg-dev \
			debhelper dh-dkms lintian systemd-dev) || return 1
		rm -rf "$kh_croot/tmp/kh-deb"
		mkdir -p "$kh_croot/tmp/kh-deb"
		cp -a "$kh_dsrc" "$kh_croot/tmp/kh-deb/src"
		cp -L /etc/resolv.conf "$kh_croot/etc/resolv.conf"
		kh_chroot_run "$kh_croot" env DEBIAN_FRONTEND=noninteractive \
			make -C /tmp/kh-deb/src deb >"$kh_dout.log" 2>&1 || {
			tail -n 30 "$kh_dout.log"
			return 1
		}
		cp "$kh_croot"/tmp/kh-deb/src/build/deb/keyhandover*.deb "$kh_dout/" &&
			rm -rf "$kh_croot/tmp/kh-deb" ;;
	*) kh_log "no package build for $kh_dsuite"; return 1 ;;
	esac
	rm -f "$kh_dout"/*-dbgsym_*.deb
	: >"$kh_dout.complete"
}
