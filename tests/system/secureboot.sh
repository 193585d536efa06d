#!/bin/bash
# tests/system/secureboot.sh [--keep]: UEFI Secure Boot for real, under QEMU.
#
# OVMF with Microsoft's keys enrolled and Secure Boot on (Debian's
# ovmf, OVMF_CODE_4M.ms.fd and OVMF_VARS_4M.ms.fd), Debian 13's
# shim-signed (Microsoft's signature), its signed GRUB and its signed
# kernel, off a GPT disk with an EFI system partition: firmware -> shim
# -> GRUB -> Debian's 6.12, the kernel locked down by Secure Boot. The
# root file system is the trixie system of the system suite (cached,
# tests/lib/debian.sh kh_system_base) with keyhandover installed from
# `make deb`'s packages: Debian 13's dkms builds the module and signs it
# with its machine owner key, /var/lib/dkms/mok.key, made at that first
# build.
#
# The MOK is enrolled the way MokManager leaves it, without MokManager:
# its certificate is written into the firmware's variable store as shim's
# MokList (EFI_SIGNATURE_LIST, attributes NV|BS, shim's GUID) by
# virt-fw-vars --add-mok (Debian 13's python3-virt-firmware). At every
# boot shim checks MokList's attributes (rhboot/shim mok.c: it deletes a
# MokList with runtime access), mirrors it to MokListRT, and the kernel
# loads MokListRT's certificates into its .machine keyring, which the
# secondary trusted keyring holds and module signatures are checked
# against (Debian: CONFIG_INTEGRITY_MACHINE_KEYRING=y,
# CONFIG_SECONDARY_TRUSTED_KEYRING=y). docs/secureboot.md says why not
# MokManager over the serial console.
#
# Two boots, each checked from the console, the guest run by a script as
# init (no systemd: the boot is the firmware's, shim's, GRUB's, the
# kernel's and Debian's initramfs'; the checks need nothing more):
#   1. the MOK enrolled: Secure Boot enabled (mokutil), lockdown
#      integrity, the DKMS certificate in the kernel's keyrings, the DKMS
#      module loads with region= and does not taint the kernel; the same
#      module with its signature cut off, and the same module signed by a
#      key that is not enrolled, are refused;
#   2. the control, no MOK: the same DKMS module is refused.
# Output: "ok N - ..." lines, then "N passed, N failed". A named run,
# not part of make test (docs/testing.md).
set -eu -o pipefail

KH_TOP=$(cd "$(dirname -- "$0")/../.." && pwd)
# shellcheck source=../lib/suite.sh
. "$KH_TOP/tests/lib/suite.sh"
# shellcheck source=../lib/efi.sh
. "$KH_TOP/tests/lib/efi.sh"
# shellcheck source=systems/trixie.sh
. "$KH_TOP/tests/system/systems/trixie.sh"

# shellcheck disable=SC2034 # read by tests/lib (qemu_start, keep_or_remove_work)
MEM_MB=1024
# shellcheck disable=SC2034
KEEP=0
WORK=
MERGED=
WAIT=${KH_SYSTEM_TIMEOUT:-900}
# The region the module is loaded with, as every suite's.
# shellcheck disable=SC2016 # a literal $: memmap= syntax
KH_REGION='4K$0x7000000'
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.ms.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
# shim's vendor GUID: the owner mokutil gives the keys it enrols.
SHIM_GUID=605dab50-e046-4300-abb6-3dd810dd8b23
# The one-time password of the MokManager enrolment (typed at
# MokManager's prompt; a test's, guarding nothing).
MOK_PASSWORD=kh-test-mok

# shellcheck disable=SC2034 # KEEP: read by keep_or_remove_work
for a in "$@"; do
	case $a in
	--keep) KEEP=1 ;;
	*) printf 'usage: %s [--keep]\n' "${0##*/}" >&2; exit 2 ;;
	esac
done

