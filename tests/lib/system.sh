# shellcheck shell=bash
# shellcheck disable=SC2034 # settings read by the sourcing scripts
# The whole Debian systems' parts, for the system suite (tests/system/
# run.sh) and the downtime benchmark (tests/bench/downtime.sh): a system's
# settings and secrets, keyhandover installed from make deb's packages
# into an overlay on the cached base, the encrypted image, and the guest
# driven over its serial console (send, guest, wait for a boot, a chain of
# kexecs). Source it after tests/lib/suite.sh; it runs nothing. The
# sourcing script sets WORK (the run's directory), DIR (the guest's) and
# SCENARIO (the name its result lines start with).

# shellcheck disable=SC2016 # a literal $: memmap= syntax, also region=
KH_REGION='4K$0x7000000'
REGION_ADDR=0x7000000
REGION_SIZE=4096
WAIT=${KH_SYSTEM_TIMEOUT:-900}
MEM_MB=1024
# The guests' kernel command line, for the speed of the test machine only:
# Debian's kernels enable the BPF LSM, and then systemd sets up its BPF
# program (bpf-restrict-fs) as it starts, libbpf reading the kernel's
# BTF: 12 to 90 s of every boot under TCG, before the first unit. The list
# is Debian's CONFIG_LSM without bpf (and ipe); keyhandover uses neither.
TCG_CMDLINE="lsm=landlock,lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo"
HOST=kh-system
PROMPT="root@$HOST:~#"
DIR=
POS=0
SEQ=0

# system_settings FILE: a system's settings (tests/system/systems/NAME.sh),
# over the defaults every system starts from.
system_settings() {
	SUITE='' DESCRIPTION='' CRYPTTAB_OPTIONS=''
	EXTRA_PKGS='' EXTRA_MB=0 REPO='' KV_NEW='' KEY_DESC='' VARIANT_PKGS='' DATA=no MODULES_DEP=no
	PURGE_TEST=no
	INITRAMFS=initramfs-tools COLD_PROMPT='Please unlock disk cryptroot'
	DATA_KEY_DESC=keyhandover:cryptdata
	unset -f system_kernel system_upgrade_kernel system_cmdline
	# shellcheck source=/dev/null
	. "$1"
}

