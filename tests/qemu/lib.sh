# shellcheck shell=sh
# Shared helpers of the QEMU harness. Source it; it defines functions and
# a few variables and runs nothing.
#
# Everything fetched or built once (Debian kernel images) lives in a cache
# keyed by version, so a second run needs neither apt nor the network.

# $0 is the script that sources this file; all of them live beside it.
KH_QEMU_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
KH_TOP=$(CDPATH='' cd -- "$KH_QEMU_DIR/../.." && pwd)
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
	# shellcheck disable=SC2086 # word splitting of the list is intended
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $kh_missing >&2 ||
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
	kh_log "unpacking $kh_pkg"
	dpkg -x "$kh_dir"/tmp/*.deb "$kh_dir/tmp/root"
	# Newer Debian packages put modules under usr/lib; depmod -b wants lib/.
	if [ ! -d "$kh_dir/tmp/root/lib/modules/$kh_ver" ] &&
		[ -d "$kh_dir/tmp/root/usr/lib/modules/$kh_ver" ]; then
		mkdir -p "$kh_dir/tmp/root/lib"
		ln -s ../usr/lib/modules "$kh_dir/tmp/root/lib/modules"
	fi
	depmod -b "$kh_dir/tmp/root" "$kh_ver"
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
