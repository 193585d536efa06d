#!/bin/sh
# mkinitramfs.sh OUT.cpio.gz [MODULE [TOOL]]: build the test guest's
# initramfs.
#
# Contents: busybox with its applet links, cryptsetup, kexec, the
# keyhandover tool and module, every shared library they need, the kernel
# modules the guest loads (in load order, dependencies first), the test
# fixtures, tests/qemu/init.sh as /init and the stage files it sources
# (tests/qemu/guest/*.sh) in /lib/kh-guest.
#
# Inputs, from the environment:
#   KH_KVER         kernel version (default: the one linux-headers-amd64 names)
#   KH_KERNEL_ROOT  unpacked Debian image of it (default: fetched into the cache)
#   KH_MODULE       keyhandover.ko, or the 2nd argument (default: kmod/keyhandover.ko)
#   KH_TOOL         the keyhandover tool, or the 3rd (default: userspace/keyhandover)
#   KH_EXTRA_BINS   more host programs for the guest's /usr/local/bin
#   KH_EXTRA_TREE   a directory copied as-is onto the guest's root, e.g. the
#                   trixie cryptsetup 2.7 and keyctl of kh_trixie_tree
#   KH_FIXTURES     directory with the test fixtures "passphrase" and "content";
#                   copied to /etc/kh-test/ (test data, never a real secret)
#   KH_ALLOW_MISSING=1  build without the module or tool (harness bring-up)
#
# The output is byte-for-byte reproducible from the same inputs: fixed
# mtimes and owners, sorted names, gzip without a time stamp.
set -eu

KH_TOP=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/debian.sh
. "$KH_TOP/tests/lib/debian.sh"

# Guest modules in the order init.sh loads them. ecb is needed by xts
# ("Error allocating crypto tfm" without it); af_alg and the algif_*
# modules are libcryptsetup's kernel crypto backend; ext4 mounts the
# distro scenarios' root file system (ext4 wants crc32c; "?": skipped on a kernel without it,
# such as the KHO test kernel).
GUEST_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
virtio_pci virtio_blk dm-mod dm-crypt ecb xts af_alg algif_skcipher algif_hash
?crc32c_generic ?ext4"

# Userspace binaries: source on the host and path in the guest.
HOST_BINS="/sbin/cryptsetup /sbin/kexec"

usage() {
	printf 'usage: %s OUT.cpio.gz [MODULE [TOOL]]\n' "${0##*/}" >&2
	exit 2
}

# A host file copied to the same path in the staging tree, links resolved.
stage_file() {
	mkdir -p "$STAGE$(dirname -- "$2")"
	rm -f -- "$STAGE$2" # never write through an applet link into busybox
	cp -L -- "$1" "$STAGE$2"
}

# Every library an ELF file loads, the dynamic loader included. ldd prints
# "name => /path (addr)" for libraries and "/path (addr)" for the loader.
elf_libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'
}

stage_elf() {
	stage_file "$1" "$2"
	for lib in $(elf_libs "$1"); do
		[ -e "$STAGE$lib" ] || stage_file "$lib" "$lib"
	done
}

# Load order of the wanted modules: for each, its dependencies first, in
# the reverse of the order modules.dep lists them (modprobe's order), then
# the module itself; each path once. Built-in modules are skipped; an
# unknown name is an error. "-" and "_" are the same in module names.
module_order() {
	awk -v want="$GUEST_MODULES" '
	function norm(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p)
		gsub(/-/, "_", p); return p }
	function emit(p) { if (!(p in seen)) { seen[p] = 1; print p } }
	FILENAME ~ /modules\.builtin$/ { builtin[norm($1)] = 1; next }
	{ m = $1; sub(/:$/, "", m); path[norm(m)] = m
	  deps[norm(m)] = ""; for (i = NF; i >= 2; i--) deps[norm(m)] = deps[norm(m)] " " $i }
	END {
		n = split(want, w, /[ \n]+/)
		for (i = 1; i <= n; i++) {
			opt = sub(/^[?]/, "", w[i])
			k = norm(w[i])
			if (k in builtin) continue
			if (!(k in path) && opt) continue
			if (!(k in path)) { print "unknown module " w[i] > "/dev/stderr"; exit 1 }
			c = split(deps[k], d, " ")
			for (j = 1; j <= c; j++) emit(d[j])
			emit(path[k])
		}
	}' "$MODDIR/modules.builtin" "$MODDIR/modules.dep"
}

# Debian 13's kernels ship .ko.xz: unpacked here, so that busybox insmod
# needs no decompressor.
stage_modules() {
	order=$(module_order) || kh_die "cannot resolve the guest modules"
	loads=
	for m in $order; do
		case $m in
		*.ko.xz)
			mkdir -p "$STAGE/lib/modules/$KVER/$(dirname -- "$m")"
			xz -dc "$MODDIR/$m" >"$STAGE/lib/modules/$KVER/${m%.xz}" ||
				kh_die "cannot unpack $m"
			m=${m%.xz} ;;
		*) stage_file "$MODDIR/$m" "/lib/modules/$KVER/$m" ;;
		esac
		loads="$loads $m"
	done
	# One path a line; empty when every guest driver is built in.
	for m in $loads; do
		printf '%s\n' "$m"
	done >"$STAGE/lib/modules/$KVER/load-order"
}