# system_secrets: the run's secrets in $WORK (make_secrets), UUID, the
# leak detector's patterns of both volume keys, and TOKEN, the text of
# the files written before a reboot.
system_secrets() {
	make_secrets "$WORK"
	UUID=$(cat "$WORK/uuid")
	kh_leak_patterns "$WORK/vk.bin" "$WORK/leak" ||
		{ not_ok "the leak detector's patterns made from the volume key"; return 1; }
	leak_self_test "$WORK/vk.bin" "$WORK/leak" "$WORK/leak-probe"
	# The data volume's key: its patterns searched beside root's.
	if [ "$DATA" = yes ]; then
		kh_leak_patterns "$WORK/vk-data.bin" "$WORK/leak-data" &&
			cat "$WORK/leak-data.ci" >>"$WORK/leak.ci" &&
			cat "$WORK/leak-data.cs" >>"$WORK/leak.cs" ||
			{ not_ok "the leak detector's patterns made from the data volume key"; return 1; }
	fi
	TOKEN=boot1-$(head -c 8 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
}

# --- the encrypted system ---------------------------------------------------
#
# The base system is cached (tests/lib/debian.sh kh_system_base). Every run
# installs the working tree's keyhandover into an overlay on it in a
# chroot (the overlay's upper layer is exactly what the install changed),
# makes an ext4 image of the result (mke2fs -d copies a tree without
# mounting anything), and encrypts it into a LUKS2 volume on the host
# (kh-encrypt-image, tests/system/encrypt_image.c): the guest's own
# dm-crypt is the first to read it back.

# The volume's secrets, new for every run: the passphrase (typed, never on
# a command line) and the volume key (only in the LUKS header), without
# NUL or newline bytes so that a line-based grep finds the raw key in a
# log. Test data, never a real secret.
make_secrets() {
	local d=$1
	mkdir -p "$d/fixtures"
	head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >"$d/fixtures/passphrase"
	: >"$d/fixtures/content"
	make_volume_key "$d/vk.bin"
	cat /proc/sys/kernel/random/uuid >"$d/uuid"
	# The data volume (DATA=yes): its key file on the encrypted root, as
	# a box keeps a second disk's, and its volume key.
	head -c 32 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >"$d/fixtures/datakey"
	make_volume_key "$d/vk-data.bin"
	cat /proc/sys/kernel/random/uuid >"$d/uuid-data"
	# What no log may hold as text: the passphrase and the key file.
	cat "$d/fixtures/passphrase" >"$d/fixtures/typed"
	printf '\n' >>"$d/fixtures/typed"
	cat "$d/fixtures/datakey" >>"$d/fixtures/typed"
}

make_volume_key() {
	while :; do
		head -c 64 /dev/urandom >"$1"
		od -An -tx1 -v "$1" | grep -wE '00|0a' >/dev/null || break
	done
}

# What the system's administrator writes before keyhandover: the root
# volume in crypttab (the initramfs option because the hook runs in a
# chroot, where it cannot see that this volume holds /), fstab, the host
# name, GRUB's defaults as Debian ships them with the serial console on
# the kernel's command line (a headless server's), and root's autologin on
# the serial console (the test's stand-in for a person logged in there).
configure_system() {
	local r=$1 uuid=$2
	mkdir -p "$r/boot/grub"
	sed "s/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=\"console=ttyS0 $TCG_CMDLINE\"/" \
		"$r/usr/share/grub/default/grub" >"$r/etc/default/grub" || return 1
	printf 'cryptroot UUID=%s none %s\n' "$uuid" "$CRYPTTAB_OPTIONS" >"$r/etc/crypttab"
	printf '/dev/mapper/cryptroot / ext4 errors=remount-ro 0 1\n' >"$r/etc/fstab"
	# A generator that finds root from the command line (dracut's
	# generic image) has it in GRUB's too, for every kernel update-grub
	# lists.
	if declare -F system_cmdline >/dev/null; then
		printf 'GRUB_CMDLINE_LINUX="%s"\n' "$(system_cmdline)" >>"$r/etc/default/grub" ||
			return 1
	fi
	[ "$DATA" != yes ] || configure_data "$r" || return 1
	printf '%s\n' "$HOST" >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$HOST" >"$r/etc/hosts"
	mkdir -p "$r/etc/systemd/system/serial-getty@ttyS0.service.d"
	cat >"$r/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<-'EOF'
	[Service]
	ExecStart=
	ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 %I $TERM
	EOF
}

# The data volume, as a staking box's second disk: not needed to boot, so
# not in the initramfs (no initramfs option; no rd.luks for it), opened
# after the switch to the real root by systemd-cryptsetup with a key file
# on the encrypted root, mounted at /srv/data. Its link-volume-key= has
# systemd-cryptsetup link its key at every cold boot.
configure_data() {
	local r=$1
	mkdir -p "$r/srv/data" "$r/etc/cryptsetup-keys.d" &&
		(umask 077 && cp "$WORK/fixtures/datakey" "$r/etc/cryptsetup-keys.d/cryptdata.key") &&
		printf 'cryptdata UUID=%s /etc/cryptsetup-keys.d/cryptdata.key luks,discard,link-volume-key=@u::%%logon:%s\n' \
			"$(cat "$WORK/uuid-data")" "$DATA_KEY_DESC" >>"$r/etc/crypttab" &&
		printf '/dev/mapper/cryptdata /srv/data ext4 defaults 0 2\n' >>"$r/etc/fstab"
}

# luks_segment IMAGE: the data segment's offset and sector size in bytes,
# as cryptsetup wrote them.
luks_segment() {
	cryptsetup luksDump "$1" | awk '
		/^Data segments:/ { d = 1 }
		d && $1 == "offset:" { o = $2 }
		d && $1 == "sector:" { print o, $2; exit }'
}

# make_image TREE: the tree as ext4, with room for the boots, in a LUKS2
# volume with the run's key ($WORK/luks.img). Cheap argon2: cryptroot and
# stash run it under TCG.
make_image() {
	local tree=$1 mb
	mb=$(du -sm "$tree" | cut -f1)
	mb=$((mb * 12 / 10 + 128 + EXTRA_MB))
	make_luks "$tree" "$mb" kh-root "$WORK/vk.bin" "$UUID" \
		"$WORK/fixtures/passphrase" "$WORK/luks.img" || return 1
	[ "$DATA" = yes ] || return 0
	# The data disk holds one file, written here, read in every boot.
	mkdir -p "$WORK/data-tree"
	printf '%s\n' "$TOKEN-data" >"$WORK/data-tree/kh-data"
	make_luks "$WORK/data-tree" 16 kh-data "$WORK/vk-data.bin" \
		"$(cat "$WORK/uuid-data")" "$WORK/fixtures/datakey" "$WORK/data.img"
}

# make_luks TREE MB LABEL VK UUID KEYFILE IMAGE: TREE as an ext4 file
# system of MB MiB in a LUKS2 volume with volume key VK, unlocked by
# KEYFILE's bytes. 4 KiB blocks: the volume's sectors are 4 KiB, and mke2fs
# would pick 1 KiB blocks for a small file system, which no kernel mounts
# on them.
make_luks() {
	local seg
	mke2fs -q -t ext4 -b 4096 -L "$3" -d "$1" "$WORK/fs.ext4" "${2}M" \
		>>"$WORK/mke2fs.log" 2>&1 || { cat "$WORK/mke2fs.log" >&2; return 1; }
	truncate -s "$(($2 + 16))M" "$7"
	cryptsetup luksFormat --batch-mode --type luks2 \
		--cipher aes-xts-plain64 --key-size 512 --sector-size 4096 \
		--offset 32768 \
		--pbkdf argon2id --pbkdf-memory 16384 \
		--pbkdf-force-iterations 4 --pbkdf-parallel 1 \
		--volume-key-file "$4" --uuid "$5" \
		--key-file "$6" "$7" || return 1
	seg=$(luks_segment "$7")
	# shellcheck disable=SC2086 # offset and sector size, two words
	"$WORK/kh-encrypt-image" "$4" "$WORK/fs.ext4" "$7" $seg || return 1
	rm -f "$WORK/fs.ext4"
}

# keyhandover installed as README's "On a real machine" says, inside the
# system (a chroot of an overlay on the base system): apt installs the
# packages `make deb` built from this checkout for the system's Debian
# release (tests/lib/debian.sh kh_debs); keyhandover-dkms's postinst has
# DKMS build and install the module for the system's kernel, and the
# package's trigger has the system's generator (initramfs-tools or dracut)
# rebuild the initramfs. Nothing is loaded through /etc/modules: the
# initramfs loads the module on every boot whose command line names the
# region. The image is made from the overlay; QEMU boots the system's own
# kernel and initramfs. A script that boots the system from a disk of its
# own (firmware, GRUB, /boot) defines system_boot_disk TREE, which makes
# that disk's other parts from the tree first.
install_keyhandover() {
	local w=$WORK/overlay rc=0
	mkdir -p "$w/upper" "$w/work" "$w/merged"
	mount -t overlay overlay \
		-o "lowerdir=$BASE,upperdir=$w/upper,workdir=$w/work,redirect_dir=off,metacopy=off" \
		"$w/merged" ||
		return 1
	MERGED=$w/merged
	configure_system "$w/merged" "$UUID" &&
		tree_sums "$w/upper" >"$WORK/before-install.sums" &&
		kh_install_debs "$w/merged" "$DEBS" >"$WORK/install.log" 2>&1 &&
		kh_chroot_run "$w/merged" sh -ec '
			# As on a box that has booted since its packages came:
			# the stamps that say /etc and /var are up to date with
			# /usr. Without them the first boot of every scenario
			# reruns what the packages did (ldconfig, hwdb, sysusers, the
			# journal catalog): minutes under TCG.
			for u in /usr/lib/systemd/systemd-update-done /lib/systemd/systemd-update-done; do
				[ ! -x "$u" ] || { "$u"; break; }
			done
			eval "$4" >/root/kh-initrd.list
			# From now on, in the guest: the modules this machine
			# needs (the chroot cannot tell; see MODULES_DEP).
			[ "$3" != yes ] ||
				echo MODULES=dep >/etc/initramfs-tools/conf.d/kh-modules-dep
		' sh "$VER" "$INITRAMFS" "$MODULES_DEP" \
			"$(initramfs_list_cmd "/boot/initrd.img-$VER")" >>"$WORK/install.log" 2>&1 &&
		mv "$w/merged/root/kh-initrd.list" "$WORK/initrd.list" &&
		add_upgrade_repo "$w/merged" &&
		cp "$w/merged/boot/vmlinuz-$VER" "$WORK/vmlinuz" &&
		cp "$w/merged/boot/initrd.img-$VER" "$WORK/initrd.img" &&
		{ ! declare -F system_boot_disk >/dev/null || system_boot_disk "$w/merged"; } &&
		make_image "$w/merged" || rc=1
	[ "$rc" = 0 ] || tail -n 30 "$WORK/install.log" >&2
	umount "$w/merged" && MERGED= || rc=1
	return "$rc"
}

# The newer kernel's packages as a local repository the system's apt
# knows (its index fetched here, so the guest needs no network): the
# guest installs it as a box installs a kernel update. For the test
# machine's sake only, the guest's dpkg writes with force-unsafe-io (no
# fsync per unpacked file: the headers are some 20,000 files, and under
# TCG each sync is an emulated flush of a throw-away snapshot disk);
# what dpkg runs after unpacking (DKMS, the hooks) is unchanged.
add_upgrade_repo() {
	[ -n "$REPO" ] || return 0
	mkdir -p "$1/srv/kh-upgrade"
	cp "$REPO"/* "$1/srv/kh-upgrade/" &&
		printf 'deb [trusted=yes] file:/srv/kh-upgrade ./\n' \
			>"$1/etc/apt/sources.list.d/kh-upgrade.list" &&
		printf 'force-unsafe-io\n' >"$1/etc/dpkg/dpkg.cfg.d/kh-unsafe-io" &&
		kh_chroot_run "$1" apt-get update -qq \
			-o Dir::Etc::SourceList=/etc/apt/sources.list.d/kh-upgrade.list \
			-o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0 \
			>>"$WORK/install.log" 2>&1 &&
		# apt's cache of all its lists, made here as any apt run on a box
		# leaves it: else the guest's apt parses trixie's whole index
		# first (40 s under TCG).
		kh_chroot_run "$1" apt-cache gencaches >>"$WORK/install.log" 2>&1
}

prepare_system() {
	DEBS=$(kh_debs "$SUITE") || return 1
	gcc -O2 -Wall -Wextra -o "$WORK/kh-encrypt-image" \
		"$KH_TOP/tests/system/encrypt_image.c" -lcrypto &&
		install_keyhandover
}

# tree_sums DIR: each file, link and directory under DIR with what it
# holds (a file's sha256, a link's target), sorted: what an overlay's
# upper layer says the system changed. (Debian 12's mawk, the host's awk
# where gawk is not installed, knows no {64}: such a pattern matched
# nothing there, and every line kept the hash first.)
tree_sums() {
	(cd "$1" && find . -mindepth 1 \( -type d -printf '%p dir\n' \) -o \
		\( -type l -printf '%p -> %l\n' \) -o \( -type c -printf '%p whiteout\n' \) -o \
		\( -type f -exec sha256sum {} + \) ) |
		awk 'length($1) == 64 && $1 ~ /^[0-9a-f]+$/ { print $2, $1; next } { print }' |
		LC_ALL=C sort
}

# The purge, on the installed system (the overlay as the install left it,
# its image already made): setup's drop-in written and the unattended
# timer enabled first, as a user would have them, then apt purge of both
# packages. What the upper layer holds afterwards, against what it held
# before the install (the test's own configuration), may differ only in
# the package manager's records and logs, DKMS's own signing key (made at
# its first build, for every DKMS module of the machine, and the key a
# user enrolled: not keyhandover's to delete), the initramfs and depmod's
# indexes rebuilt without keyhandover; the test's own (the stamps of
# install_keyhandover, the upgrade's local repository of add_upgrade_repo,
# what running cryptsetup's tools in a chroot does to its /dev). No path the purge left may name keyhandover.
# GRUB's grub.cfg is not made in a chroot; the postrm's update-grub runs
# on a system that has one (debian/keyhandover.postrm).
PURGE_ALLOWED='^\./(var/lib/dpkg|var/log|var/cache|var/lib/apt|var/lib/systemd/deb-systemd-helper-(enabled|masked)|var/lib/initramfs-tools|tmp|dev)[/ ]|^\./var/lib/dkms(/mok\.(key|pub))? |^\./boot/initrd\.img-[^/]* |^\./(usr/)?lib/modules/[^/]+/modules\.[^/]* |^\./etc/ld\.so\.cache |^\./(etc|var)/\.updated |^\./(srv/kh-upgrade|etc/apt/sources\.list\.d/kh-upgrade\.list|etc/dpkg/dpkg\.cfg\.d/kh-unsafe-io)[/ ]'
# left_since_install SUMS: the entries of SUMS (tree_sums of the upper
# layer) that were not so before the install, outside PURGE_ALLOWED. A
# directory the base has is only the overlay's copy-up.
left_since_install() {
	LC_ALL=C comm -13 "$WORK/before-install.sums" "$1" | grep -Ev "$PURGE_ALLOWED" |
		while read -r p what; do
			[ "$what" = dir ] && [ -d "$BASE/$p" ] || echo "$p $what"
		done
}

purge_leaves_nothing() {
	local w=$WORK/overlay rc=0 left
	mount -t overlay overlay \
		-o "lowerdir=$BASE,upperdir=$w/upper,workdir=$w/work,redirect_dir=off,metacopy=off" \
		"$w/merged" || return 1
	MERGED=$w/merged
	tree_sums "$w/upper" >"$WORK/installed.sums"
	# setup reads the firmware's memory map: sysfs too, not only proc.
	LC_ALL=C unshare --mount --propagation private sh -c '
		mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys" || exit 125
		exec chroot "$@"' sh "$w/merged" sh -ec '
		# The guest'"'"'s own initramfs setting (install_keyhandover),
		# which a chroot cannot apply.
		rm -f /etc/initramfs-tools/conf.d/kh-modules-dep
		keyhandover setup --root /.
		test -s /etc/default/grub.d/keyhandover.cfg
		systemctl enable keyhandover-upgrade.timer
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q keyhandover keyhandover-dkms
		eval "$1" >/root/kh-initrd-purged.list
	' sh "$(initramfs_list_cmd "/boot/initrd.img-$VER")" >"$WORK/purge.log" 2>&1 || rc=1
	if [ "$rc" = 0 ]; then
		mv "$w/merged/root/kh-initrd-purged.list" "$WORK/initrd-purged.list"
		# What the upper layer holds now that it did not before, or holds
		# otherwise, outside the allowed records.
		tree_sums "$w/upper" >"$WORK/after-purge.sums"
		left=$(left_since_install "$WORK/after-purge.sums")
		[ -z "$left" ] || { note "left by the purge:"; note "$left"; rc=1; }
		# The same comparison, made on the installed system, must find
		# the tool, or its silence after the purge means nothing.
		grep -qx './usr/sbin/keyhandover [0-9a-f]*' <<<"$(left_since_install "$WORK/installed.sums")" ||
			{ note "the comparison does not see the installed tool"; rc=1; }
		left=$(cd "$w/upper" && find . -iname '*keyhandover*')
		[ -z "$left" ] || { note "paths that name keyhandover after the purge:"; note "$left"; rc=1; }
		! grep -i keyhandover "$WORK/initrd-purged.list" ||
			{ note "the initramfs made at the purge still holds the above"; rc=1; }
		[ -s "$WORK/initrd-purged.list" ] || { note "no initramfs listing after the purge"; rc=1; }
	else
		tail -n 30 "$WORK/purge.log" >&2
	fi
	umount "$w/merged" && MERGED= || rc=1
	return "$rc"
}

# What the install left: the DKMS module for the system's kernel, the tool,
# and both in the initramfs that boots it.
installed_right() {
	local u=$WORK/overlay/upper list f ko
	# Debian 13's dkms compresses the module as the kernel's own are
	# (keyhandover.ko.xz); Debian 12's leaves it as it is.
	ko=$(find "$u/lib/modules/$VER/updates/dkms" "$u/usr/lib/modules/$VER/updates/dkms" \
		-name 'keyhandover.ko*' 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { note "no DKMS module under /lib/modules/$VER/updates/dkms"; return 1; }
	# Signed by DKMS with its own key, as Secure Boot needs it.
	modinfo -F signer "$ko" | grep -q . ||
		{ note "DKMS left ${ko##*/} unsigned"; return 1; }
	[ -x "$u/usr/sbin/keyhandover" ] || { note "no /usr/sbin/keyhandover"; return 1; }
	# The system's own lsinitramfs listed it (install_keyhandover): Debian
	# 12's cannot read Debian 13's early cpio in reasonable time.
	list=$(cat "$WORK/initrd.list") || return 1
	# Debian's /lib is /usr/lib: both list the modules there.
	for f in usr/sbin/keyhandover "usr/lib/modules/$VER/updates/dkms/${ko##*/}" \
		etc/keyhandover/crypttab $(initramfs_parts); do
		grep -qx -- "$f" <<<"$list" || { note "initramfs lacks $f"; return 1; }
	done
}