cleanup() {
	local rc=$?
	qemu_stop "${DIR:-/nonexistent}" 2>/dev/null || true
	[ -z "$MERGED" ] || umount "$MERGED" 2>/dev/null || true
	keep_or_remove_work "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The base system: Debian 13 as the system suite makes it (tests/lib/
# debian.sh kh_build_system_base: Debian's kernel, DKMS, headers,
# initramfs-tools), with mokutil and openssl, cached apart from the
# system suite's (system-secureboot/, keyed by the kernel and the package
# list): kh_system_base keeps one tree per suite and removes the others,
# and this run must not take turns with the system suite's.
# mokutil: the guest asks for the MOK's enrolment with it. (openssl, with
# which Debian 13's dkms makes its key, is in every system base, as
# keyhandover-dkms depends on it.)
SB_PKGS="mokutil"
sb_system_base() {
	local key root
	# shellcheck disable=SC2086 # one package a word
	key=$(printf '%s\n' "$VER" $KH_SYSTEM_PKGS $EXTRA_PKGS $SB_PKGS | sha256sum | cut -c1-12)
	root=$KH_CACHE/system-secureboot/$key
	# shellcheck disable=SC2086 # one package a word
	kh_cache_once "$root" "the Secure Boot system" \
		kh_build_system_base "$root" "$SUITE" "$VER" $EXTRA_PKGS $SB_PKGS || return 1
	printf '%s\n' "$root"
}

# The system: the trixie base of the system suite, keyhandover installed
# into an overlay on it from make deb's packages (DKMS builds and signs
# the module, the initramfs is made again), the check script as
# /usr/local/sbin/kh-sb-check.
install_system() {
	local w=$WORK/overlay
	mkdir -p "$w/upper" "$w/work" "$w/merged"
	mount -t overlay overlay \
		-o "lowerdir=$BASE,upperdir=$w/upper,workdir=$w/work,redirect_dir=off,metacopy=off" \
		"$w/merged" || return 1
	MERGED=$w/merged
	mkdir -p "$MERGED/root/kh-sb" "$MERGED/usr/local/sbin"
	install -m 0755 "$KH_TOP/tests/system/secureboot-guest.sh" "$MERGED/usr/local/sbin/kh-sb-check"
	kh_install_debs "$MERGED" "$DEBS" >"$WORK/install.log" 2>&1 ||
		{ tail -n 30 "$WORK/install.log" >&2; return 1; }
	KO=$(find "$MERGED/usr/lib/modules/$VER/updates/dkms" -name 'keyhandover.ko*' | head -n 1)
	[ -n "$KO" ] || { note "DKMS built no module"; return 1; }
	[ -s "$MERGED/var/lib/dkms/mok.pub" ] || { note "dkms made no /var/lib/dkms/mok.pub"; return 1; }
	openssl x509 -inform DER -in "$MERGED/var/lib/dkms/mok.pub" -out "$WORK/mok.pem"
	MOK_SUBJECT=$(openssl x509 -in "$WORK/mok.pem" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')
	note "DKMS's MOK: $MOK_SUBJECT ($(openssl x509 -in "$WORK/mok.pem" -noout -fingerprint -sha256))"
	printf '%s\n' "$MOK_SUBJECT" >"$MERGED/root/kh-sb/mok-subject"
	printf '%s\n' "$MOK_PASSWORD" >"$MERGED/root/kh-sb/mok-password"
	make_test_modules
}

# The module as DKMS installed it, and two copies that must be refused:
# its signature cut off (the ELF as it was before signing: the appended
# PKCS#7, its struct module_signature and the marker removed), and the
# same ELF signed by a key no one enrolled (the kernel's sign-file, from
# the headers in the trixie chroot).
make_test_modules() {
	local d=$MERGED/root/kh-sb ko size siglen t
	ko=$d/keyhandover-signed.ko
	case $KO in
	*.xz) xz -dc "$KO" >"$ko" ;;
	*.zst) zstd -qdc "$KO" >"$ko" ;;
	*) cp "$KO" "$ko" ;;
	esac
	[ "$(tail -c 28 "$ko")" = "~Module signature appended~" ] ||
		{ note "the DKMS module carries no signature"; return 1; }
	size=$(stat -c %s "$ko")
	# struct module_signature: 12 bytes before the 28-byte marker, its
	# last 4 the signature's length, big-endian.
	siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu4 --endian=big | tr -d ' ')
	head -c $((size - 28 - 12 - siglen)) "$ko" >"$d/keyhandover-unsigned.ko"
	[ "$(head -c 4 "$d/keyhandover-unsigned.ko" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		{ note "the module without its signature is no ELF"; return 1; }
	t=$CROOT/tmp/kh-sb-sign.$$
	rm -rf "$t"
	mkdir -p "$t"
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=keyhandover test: a key not enrolled/' \
		-keyout "$t/other.key" -outform DER -out "$t/other.der" 2>/dev/null
	cp "$d/keyhandover-unsigned.ko" "$t/other.ko"
	kh_chroot_run "$CROOT" "/usr/src/linux-headers-$VER/scripts/sign-file" sha256 \
		"/tmp/kh-sb-sign.$$/other.key" "/tmp/kh-sb-sign.$$/other.der" "/tmp/kh-sb-sign.$$/other.ko" ||
		{ note "sign-file failed"; return 1; }
	cp "$t/other.ko" "$d/keyhandover-otherkey.ko"
	rm -rf "$t"
}

