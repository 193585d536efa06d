#!/bin/busybox sh
# /sbin/init of the distro scenarios' root file system, which boot 1 puts
# on the LUKS volume. Reaching it means Debian's initramfs unlocked the
# volume and mounted it as root; it reports how, for the host to check.
export PATH=/bin
MARKER=/dev/ttyS1
/bin/busybox --install -s /bin 2>/dev/null

arg() {
	v=
	for w in $(cat /proc/cmdline); do
		case $w in "$1="*) v=${w#*=} ;; esac
	done
	echo "$v"
}

busybox mount -t proc proc /proc 2>/dev/null
read -r up _ </proc/uptime
stage=$(arg kh.stage)
echo "KH-STAGE $stage init $up"
echo "kh-rootfs: root is $(busybox awk '$2 == "/" { print $1 }' /proc/mounts)"
if busybox grep -q '^/dev/mapper/cryptroot / ' /proc/mounts &&
	[ "$(cat /etc/kh-content)" = "$(cat /etc/kh-content.expected)" ]; then
	echo "KH-RESULT distro-ok" >"$MARKER"
else
	echo "KH-RESULT fail: $stage: root is not the unlocked volume" >"$MARKER"
fi
hold=$(arg kh.hold)
if [ -n "$hold" ]; then
	echo KH-HOLD >"$MARKER"
	busybox sleep "$hold"
fi
busybox poweroff -f
busybox reboot -f