# --- driving the guest over its serial console ----------------------------

console_text() {
	strip_cr "$DIR/console.log"
}

# Type a line at the console, as a person would, ending in Enter.
send() {
	qemu_type "$DIR" "$1"
}

type_passphrase() {
	qemu_type_file "$DIR" "$WORK/fixtures/passphrase"
}

# guest CMD [SECONDS]: run CMD at the root shell; its console output goes to
# $DIR/out.N (N counts the commands; OUT names the last) and its exit
# status to RC. The end marker's number is computed by the guest's shell,
# so the echo of the typed line can never match it.
guest() {
	local start
	SEQ=$((SEQ + 1))
	start=$POS
	send "$1; echo KH-DONE-\$(($SEQ + 0))-rc-\$?-end" || return 1
	wait_for "KH-DONE-$SEQ-rc-" "${2:-$WAIT}" || return 1
	OUT=$DIR/out.$SEQ
	console_text | tail -c +$((start + 1)) | head -c $((POS - start)) >"$OUT"
	# The status is complete once "-end" follows it (the serial line may
	# have delivered the marker alone so far).
	RC=
	for _ in $(seq 50); do
		RC=$(console_text | tail -c +$((POS + 1)) | head -n 1 |
			sed -n 's/^\([0-9][0-9]*\)-end.*/\1/p')
		[ -z "$RC" ] || break
		sleep 0.2
	done
	[ -n "$RC" ] || return 1
	POS=$((POS + ${#RC} + 4))
}

# guest_ok WHAT CMD [SECONDS]: one check that CMD exits 0 in the guest.
guest_ok() {
	check "$SCENARIO: $1" guest_rc0 "$2" "${3:-$WAIT}"
}

guest_rc0() {
	guest "$1" "$2" && [ "$RC" = 0 ] || {
		[ -z "${OUT:-}" ] || tail -n 8 "$OUT" | note_lines guest
		return 1
	}
}

# The last command printed TEXT (a line of its output, not the echo of
# what was typed: callers pick text the command line does not hold).
said() {
	grep -aqF -- "$1" "$OUT"
}

# --- QEMU ----------------------------------------------------------------

# start_qemu DIR [QEMU ARGS...]: the system (-nodefaults: no floppy,
# CD-ROM or parallel port, whose drivers a Debian system loads and probes,
# slowly under TCG; the serial console and the monitor are given), its
# disks copy-on-write for
# this scenario only (snapshot=on), its console a pipe pair, a QMP channel
# for a scenario that asks for one (-qmp pipe:DIR/qmp; the reader simply
# waits for nothing otherwise). No timeout of its own: every wait_for is
# bounded. systemd waits 900 s, not 90, for a device: on a cold cache the
# guest shares the cores with a kernel build and the other lane, and udev
# under TCG then took longer than 90 s to announce /dev/ttyS0 (no serial
# getty, no shell).
start_qemu() {
	DIR=$1
	shift
	POS=0
	mkdir -p "$DIR"
	qemu_fifo "$DIR" tty0 "$DIR/console.log"
	qemu_fifo "$DIR" qmp "$DIR/qmp.log"
	local extra=() cmdline=
	! declare -F system_cmdline >/dev/null || cmdline=" $(system_cmdline)"
	[ "$DATA" != yes ] ||
		extra=(-drive "file=$WORK/data.img,if=virtio,format=raw,snapshot=on,cache=unsafe")
	qemu_start "$DIR" 7200 \
		-kernel "$(qemu_pvh_kernel "$WORK/vmlinuz" "$WORK/vmlinux.pvh")" -initrd "$WORK/initrd.img" \
		-append "root=/dev/mapper/cryptroot ro console=ttyS0 $TCG_CMDLINE$cmdline memmap=$KH_REGION keyhandover.region=$KH_REGION systemd.default_device_timeout_sec=900" \
		-drive "file=$WORK/luks.img,if=virtio,format=raw,snapshot=on,cache=unsafe" \
		"${extra[@]}" -nodefaults -serial "pipe:$DIR/tty0" "$@"
}

# dump_region FILE: the reserved region as the guest's RAM holds it now,
# read from outside the guest.
dump_region() {
	qemu_dump "$DIR" "$REGION_ADDR" "$REGION_SIZE" "$1"
}

# Boot 1 up to the root shell: the initramfs asks for root's passphrase
# (COLD_PROMPT: Debian's cryptroot, or systemd's in a dracut image), it is
# typed, systemd comes up and logs root in on the console.
boot_with_passphrase() {
	check "$SCENARIO: boot $1: the initramfs asks for root's passphrase ($INITRAMFS)" \
		wait_for "$COLD_PROMPT"
	[ "$LAST_OK" = 1 ] || return 1
	type_passphrase
	reach_shell "$1"
}

reach_shell() {
	check "$SCENARIO: boot $1: systemd logs root in on the serial console" \
		wait_for "$PROMPT" "$WAIT" "$COLD_PROMPT"
	[ "$LAST_OK" = 1 ] || return 1
	guest_ok "boot $1: multi-user.target is active (systemd's own word)" \
		'systemctl is-system-running --wait >/dev/null; systemctl is-active multi-user.target'
	# shellcheck disable=SC2034 # read by unattended_upgrade
	UP_AT=$SECONDS
	[ "$DATA" = yes ] || return 0
	guest_ok "boot $1: the data volume is open, mounted, and holds its file" \
		"grep -x $TOKEN-data /srv/data/kh-data"
}

# --- the secrets ----------------------------------------------------------

# Neither the passphrase (nor the data volume's key file) nor any piece
# of either volume key in any of the logs: the key through the shared detector (lib.sh kh_leak_patterns:
# 16-byte windows in hex of any case, spaced or with colons, raw, and
# base64), whose patterns, like the passphrase, go through a file, never
# a command line. The first log must have content and the others must
# exist: grep's "no such file" must not read as "not found".
no_secret_in() {
	local f rc=0
	[ -s "$1" ] || { note "no log $1 to search"; return 1; }
	for f in "$@"; do
		[ -e "$f" ] || { note "no log $f to search"; return 1; }
	done
	LC_ALL=C grep -laiF -f "$WORK/fixtures/typed" -- "$@" >&2 || rc=$?
	[ "$rc" = 1 ] || { note "the passphrase or the data key file is in a log (or a log cannot be read)"; return 1; }
	rc=0
	kh_leak_scan "$WORK/leak" "$@" || rc=$?
	[ "$rc" = 1 ] || { note "volume key bytes in a log (or a log cannot be read)"; return 1; }
}

# --- the scenarios ----------------------------------------------------------

said_all() {
	local t
	for t in "$@"; do
		said "$t" || { note "not in the output: $t"; return 1; }
	done
}

console_has_since() {
	console_text | tail -c +$(($1 + 1)) | grep -F -- "$2" >/dev/null
}

region_zero() {
	dump_region "$1" && all_zero "$1"
}

region_nonzero() {
	dump_region "$1" && ! all_zero "$1"
}

# VM status from the monitor: paused (at a reset, with -action
# reboot=shutdown -action shutdown=pause).
vm_paused() {
	for _ in $(seq "$WAIT"); do
		case $(qemu_status "$DIR") in paused*) return 0 ;; esac
		qemu_running || return 1
		sleep 1
	done
	return 1
}

# With reboot=shutdown in force QEMU turns even the monitor's system_reset
# into a shutdown; only QMP's set-action can undo it. Then the reset takes
# effect in QEMU's main loop, and cont is refused until it has.
resume_after_reset() {
	qemu_qmp "$DIR" '{"execute":"qmp_capabilities"}' &&
		qemu_qmp "$DIR" '{"execute":"set-action","arguments":{"reboot":"reset"}}' &&
		qemu_qmp "$DIR" '{"execute":"system_reset"}' || return 1
	for _ in $(seq 20); do
		sleep 0.5
		qemu_qmp "$DIR" '{"execute":"cont"}' || return 1
		[ "$(qemu_status "$DIR")" != running ] || return 0
	done
	return 1
}

# --- a chain of kexecs (Debian 13 scenarios) --------------------------------

# write_file N: boot N's file, to be found after its reboot.
write_file() {
	guest_ok "boot $1: a file written to the encrypted root" \
		"echo $TOKEN-$1 >/root/kh-chain-$1 && sync"
}

# chain_boot N KVER: the kexec into boot N on KVER, its shell, and what
# restore did there: no prompt, boot N-1's file, the key linked as
# link-volume-key= says ($KEY_DESC in @u), the region zero. UP_AT: when
# multi-user.target was reached.
chain_boot() {
	local n=$1 prev=$(($1 - 1))
	check "$SCENARIO: boot $prev: systemd shuts down and the module keeps the stash" \
		wait_for "kexec: keeping $VOLUMES volume(s) for the next kernel" "$WAIT" "$COLD_PROMPT"
	check "$SCENARIO: boot $prev: the kernel jumps to the next one" \
		wait_for 'Linux version'
	reach_shell "$n" || return 1
	guest_ok "boot $n: running $2" "uname -r | grep -x -- '$2'"
	guest_ok "boot $n: boot $prev's file is on the root" "grep -x $TOKEN-$prev /root/kh-chain-$prev"
	guest_ok "boot $n: booted through keyhandover load" \
		'grep -q "keyhandover.nonce=" /proc/cmdline'
	guest_ok "boot $n: restore opened root with its crypttab line's discard" \
		'cryptsetup status cryptroot | grep -E "flags:.*discards"'
	guest_ok "boot $n: restore linked root's key as link-volume-key= names it" \
		"keyctl search @u logon $KEY_DESC"
	[ "$DATA" != yes ] || data_after_restore "$n"
	guest_ok "boot $n: the hand-over was read, once" \
		'keyhandover status | grep -x "state: consumed"'
	check "$SCENARIO: boot $n: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.boot$n"
}

# Boot N: restore opened the data volume too, in the initramfs, with its
# crypttab line's discard (kept in the initramfs's copy), and linked its
# key; systemd-cryptsetup found it open and succeeded. Its line is looked
# up by the name it logs under (-t), not by unit (-u): journald learns a
# sender's unit from its cgroup in /proc, and systemd-cryptsetup, done at
# once here, can be gone before journald reads its message, which then
# names no unit. (Once, in a run at b8e11f2, the unit was active and -u
# found no line; the likely cause, not proven: the run kept no journal.)
data_after_restore() {
	guest_ok "boot $1: restore opened the data volume with its crypttab discard" \
		'cryptsetup status cryptdata | grep -E "flags:.*discards"'
	guest_ok "boot $1: restore linked the data volume's key too" \
		"keyctl search @u logon $DATA_KEY_DESC"
	guest_ok "boot $1: systemd-cryptsetup found the data volume open and succeeded" \
		'systemctl is-active systemd-cryptsetup@cryptdata.service && journalctl -b -t systemd-cryptsetup | grep -F "Volume cryptdata already active"'
}

# cold_boot_then_reboot: boot 1 with the passphrase; Debian's cryptroot
# links nothing, so `keyhandover reboot` asks once; then boot 2.
cold_boot_then_reboot() {
	boot_with_passphrase 1 || return 1
	guest_ok "boot 1: the cold boot linked no key for root (Debian's cryptroot ignores link-volume-key=)" \
		"keyctl search @u logon $KEY_DESC 2>&1 | grep -F 'Required key not available'"
	[ "$DATA" != yes ] ||
		guest_ok "boot 1: systemd-cryptsetup linked the data volume's key at unlock (link-volume-key=)" \
			"keyctl search @u logon $DATA_KEY_DESC"
	guest_ok "boot 1: setup writes the drop-in and runs update-grub" \
		'keyhandover setup' 300
	guest_ok "boot 1: setup --check" 'keyhandover setup --check'
	check "$SCENARIO: boot 1: setup --check says the key is not in the keyring yet" \
		said 'not in the keyring'
	write_file 1
	send 'keyhandover reboot'
	check "$SCENARIO: boot 1: keyhandover reboot asks for cryptroot's passphrase (no key linked)" \
		wait_for 'Enter passphrase for cryptroot'
	[ "$LAST_OK" = 1 ] || return 1
	type_passphrase
	chain_boot 2 "$VER"
}

# reboot_no_terminal N: `keyhandover reboot` with no terminal to ask on
# takes the key from the keyring: no prompt (the wait stops at one).
reboot_no_terminal() {
	write_file "$1"
	guest_ok "boot $1: setup --check: the key is in the keyring" 'keyhandover setup --check'
	send 'keyhandover reboot </dev/null' || return 1
	check "$SCENARIO: boot $1: keyhandover reboot with no terminal takes the key from the keyring" \
		wait_for 'key taken from the keyring' "$WAIT" 'Enter passphrase'
}

# upgrade_kernel N: in boot N, the newer kernel installed as on a box,
# from the local repository; everything after apt's command is Debian's
# own doing (DKMS, the generator's hooks, update-grub).
upgrade_kernel() {
	local n=$1
	# Each line stamped by bash's own clock (printf %(...)T): a date(1)
	# per line would fork hundreds of times under TCG.
	guest_rc0 'ts_lines() { while IFS= read -r l; do printf "%(%s)T %s\n" -1 "$l"; done; }' 30
	guest_ok "boot $n: apt installs $KV_NEW and its headers (local repository)" \
		"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends linux-image-$KV_NEW linux-headers-$KV_NEW 2>&1 | ts_lines >/root/kh-upgrade.log; [ \${PIPESTATUS[0]} = 0 ] || { tail -n 20 /root/kh-upgrade.log; false; }" 3600
	[ "$LAST_OK" = 1 ] || return 1
	# Where the upgrade's minutes go (docs/testing.md), by the guest's
	# own clock.
	guest "awk 'NR == 1 { t0 = \$1 } { print \$1 - t0, \$0 }' /root/kh-upgrade.log | grep -E 'Unpacking|Setting up|dkms|update-initramfs|dracut|Generating grub|Building|done' | cut -c1-110" 120 &&
		note_lines upgrade <"$OUT"
	guest_ok "boot $n: DKMS built and installed keyhandover for $KV_NEW by itself" \
		"dkms status -m keyhandover -k $KV_NEW | grep -q ': installed'"
	guest_ok "boot $n: the new kernel's initramfs ($INITRAMFS) holds the module, the tool and the generator's own parts" \
		"all=0; $(initramfs_list_cmd "/boot/initrd.img-$KV_NEW") >/root/kh-initrd.list || all=1; grep -qF 'usr/lib/modules/$KV_NEW/updates/dkms/keyhandover.ko' /root/kh-initrd.list || { echo 'no keyhandover.ko'; all=1; }; for f in usr/sbin/keyhandover etc/keyhandover/crypttab $(initramfs_parts); do grep -qx \"\$f\" /root/kh-initrd.list || { echo \"no \$f\"; all=1; }; done; [ \$all = 0 ]"
	guest_ok "boot $n: GRUB's default is now $KV_NEW (load --dry-run)" \
		"keyhandover load --dry-run | grep -F 'kernel: /boot/vmlinuz-$KV_NEW'"
}

# initramfs_list_cmd IMAGE: the guest's command that lists IMAGE's
# files, one path a line (lsinitrd prints ls -l lines: the ninth word).
initramfs_list_cmd() {
	case $INITRAMFS in
	dracut) printf "lsinitrd %s | awk '\$1 ~ /^[-dl][-rwxst]{9}/ { print \$9 }'" "$1" ;;
	*) printf 'lsinitramfs %s' "$1" ;;
	esac
}