# The disk: GPT, an ESP (FAT) with shim as the removable-media boot path
# (EFI/BOOT/BOOTX64.EFI; shim loads grubx64.efi beside it), MokManager,
# Debian's signed GRUB with its grub.cfg (in EFI/debian, the prefix
# Debian's signed GRUB is built with, and beside it), the system's own
# signed kernel and initramfs; then the root file system, ext4.
make_disk() {
	local esp_mb root_mb uuid cmdline
	uuid=$(cat /proc/sys/kernel/random/uuid)
	cp "$MERGED/boot/vmlinuz-$VER" "$WORK/vmlinuz"
	cp "$MERGED/boot/initrd.img-$VER" "$WORK/initrd.img"
	cmdline="root=UUID=$uuid ro console=ttyS0 panic=-1 init=/usr/local/sbin/kh-sb-check memmap=${KH_REGION/\$/\\\$}"
	cat >"$WORK/grub.cfg" <<-EOF
	set timeout=0
	echo 'KH-SB: GRUB loads the kernel'
	linux /vmlinuz $cmdline
	initrd /initrd.img
	boot
	EOF
	esp_mb=$(($(du -cm "$WORK/vmlinuz" "$WORK/initrd.img" "$SB_BIN"/*.efi | tail -n 1 | cut -f1) + 16))
	rm -f "$WORK/esp.img"
	mkfs.vfat -C -F 32 -n KH-ESP "$WORK/esp.img" $((esp_mb * 1024)) >/dev/null
	mmd -i "$WORK/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/debian
	mcopy -i "$WORK/esp.img" "$SB_BIN/shimx64.efi" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$WORK/esp.img" "$SB_BIN/grubx64.efi" "$SB_BIN/mmx64.efi" "$WORK/grub.cfg" ::/EFI/BOOT/
	mcopy -i "$WORK/esp.img" "$WORK/grub.cfg" ::/EFI/debian/
	mcopy -i "$WORK/esp.img" "$WORK/vmlinuz" "$WORK/initrd.img" ::/
	root_mb=$(du -sm "$MERGED" | cut -f1)
	root_mb=$((root_mb * 12 / 10 + 64))
	rm -f "$WORK/root.ext4"
	mke2fs -q -t ext4 -U "$uuid" -L kh-root -d "$MERGED" "$WORK/root.ext4" "${root_mb}M" \
		>"$WORK/mke2fs.log" 2>&1 || { cat "$WORK/mke2fs.log" >&2; return 1; }
	gpt_disk "$WORK/disk.img" "$ESP_TYPE:ESP:$WORK/esp.img" "$LINUX_TYPE:root:$WORK/root.ext4" ||
		return 1
	rm -f "$WORK/esp.img" "$WORK/root.ext4"
}

# The variable stores: Debian's with Microsoft's keys as shipped (the
# control), and the same with DKMS's certificate in MokList.
make_vars() {
	local t=$CROOT/tmp/kh-sb-vars.$$
	rm -rf "$t"
	mkdir -p "$t"
	cp "$OVMF_VARS" "$t/vars.fd"
	cp "$WORK/mok.pem" "$t/mok.pem"
	kh_chroot_run "$CROOT" virt-fw-vars -i "/tmp/kh-sb-vars.$$/vars.fd" \
		--add-mok "$SHIM_GUID" "/tmp/kh-sb-vars.$$/mok.pem" \
		-o "/tmp/kh-sb-vars.$$/vars-mok.fd" >"$WORK/vars.log" 2>&1 &&
		kh_chroot_run "$CROOT" virt-fw-vars -i "/tmp/kh-sb-vars.$$/vars-mok.fd" -p -v \
			>>"$WORK/vars.log" 2>&1 || { cat "$WORK/vars.log" >&2; return 1; }
	cp "$t/vars-mok.fd" "$WORK/vars-mok.fd"
	cp "$OVMF_VARS" "$WORK/vars-nomok.fd"
	rm -rf "$t"
	grep -q "name=MokList guid=guid:Shim" "$WORK/vars.log"
}

# sb_qemu VARS [QEMU-ARG...]: the guest started on the disk with the
# variable store VARS, its serial console DIR's. Secure Boot needs OVMF's
# SMM build: q35 with SMM, its flash writable only from SMM.
sb_qemu() {
	local vars=$1
	shift
	qemu_fifo "$DIR" tty0 "$DIR/console.log"
	qemu_start "$DIR" "$WAIT" -machine q35,smm=on \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$vars" \
		-drive "file=$WORK/disk.img,if=virtio,format=raw,snapshot=on,cache=unsafe" \
		-nodefaults -serial "pipe:$DIR/tty0" "$@"
}

# boot NAME VARS: one boot to the check script's end (it powers off).
boot() {
	DIR=$WORK/$1
	mkdir -p "$DIR"
	local start=$SECONDS
	sb_qemu "$WORK/$2" -no-reboot
	qemu_wait
	BOOT_SECONDS=$((SECONDS - start))
	note "boot $1: $BOOT_SECONDS s from QEMU's start to its end (exit $QEMU_RC)"
	strip_cr "$DIR/console.log" >"$DIR/console.txt"
}

# The MOK enrolled by MokManager, as a person does it: the guest (mode
# "enrol", QEMU's fw_cfg) runs mokutil --import with a one-time password
# and reboots; shim finds the request and starts MokManager (the
# firmware's console is the serial port); the host answers its screens
# with the keys a person presses (any key, arrow down, Enter, the
# password), MokManager writes MokList and resets; the next boot runs
# the checks. Its own copy of the variable store without the MOK.
boot_mokmanager() {
	DIR=$WORK/mokmanager
	mkdir -p "$DIR"
	POS=0
	local start=$SECONDS
	cp "$WORK/vars-nomok.fd" "$WORK/vars-mokmanager.fd"
	sb_qemu "$WORK/vars-mokmanager.fd" \
		-fw_cfg name=opt/keyhandover/mode,string=enrol
	drive_mokmanager
	MM_OK=$LAST_OK
	if [ "$MM_OK" = 1 ]; then
		# The boot after the enrolment ends with the checks' power-off.
		wait_for "KH-SB END" "$WAIT" || true
	else
		qemu_stop "$DIR"
	fi
	qemu_wait
	BOOT_SECONDS=$((SECONDS - start))
	note "boots mokmanager (enrol, MokManager, checks): $BOOT_SECONDS s from QEMU's start to its end (exit $QEMU_RC)"
	strip_cr "$DIR/console.log" >"$DIR/console.txt"
}

drive_mokmanager() {
	check "mokmanager: the guest asked for the enrolment (mokutil --import) and rebooted" \
		wait_for "KH-SB enrol: reboot"
	[ "$LAST_OK" = 1 ] || return 0
	check "mokmanager: shim started MokManager: 'Press any key to perform MOK management'" \
		wait_for "Press any key to perform MOK management" 300
	[ "$LAST_OK" = 1 ] || return 0
	qemu_keys "$DIR" $'\r'
	mm_step "its menu" "Perform MOK management" down enter &&
		mm_step "the key to enrol" "View key 0" down enter &&
		mm_step "'Enroll the key(s)?'" "Enroll the key(s)?" down enter &&
		mm_step "its password prompt" "Password:" password &&
		mm_step "'Reboot' once enrolled" "Reboot" enter
	check "mokmanager: MokManager enrolled the key and reset: the next boot began the checks" \
		wait_for "KH-SB BEGIN" 600
}

# mm_step WHAT TEXT KEY...: MokManager's screen showing TEXT, answered
# with the KEYs.
mm_step() {
	local what=$1 text=$2 k
	shift 2
	check "mokmanager: $what ('$text') on the serial console" wait_for "$text" 120
	[ "$LAST_OK" = 1 ] || return 1
	sleep 1
	for k in "$@"; do
		case $k in
		down) qemu_keys "$DIR" $'\033[B' ;;
		enter) qemu_keys "$DIR" $'\r' ;;
		password) qemu_keys "$DIR" "$MOK_PASSWORD"$'\r' ;;
		esac
		sleep 1
	done
}

# has NAME TEXT: the boot's console holds TEXT (fixed string).
has() {
	grep -aqF -- "$2" "$WORK/$1/console.txt"
}

# line NAME TAG: what the check script printed after "KH-SB TAG: " (the
# last time: the boot that enrols prints some before it reboots).
line() {
	sed -n "s/^KH-SB $2: //p" "$WORK/$1/console.txt" | tail -n 1
}

# before NAME TAG TEXT: the console holds TEXT in the section that ends
# with the "KH-SB TAG:" line (from its "--- command" header: the
# command's own words and the kernel's reason for a refusal). One awk on
# the file, no pipe a reader leaves early: under pipefail the writer's
# SIGPIPE would fail it when the console is long (MokManager's screens).
before() {
	local section
	section=$(LC_ALL=C awk -v tag="KH-SB $2: " '/^--- / { s = "" }
		index($0, tag) == 1 { printf "%s", s; exit }
		{ s = s $0 "\n" }' "$WORK/$1/console.txt")
	grep -aF -- "$3" >/dev/null <<<"$section" ||
		{ note "no '$3' before KH-SB $2"; return 1; }
}

# no_unsigned_taint NAME: the module's taint flags and the kernel's hold
# no E (an unsigned module loaded: bit 13).
no_unsigned_taint() {
	local t k
	t=$(line "$1" taint) k=$(line "$1" tainted)
	case $t in *E*) note "the module's taint: $t"; return 1 ;; esac
	[ -n "$k" ] && [ $((k & 8192)) = 0 ] || { note "tainted: $k"; return 1; }
}

is() {
	[ "$(line "$1" "$2")" = "$3" ] || { note "$2: '$(line "$1" "$2")', not '$3'"; return 1; }
}

not_zero() {
	local v
	v=$(line "$1" "$2")
	[ -n "$v" ] && [ "$v" != 0 ] || { note "$2: '$v'"; return 1; }
}

checks_mok() {
	local b=$1
	check "$b: the boot ran to the check script's end" has $b "KH-SB END"
	check "$b: shim ran GRUB under Secure Boot (GRUB's line on the console)" has $b "KH-SB: GRUB loads the kernel"
	check "$b: Debian's kernel $VER booted" is $b uname "$VER"
	check "$b: mokutil --sb-state: SecureBoot enabled" is $b sb-state "SecureBoot enabled"
	check "$b: the kernel says it is in Secure Boot mode" grep -aq 'secureboot: Secure boot enabled' "$WORK/$b/console.txt"
	check "$b: lockdown is integrity (set by Secure Boot)" is $b lockdown "none [integrity] confidentiality"
	check "$b: the kernel enforces module signatures (module.sig_enforce: Y)" is $b sig-enforce Y
	check "$b: mokutil --list-enrolled lists DKMS's certificate" is $b mok-enrolled yes
	check "$b: the kernel loaded DKMS's certificate into .machine" is $b machine-keyring yes
	check "$b: the installed module is signed by DKMS's MOK" is $b signer "$MOK_SUBJECT"
	check "$b: modprobe keyhandover region= loads the DKMS-signed module" is $b modprobe-signed 0
	check "$b: the module is live (/dev/keyhandover)" is $b device yes
	check "$b: no unsigned-module taint (E) on it or the kernel" no_unsigned_taint $b
	check "$b: the module without its signature is refused" not_zero $b insmod-unsigned
	check "$b: ... as unsigned: EKEYREJECTED, 'Loading of unsigned module is rejected'" \
		before $b insmod-unsigned "Loading of unsigned module is rejected"
	check "$b: ... insmod says 'Key was rejected by service'" \
		before $b insmod-unsigned "Key was rejected by service"
	check "$b: the module signed by a key not enrolled is refused" not_zero $b insmod-otherkey
	check "$b: ... 'Loading of module with unavailable key is rejected'" \
		before $b insmod-otherkey "Loading of module with unavailable key is rejected"
	check "$b: neither refused copy is loaded" is $b after-refused "not loaded"
}

checks_nomok() {
	local b=nomok
	check "$b: the boot ran to the check script's end" has $b "KH-SB END"
	check "$b: mokutil --sb-state: SecureBoot enabled" is $b sb-state "SecureBoot enabled"
	check "$b: lockdown is integrity" is $b lockdown "none [integrity] confidentiality"
	check "$b: no DKMS certificate enrolled" is $b mok-enrolled no
	check "$b: none in .machine" is $b machine-keyring no
	check "$b: the same DKMS-signed module is refused without the MOK" not_zero $b modprobe-signed
	check "$b: ... 'Loading of module with unavailable key is rejected'" \
		before $b modprobe-signed "Loading of module with unavailable key is rejected"
}

main() {
	[ "$(id -u)" = 0 ] || kh_die "run as root (chroot, overlay mounts)"
	[ -e "$OVMF_CODE" ] && [ -e "$OVMF_VARS" ] || kh_need_pkgs ovmf
	kh_need_pkgs qemu-system-x86 ovmf fdisk dosfstools mtools xz-utils openssl
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/kh-secureboot.XXXXXX")
	VER=$(system_kernel) || exit 1
	BASE=$(sb_system_base) || exit 1
	CROOT=$(kh_kernel_chroot python3-virt-firmware "linux-headers-$VER") || exit 1
	SB_BIN=$(kh_sb_binaries "$CROOT") || exit 1
	DEBS=$(kh_debs "$SUITE") || exit 1
	local t=$SECONDS
	check "install: keyhandover from make deb, DKMS signs the module with its MOK" install_system
	[ "$LAST_OK" = 1 ] || finish
	check "disk: GPT, ESP with shim, GRUB, the signed kernel; ext4 root" make_disk
	[ "$LAST_OK" = 1 ] || finish
	umount "$MERGED" && MERGED=
	check "vars: DKMS's certificate in MokList (virt-fw-vars --add-mok)" make_vars
	[ "$LAST_OK" = 1 ] || finish
	note "prepared in $((SECONDS - t)) s"
	boot mok vars-mok.fd
	checks_mok mok
	boot nomok vars-nomok.fd
	checks_nomok
	boot_mokmanager
	[ "$MM_OK" != 1 ] || checks_mok mokmanager
	finish
}

main
