# shellcheck shell=bash
# shellcheck disable=SC2034 # settings read by the sourcing scripts
# A UEFI machine's parts, for the Secure Boot run (tests/system/
# secureboot.sh) and the downtime benchmark (tests/bench/downtime.sh):
# Debian 13's signed shim and GRUB, and a GPT disk made of partition
# images. Source it after tests/lib/debian.sh; it runs nothing.

# The ESP's type GUID and Linux's file system one.
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
LINUX_TYPE=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# kh_sb_binaries CROOT: print a cached directory with Debian 13's signed
# shim, MokManager and GRUB (shimx64.efi, mmx64.efi, grubx64.efi), keyed
# by the packages' versions, downloaded once by the trixie chroot's apt.
kh_sb_binaries() {
	local croot=$1 v d t
	# shellcheck disable=SC2016 # apt-cache's output, not the shell's
	v=$(for p in shim-signed shim-helpers-amd64-signed grub-efi-amd64-signed; do
		chroot "$croot" apt-cache policy "$p" | sed -n 's/^ *Candidate: //p'
	done | tr '\n:' '_-')
	d=$KH_CACHE/secureboot/${v%_}
	if [ ! -e "$d.complete" ]; then
		kh_log "downloading Debian 13's signed shim and GRUB (once)"
		t=$croot/tmp/kh-sb-dl.$$
		rm -rf "$t" "$d"
		mkdir -p "$t" "$d"
		# shellcheck disable=SC2016 # expanded by the inner sh
		kh_chroot_run "$croot" sh -c 'cd "$1" && apt-get download -qq \
			-o APT::Sandbox::User=root shim-signed shim-helpers-amd64-signed \
			grub-efi-amd64-signed' sh "/tmp/kh-sb-dl.$$" >&2 || return 1
		for p in "$t"/*.deb; do dpkg -x "$p" "$t/x"; done
		cp "$t/x/usr/lib/shim/shimx64.efi.signed" "$d/shimx64.efi" &&
			cp "$t/x/usr/lib/shim/mmx64.efi.signed" "$d/mmx64.efi" &&
			cp "$t/x/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$d/grubx64.efi" &&
			cp "$t"/*.deb "$d/" || return 1
		rm -rf "$t"
		: >"$d.complete"
	fi
	printf '%s\n' "$d"
}

# gpt_disk DISK TYPE:NAME:IMAGE...: a GPT disk of the IMAGEs, in order,
# one partition each (its type GUID TYPE and name NAME), from 1 MiB on,
# each as large as its image in whole MiB, and 1 MiB for the backup
# table at the end.
gpt_disk() {
	local disk=$1 p type name img at=1 parts=
	shift
	for p in "$@"; do
		IFS=: read -r type name img <<<"$p"
		parts+="start=$((at * 2048)), size=$(($(mib "$img") * 2048)), type=$type, name=$name"$'\n'
		at=$((at + $(mib "$img")))
	done
	rm -f "$disk"
	truncate -s $((at + 1))M "$disk"
	printf 'label: gpt\n%s' "$parts" | sfdisk -q "$disk" >/dev/null || return 1
	at=1
	for p in "$@"; do
		IFS=: read -r type name img <<<"$p"
		dd if="$img" of="$disk" bs=1M seek=$at conv=notrunc,sparse status=none || return 1
		at=$((at + $(mib "$img")))
	done
}

# mib FILE: FILE's size in MiB, rounded up.
mib() {
	echo $((($(stat -c %s "$1") + 1048575) / 1048576))
}
