# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# The RFC series of upstream/ (docs/upstream.md), in the KHO test kernel
# that carries it: sourced by /init (tests/qemu/init.sh). keyhandover's
# module and tool take no part; the kernel keeps the key itself.
#
#   uparm      cryptsetup 2.7 opens the volume and leaves its key as a
#              logon key; the key is marked with KEYCTL_PRESERVE_KEXEC
#              (kh-keep-key, tests/qemu/keep_key.c) and the same kernel
#              is kexec'd with kexec-tools' kexec_file_load (KHO on)
#   uprestore  the key is in the root-only .kexec keyring, found and
#              used as Documentation/security/keys/kexec.rst of the series
#              says; cryptsetup 2.7 opens the volume from it; lockdown=
#              confidentiality refuses the next mark

KH_STAGES="$KH_STAGES uparm uprestore"

UP_KEY=kh:upstream

# The serial of the key of type $1 and description $2 in keyring $3.
up_serial() {
	$KEYCTL27 search "$3" "$1" "$2" 2>/dev/null
}

# The .kexec keyring's serial, read from /proc/keys as the series'
# documentation does it (root alone sees it there).
up_kexec_ring() {
	r=$(awk '$8 == "keyring" && $9 == ".kexec:" { print $1 }' /proc/keys)
	[ -n "$r" ] && printf '0x%s\n' "$r"
}

stage_uparm() {
	say "cryptsetup 2.7 opens $VOLUME, linking its volume key as logon key $UP_KEY"
	$CRYPTSETUP27 open --link-vk-to-keyring "@u::%logon:$UP_KEY" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup 2.7 open --link-vk-to-keyring"
	write_and_close
	id=$(up_serial logon "$UP_KEY" @u) || fail "no logon key $UP_KEY"
	# The kernel's refusals, seen from userspace: a user key is not
	# handed over (only logon keys are), and a mark taken off that was
	# never put on is an error.
	uid=$(head -c 64 /dev/urandom | $KEYCTL27 padd user kh:upuser @u)
	gcheck "a user key cannot be marked (EOPNOTSUPP)" \
		[ "$(kh-keep-key "$uid")" = EOPNOTSUPP ]
	$KEYCTL27 invalidate "$uid"
	gcheck "cancelling a mark never made: ENOENT" \
		[ "$(kh-keep-key --cancel "$id")" = ENOENT ]
	gcheck "KEYCTL_PRESERVE_KEXEC marks the volume's logon key" \
		[ "$(kh-keep-key "$id")" = ok ]
	mark_stage marked
	checks_passed
	# The logon key stays linked until the kexec: the kernel copies its
	# bytes in the reboot notifier of the kexec, not at the mark. So the
	# old kernel's own copy is in its RAM at the kexec, as an open
	# volume's dm-crypt key would be, and the new kernel may or may not
	# overwrite it: the host dumps all RAM here, the last moment before
	# the kexec, to tell that residue from copies the new kernel makes.
	load_next uprestore kexec
	request_dump ram-kexec
	exec_next
}

stage_uprestore() {
	ring=$(up_kexec_ring)
	gcheck "the .kexec keyring is in /proc/keys" [ -n "$ring" ]
	[ -n "$ring" ] || fail "no .kexec keyring"
	id=$(up_serial user "$UP_KEY" "$ring")
	gcheck "the handed-over key is a user key in .kexec" [ -n "$id" ]
	[ -n "$id" ] || fail "no user key $UP_KEY in .kexec"
	gcheck "nothing else was handed over (one key in .kexec)" \
		[ "$($KEYCTL27 rlist "$ring" | wc -w)" = 1 ]
	gcheck "the restored key expires (a timeout is set)" up_expires "$id"
	gcheck "no key can be linked into .kexec" \
		eval "! $KEYCTL27 link @u $ring 2>/dev/null"
	$KEYCTL27 link "$id" @s >/dev/null || fail "keyctl link the key to @s"
	say "cryptsetup 2.7 open --volume-key-keyring %user:$UP_KEY (no passphrase in this boot)"
	gcheck "cryptsetup 2.7 opens the volume with the handed-over key" \
		$CRYPTSETUP27 open --volume-key-keyring "%user:$UP_KEY" \
		"$VOLUME" "$NAME"
	[ -b "/dev/mapper/$NAME" ] || fail "no /dev/mapper/$NAME"
	check_content
	cryptsetup close "$NAME" || fail "cryptsetup close"
	gcheck "the handed-over key invalidates after use" \
		$KEYCTL27 invalidate "$id"
	gcheck "the key garbage collector destroys it (gone from /proc/keys)" \
		up_key_destroyed "$id"
	up_lockdown
	mark_stage checked
	checks_passed
	result upstream-ok
}

# An invalidated key's payload is freed (kfree_sensitive) by the key
# garbage collector, a work item that runs later: wait up to 10 s for the
# key and cryptsetup's own logon keys (the ones dm-crypt read) to leave
# /proc/keys, so that the host's RAM search sees what stays, not what is
# about to go.
up_key_destroyed() {
	hex=$(printf '%08x' "$1")
	i=0
	while awk -v id="$hex" '$1 == id || $9 ~ /^cryptsetup:/ { f = 1 } END { exit !f }' /proc/keys; do
		i=$((i + 1))
		[ $i -le 100 ] || return 1
		sleep 0.1
	done
	say "keys destroyed after ${i}00 ms"
}

# /proc/keys shows a timeout (such as 9m) in its fourth field, "perm" for
# none.
up_expires() {
	t=$(awk -v id="$(printf '%08x' "$1")" '$1 == id { print $4 }' /proc/keys)
	[ -n "$t" ] && [ "$t" != perm ]
}

# Raised to confidentiality at run time (it only goes up), the next mark
# is refused: root may not read kernel memory any more, so it may not
# hand a key to a kernel of its choosing either.
up_lockdown() {
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	echo confidentiality >/sys/kernel/security/lockdown ||
		fail "raising lockdown to confidentiality"
	lid=$(head -c 32 /dev/urandom | $KEYCTL27 padd logon kh:uplocked @u)
	gcheck "under lockdown=confidentiality the mark is refused (EPERM)" \
		[ "$(kh-keep-key "$lid")" = EPERM ]
	$KEYCTL27 invalidate "$lid"
}
