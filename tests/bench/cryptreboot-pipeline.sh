#!/bin/sh
# kh-cryptreboot-pipeline INITRD KERNEL UUID WORKDIR
#
# What cryptreboot does before every reboot, reproduced with the standard
# tools, to time it against `keyhandover stash` + `load`: unpack the
# distribution's initramfs (unmkinitramfs), add a key file and a crypttab
# entry that uses it, pack it again as Debian's mkinitramfs would (cpio
# newc, zstd -9, its default), and load it with kexec. The key file here
# is a dummy of a volume key's size: only the time matters.
set -eu
# busybox sh runs its own cpio, dd and grep whatever PATH says; Debian's
# unmkinitramfs needs the GNU ones. dash, from the host, looks them up.
if [ -z "${KH_DASH:-}" ] && [ -x /usr/local/bin/dash ]; then
	KH_DASH=1 exec /usr/local/bin/dash "$0" "$@"
fi
export PATH=/usr/local/bin:$PATH # GNU cpio, zstd, dd, grep first
initrd=$1 kernel=$2 uuid=$3 work=$4

rm -rf "$work"
mkdir -p "$work"
# Its #!/bin/sh would be busybox again: run it with dash when we have it.
${KH_DASH:+/usr/local/bin/dash} "$(command -v unmkinitramfs)" "$initrd" "$work/x"
root=$work/x
[ ! -d "$work/x/main" ] || root=$work/x/main
mkdir -p "$root/cryptroot" "$root/etc/keys"
head -c 64 /dev/zero >"$root/etc/keys/vk.key"
printf 'data UUID=%s /etc/keys/vk.key luks,keyscript=/bin/cat\n' "$uuid" \
	>>"$root/cryptroot/crypttab"
pack() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet)
}
: >"$work/initrd.new"
# Early (uncompressed) archives, such as CPU microcode, come first as is.
[ ! -d "$work/x/early" ] || pack "$work/x/early" >>"$work/initrd.new"
pack "$root" | zstd -q -9 >>"$work/initrd.new"
rm -rf "$work/x"
kexec -s -l "$kernel" --initrd="$work/initrd.new" --reuse-cmdline
