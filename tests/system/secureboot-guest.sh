#!/bin/sh
# The guest's side of tests/system/secureboot.sh: run as init (PID 1) by
# the kernel that shim and GRUB started, root read-only. Prints
# "KH-SB TAG: value" lines the host checks, the evidence with them, then
# powers off.
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
region=$(sed -n 's/.*memmap=\([^ ]*\).*/\1/p' /proc/cmdline)

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security
mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs efivarfs /sys/firmware/efi/efivars
mountpoint -q /run || mount -t tmpfs tmpfs /run
mountpoint -q /tmp || mount -t tmpfs tmpfs /tmp

say() {
	printf 'KH-SB %s: %s\n' "$1" "$2"
}

# yes_no TAG CMD...: "yes" when CMD succeeds.
yes_no() {
	t=$1
	shift
	if "$@" >/dev/null 2>&1; then say "$t" yes; else say "$t" no; fi
}

subject=$(cat /root/kh-sb/mok-subject)
enrolled() {
	mokutil --list-enrolled 2>/dev/null | grep -qF "CN=$subject"
}

# The enrolment through MokManager (the host's mode "enrol", QEMU's
# fw_cfg): as a person does it, mokutil --import of DKMS's certificate
# with a one-time password, then a reboot; shim finds the request and
# starts MokManager, which the host drives over the serial console. The
# boot after it runs the checks below.
modprobe qemu_fw_cfg 2>/dev/null
mode=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/keyhandover/mode/raw 2>/dev/null)
if [ "$mode" = enrol ] && ! enrolled; then
	echo "KH-SB BEGIN enrol"
	if [ -e /sys/firmware/efi/efivars/MokNew-605dab50-e046-4300-abb6-3dd810dd8b23 ]; then
		# MokManager did not enrol it: no loop of reboots.
		echo "KH-SB enrol: request still pending after a boot"
	else
		mokutil --generate-hash="$(cat /root/kh-sb/mok-password)" >/tmp/mok-hash &&
			mokutil --import /var/lib/dkms/mok.pub --hash-file /tmp/mok-hash
		echo "KH-SB enrol: import $?"
		mokutil --list-new 2>&1 | grep -E 'Subject:' || true
		echo "KH-SB enrol: reboot"
		sync
		echo b >/proc/sysrq-trigger
		sleep 30
	fi
	echo o >/proc/sysrq-trigger
	sleep 30
fi

echo "KH-SB BEGIN"
say mode "${mode:-none}"
say uname "$(uname -r)"
say cmdline "$(cat /proc/cmdline)"
say sb-state "$(mokutil --sb-state 2>&1 | head -n 1)"
say lockdown "$(cat /sys/kernel/security/lockdown)"
say sig-enforce "$(cat /sys/module/module/parameters/sig_enforce)"
echo "--- mokutil --list-enrolled (subjects)"
mokutil --list-enrolled 2>&1 | grep -E 'Subject:|Issuer:|SHA1 Fingerprint' || true
yes_no mok-enrolled enrolled
# keyring_has NAME TEXT: the system keyring NAME (found by its name in
# /proc/keys) holds a key whose description has TEXT.
keyring_has() {
	id=$(awk -v n="$1:" '$8 == "keyring" && $9 == n { print $1; exit }' /proc/keys)
	[ -n "$id" ] && keyctl rdescribe "0x$id" >/dev/null 2>&1 &&
		keyctl list "0x$id" 2>/dev/null | grep -qF "$2"
}
for k in .builtin_trusted_keys .secondary_trusted_keys .machine .platform; do
	id=$(awk -v n="$k:" '$8 == "keyring" && $9 == n { print $1; exit }' /proc/keys)
	echo "--- keyring $k (${id:-not found})"
	[ -z "$id" ] || keyctl list "0x$id" 2>&1
done
yes_no machine-keyring keyring_has .machine "$subject"
yes_no platform-keyring keyring_has .platform "$subject"
echo "--- dmesg: Secure Boot, lockdown, certificates"
dmesg | grep -iE 'secure ?boot|lockdown|X\.509|integrity:|MOK|machine|platform' || true

ko=$(modinfo -n keyhandover)
echo "--- modinfo $ko"
modinfo keyhandover | grep -E '^(filename|signer|sig_key|sig_hashalgo|vermagic):' || true
say signer "$(modinfo -F signer keyhandover)"

echo "--- modprobe keyhandover region=$region (DKMS's build, signed by its MOK)"
modprobe keyhandover "region=$region"
say modprobe-signed "$?"
if [ -e /dev/keyhandover ]; then say device yes; else say device no; fi
say taint "$(cat /sys/module/keyhandover/taint 2>/dev/null)"
say tainted "$(cat /proc/sys/kernel/tainted)"
grep '^keyhandover ' /proc/modules || true
rmmod keyhandover 2>/dev/null || true

for v in unsigned otherkey; do
	echo "--- insmod /root/kh-sb/keyhandover-$v.ko region=$region"
	insmod "/root/kh-sb/keyhandover-$v.ko" "region=$region"
	say "insmod-$v" "$?"
done
if grep -q '^keyhandover ' /proc/modules; then
	say after-refused loaded
else
	say after-refused "not loaded"
fi
echo "--- dmesg: modules"
dmesg | grep -iE 'keyhandover|module|lockdown|key was|rejected|PKCS#7' | tail -n 30 || true
echo "KH-SB END"
sync
echo o >/proc/sysrq-trigger
sleep 30