stage_busybox() {
	stage_file /bin/busybox /bin/busybox
	for applet in $(/bin/busybox --list-full); do
		[ -e "$STAGE/$applet" ] && continue
		mkdir -p "$STAGE/$(dirname -- "$applet")"
		ln -s /bin/busybox "$STAGE/$applet"
	done
}

# The module must match the guest kernel exactly, or insmod fails in the
# guest with a far less helpful message.
check_vermagic() {
	vm=$(modinfo -F vermagic "$1") || kh_die "$1 is not a kernel module"
	case $vm in
	"$KVER "*) ;;
	*) kh_die "$1 is built for '${vm%% *}', the guest runs $KVER" ;;
	esac
}

stage_project() {
	if [ -f "$MODULE" ]; then
		check_vermagic "$MODULE"
		stage_file "$MODULE" "/lib/modules/$KVER/extra/keyhandover.ko"
	elif [ "${KH_ALLOW_MISSING:-0}" = 1 ]; then
		kh_log "warning: no module at $MODULE, building without it"
	else
		kh_die "no module at $MODULE (set KH_ALLOW_MISSING=1 to build without)"
	fi
	if [ -x "$TOOL" ]; then
		stage_elf "$TOOL" /sbin/keyhandover
	elif [ "${KH_ALLOW_MISSING:-0}" = 1 ]; then
		kh_log "warning: no tool at $TOOL, building without it"
	else
		kh_die "no tool at $TOOL (set KH_ALLOW_MISSING=1 to build without)"
	fi
}

stage_fixtures() {
	[ -n "${KH_FIXTURES:-}" ] || kh_die "KH_FIXTURES is not set"
	mkdir -p "$STAGE/etc/kh-test"
	for f in passphrase content; do
		[ -f "$KH_FIXTURES/$f" ] || kh_die "missing fixture $KH_FIXTURES/$f"
		cp "$KH_FIXTURES/$f" "$STAGE/etc/kh-test/$f"
	done
	chmod 0600 "$STAGE/etc/kh-test/passphrase"
	# Test programs the runner built (static, or scripts): kh-iface-test,
	# the benchmark's kh-timeit and kh-cryptreboot-pipeline.
	mkdir -p "$STAGE/bin"
	for f in "$KH_FIXTURES"/kh-*; do
		[ ! -x "$f" ] || cp "$f" "$STAGE/bin/${f##*/}"
	done
}

# A ready-made tree (files that bring their own libraries, such as
# kh_trixie_tree's) goes in last but before the ld.so cache is made.
# --remove-destination: never write through an applet link into busybox.
stage_extra_tree() {
	[ -n "${KH_EXTRA_TREE:-}" ] || return 0
	[ -d "$KH_EXTRA_TREE" ] || kh_die "KH_EXTRA_TREE $KH_EXTRA_TREE is no directory"
	cp -a --remove-destination -- "$KH_EXTRA_TREE/." "$STAGE/"
}

# Directories init.sh mounts on, /init and its stage files, and an
# ld.so cache so the loader finds the libraries whatever its compiled-in
# search path.
stage_skeleton() {
	for d in dev proc sys run tmp mnt; do
		mkdir -p "$STAGE/$d"
	done
	cp "$KH_QEMU_DIR/init.sh" "$STAGE/init"
	chmod 0755 "$STAGE/init"
	# The stage files /init sources (init.sh GUEST).
	mkdir -p "$STAGE/lib/kh-guest"
	cp "$KH_QEMU_DIR"/guest/*.sh "$STAGE/lib/kh-guest/"
	printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu \
		>"$STAGE/etc/ld.so.conf"
	ldconfig -r "$STAGE"
}

write_cpio() {
	find "$STAGE" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
	(cd "$STAGE" && find . | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -6 >"$1.tmp"
	mv "$1.tmp" "$1"
}

main() {
	case $# in 1 | 2 | 3) ;; *) usage ;; esac
	out=$1
	KVER=$(kh_kernel_version)
	ROOT=${KH_KERNEL_ROOT:-$(kh_fetch_kernel "$KVER")}
	MODDIR=$ROOT/lib/modules/$KVER
	MODULE=${2:-${KH_MODULE:-$KH_TOP/kmod/keyhandover.ko}}
	TOOL=${3:-${KH_TOOL:-$KH_TOP/userspace/keyhandover}}
	[ -f "$MODDIR/modules.dep" ] || kh_die "no modules.dep in $MODDIR"

	STAGE=$(mktemp -d "${TMPDIR:-/tmp}/kh-initramfs.XXXXXX")
	trap 'rm -rf "$STAGE"' EXIT
	trap 'exit 130' INT TERM

	stage_busybox
	for b in $HOST_BINS; do
		stage_elf "$b" "$b"
	done
	# Extra tools (the benchmark's GNU cpio, zstd, dd, grep and the
	# unmkinitramfs script) go to /usr/local/bin, not over busybox.
	for b in ${KH_EXTRA_BINS:-}; do
		if [ "$(head -c 4 "$b")" = "$(printf '\177ELF')" ]; then
			stage_elf "$b" "/usr/local/bin/${b##*/}"
		else
			stage_file "$b" "/usr/local/bin/${b##*/}"
		fi
	done
	# glibc dlopens libgcc_s for thread cancellation; ldd cannot see it.
	lib=/lib/x86_64-linux-gnu/libgcc_s.so.1
	[ ! -e "$lib" ] || stage_file "$lib" "$lib"
	stage_project
	stage_modules
	stage_fixtures
	stage_extra_tree
	stage_skeleton
	write_cpio "$out"
}

main "$@"
