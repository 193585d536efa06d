# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# The RFC series of upstream/ (docs/upstream.md), in the KHO test kernel
# that carries it: sourced by /init (tests/qemu/init.sh). keyhandover's
# module and tool take no part; the kernel keeps the key itself.
#
#   uparm      cryptsetup 2.7 opens the volume and leaves its key as a
#              logon key; the key is marked with KEYCTL_PRESERVE_KEXEC
#              (kh-keep-key, tests/qemu/keep_key.c) and the same kernel
#              is kexec'd with kexec-tools' kexec_file_load (KHO on)
#   uprestore  the key is in the .kexec keyring, which nobody can read,
#              search or claim but root with CAP_SYS_ADMIN; claimed and
#              used in a session of its own as the series'
#              Documentation/security/keys/kexec.rst says, cryptsetup 2.7
#              opens the volume from it; lockdown=confidentiality then
#              refuses a mark and the claim

KH_STAGES="$KH_STAGES uparm uprestore"

UP_KEY=kh:upstream

# The serial of the key of type $1 and description $2 in keyring $3.
up_serial() {
	$KEYCTL27 search "$3" "$1" "$2" 2>/dev/null
}

# The decimal serial of the key of type $1 and description $2 as
# /proc/keys shows it (uid 0 sees .kexec and its keys there, nothing
# more before the claim).
up_proc_serial() {
	k=$(awk -v t="$1" -v d="$2:" '$8 == t && $9 == d { print $1 }' /proc/keys)
	[ -n "$k" ] && printf '%d\n' "0x$k"
}

stage_uparm() {
	say "cryptsetup 2.7 opens $VOLUME, linking its volume key as logon key $UP_KEY"
	$CRYPTSETUP27 open --link-vk-to-keyring "@u::%logon:$UP_KEY" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup 2.7 open --link-vk-to-keyring"
	write_and_close
	id=$(up_serial logon "$UP_KEY" @u) || fail "no logon key $UP_KEY"
	# The kernel's refusals, seen from userspace: a user key is not
	# handed over (only logon keys are), a mark taken off that was
	# never put on is an error, and so is a claim in a kernel that
	# was handed nothing.
	uid=$(head -c 64 /dev/urandom | $KEYCTL27 padd user kh:upuser @u)
	gcheck "a user key cannot be marked (EOPNOTSUPP)" \
		[ "$(kh-keep-key "$uid")" = EOPNOTSUPP ]
	$KEYCTL27 invalidate "$uid"
	gcheck "cancelling a mark never made: ENOENT" \
		[ "$(kh-keep-key --cancel "$id")" = ENOENT ]
	gcheck "nothing to claim in a kernel that was handed nothing: ENOENT" \
		[ "$(kh-keep-key --claim)" = ENOENT ]
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
	# All of RAM, on a machine that may be loaded: the host has longer
	# to notice the request than for a region (guest/planted.sh).
	request_dump ram-kexec 15
	exec_next
}

# Before the claim: uid 0 sees the keyring and the key, and can do
# nothing else with them, with or without its capabilities.
up_unclaimed() {
	gcheck "before the claim root cannot read the key (EACCES)" \
		[ "$(kh-keep-key --read "$1")" = EACCES ]
	gcheck "before the claim nobody can search .kexec" \
		eval "! $KEYCTL27 search $2 user $UP_KEY >/dev/null 2>&1"
	gcheck "uid 0 without capabilities cannot read the key (EACCES)" \
		[ "$(kh-keep-key --capless --read "$1")" = EACCES ]
	gcheck "uid 0 without capabilities cannot claim (EPERM)" \
		[ "$(kh-keep-key --capless --claim)" = EPERM ]
}

# The claim and the use, in a session keyring of their own as the series'
# documentation shows: the claim links .kexec into it, and what runs in
# that session possesses the key. One line per step for the checks.
up_claimed_session() {
	cat >/tmp/up-session.sh <<-EOS
	echo "claim=\$(kh-keep-key --claim)"
	echo "listed=\$($KEYCTL27 rlist $2 | wc -w)"
	echo "link=\$($KEYCTL27 link @u $2 2>&1)"
	$CRYPTSETUP27 open --volume-key-keyring "%user:$UP_KEY" "$VOLUME" "$NAME"
	echo "open=\$?"
	$KEYCTL27 invalidate "$1"
	echo "invalidate=\$?"
	EOS
	$KEYCTL27 session - sh /tmp/up-session.sh >/tmp/up-session.out 2>&1
	cat /tmp/up-session.out
}

up_said() {
	grep -qx "$1" /tmp/up-session.out
}

stage_uprestore() {
	ring=$(up_proc_serial keyring .kexec)
	gcheck "the .kexec keyring is in /proc/keys" [ -n "$ring" ]
	[ -n "$ring" ] || fail "no .kexec keyring"
	id=$(up_proc_serial user "$UP_KEY")
	gcheck "the handed-over key is a user key in /proc/keys" [ -n "$id" ]
	[ -n "$id" ] || fail "no user key $UP_KEY"
	gcheck "the restored key expires (a timeout is set)" up_expires "$id"
	up_unclaimed "$id" "$ring"
	say "in a session of its own: claim, cryptsetup 2.7 open --volume-key-keyring %user:$UP_KEY"
	up_claimed_session "$id" "$ring"
	gcheck "root with CAP_SYS_ADMIN claims .kexec into its session" up_said claim=ok
	gcheck "nothing else was handed over (one key in .kexec)" up_said listed=1
	gcheck "no key can be linked into .kexec (EPERM)" \
		eval 'grep -q "^link=.*not permitted" /tmp/up-session.out'
	gcheck "cryptsetup 2.7 opens the volume with the handed-over key" up_said open=0
	[ -b "/dev/mapper/$NAME" ] || fail "no /dev/mapper/$NAME"
	check_content
	cryptsetup close "$NAME" || fail "cryptsetup close"
	gcheck "the handed-over key invalidates after use" up_said invalidate=0
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
	while awk -v id="$hex" '$1 "" == id || $9 ~ /^cryptsetup:/ { f = 1 } END { exit !f }' /proc/keys; do
		i=$((i + 1))
		[ $i -le 100 ] || return 1
		sleep 0.1
	done
	say "keys destroyed after $((i * 100)) ms"
}

# /proc/keys shows a timeout (such as 9m) in its fourth field, "perm" for
# none. (Serials compared as strings: awk compares a serial such as
# 12e45678 as a number, and equal to every other that overflows.)
up_expires() {
	t=$(awk -v id="$(printf '%08x' "$1")" '$1 "" == id { print $4 }' /proc/keys)
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
	gcheck "under lockdown=confidentiality the claim is refused (EPERM)" \
		[ "$(kh-keep-key --claim)" = EPERM ]
	$KEYCTL27 invalidate "$lid"
}