# The generator's own parts of keyhandover in an initramfs: initramfs-tools'
# boot script and cryptroot's crypttab; dracut's units and
# systemd-cryptsetup.
initramfs_parts() {
	case $INITRAMFS in
	dracut) echo usr/lib/systemd/system/keyhandover-restore.service \
		usr/lib/systemd/system/sysinit.target.wants/keyhandover-restore.service \
		usr/lib/systemd/system/keyhandover-early.service \
		usr/lib/systemd/system/sysinit.target.wants/keyhandover-early.service \
		usr/lib/systemd/systemd-cryptsetup ;;
	*) echo scripts/local-top/keyhandover cryptroot/crypttab ;;
	esac
}

# unattended_upgrade N: boot N's keyhandover-upgrade.service, started as
# its timer would, kexecs into the new kernel with nothing typed: boot
# N+1. The service's own lines go to the journal; on the console the
# module's kexec line says it stashed, and chain_boot stops at a prompt.
unattended_upgrade() {
	local n=$1 t0
	write_file "$n"
	send 'systemctl start keyhandover-upgrade.service' || return 1
	t0=$SECONDS
	chain_boot $((n + 1)) "$KV_NEW" || return 1
	# docs/benchmarks.md: the service started (as its timer would) to
	# multi-user.target on the new kernel, as the host saw it (TCG).
	note "timing unattended upgrade: $((UP_AT - t0)) s from the service's start to multi-user.target on $KV_NEW"
	guest_ok "boot $((n + 1)): the previous boot's service had taken the keys from the keyring" \
		'journalctl -b -1 -u keyhandover-upgrade.service | grep -F "key taken from the keyring"'
	guest_ok "boot $((n + 1)): the upgrade service again: nothing newer, nothing done, success" \
		'systemctl start keyhandover-upgrade.service && journalctl -b -u keyhandover-upgrade.service | grep -F "nothing to do"'
}

# stash_from_keyring N: in boot N, a stash of every crypttab volume from
# the keys restore linked, with nothing to ask on; the region holds it.
stash_from_keyring() {
	guest_ok "boot $1: keyhandover stash (keyring mode, no prompt)" \
		'keyhandover stash </dev/null && keyhandover status | grep -x "state: armed"'
	check "$SCENARIO: boot $1: while armed, the region holds the stash (control)" \
		region_nonzero "$DIR/region.armed"
}

# plain_reboot_wipes N: boot N stashes, then reboots plainly: the module
# wipes on the way down, the region is zero at the reset, and the next
# boot asks as ever. (The scenario starts QEMU with -action
# reboot=shutdown -action shutdown=pause and a QMP channel.)
plain_reboot_wipes() {
	local n=$1
	stash_from_keyring "$n"
	send 'systemctl reboot' || return 1
	check "$SCENARIO: boot $n: the module wipes the region on the way down" \
		wait_for 'keyhandover: region wiped'
	check "$SCENARIO: boot $n: systemd reboots (QEMU holds the guest at the reset)" \
		vm_paused
	check "$SCENARIO: at the reset: the region, read from outside the guest, is all zero" \
		region_zero "$DIR/region.reset"
	check "$SCENARIO: the guest reset and running again" resume_after_reset
	# The prompt is the point: nothing was handed over, and the way back
	# is the passphrase.
	check "$SCENARIO: boot $((n + 1)): the initramfs asks for root's passphrase again" \
		wait_for "$COLD_PROMPT"
}

# Exactly N passphrases so far: the initramfs's at the cold boot, and
# keyhandover reboot's.
prompts_were() {
	[ "$(console_text | grep -cF "$COLD_PROMPT")" = "$1" ] &&
		[ "$(console_text | grep -c 'Enter passphrase for')" = "$2" ]
}
