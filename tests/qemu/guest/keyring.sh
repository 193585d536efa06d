# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# Keyring mode, where no key passes through the tool: sourced by /init
# (tests/qemu/init.sh). The planted boot uses its helpers too
# (link_volume_key, stash_refused).
#
#   krarm    keyring mode on Debian 12's cryptsetup: the refusals, then a
#            logon key holding the volume key stashed by description -> restore
#   kr27arm  keyring mode with cryptsetup 2.7: open --link-vk-to-keyring,
#            stash by description -> kr27restore: restore --to-keyring,
#            cryptsetup open --volume-key-keyring
#   hop      one hop of kh.chain= (arm with kh.next=hop): restore
#            --to-keyring, open with cryptsetup 2.7, stash --keyring again,
#            kexec into the next kernel of the chain -> hop or restore

KH_STAGES="$KH_STAGES krarm kr27arm kr27restore hop"

# Extra tools live in /usr/local/bin, outside PATH (busybox applets and
# Debian 12's own binaries come first): always named in full.
KEYCTL=/usr/local/bin/keyctl
CRYPTSETUP27=/usr/local/bin/cryptsetup27
KEYCTL27=/usr/local/bin/keyctl27

# With Debian 12's cryptsetup (no --link-vk-to-keyring) the test puts the
# volume key into a logon key itself, as cryptsetup 2.7 would: luksDump
# writes it to a tmpfs file, overwritten and removed straight after, and
# kh-logon-key (tests/qemu/logon_key.c) adds it from a buffer it wipes.
link_volume_key() {
	f=/tmp/vk.bin
	cryptsetup luksDump -q --dump-volume-key --volume-key-file "$f" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" >/dev/null ||
		fail "cryptsetup luksDump --dump-volume-key"
	kh-logon-key "$1" "$f" >/dev/null || fail "kh-logon-key $1"
	dd if=/dev/zero of="$f" bs=64 count=1 conv=notrunc 2>/dev/null
	rm -f "$f"
}

# The logon key the stash came from is revoked (the kernel frees its
# payload with kfree_sensitive) before kexec. On a real box it stays
# linked and stays in the old kernel's RAM, as the open root volume's
# dm-crypt key does (docs/security.md); the host's scan of all guest RAM
# after boot 2 looks for the stash's own copies, and a copy the test left
# behind would pass or fail by where the new kernel happened to allocate.
revoke_source_key() {
	gcheck "the source key revokes once stashed" $KEYCTL revoke "%logon:$1"
}

# A logon key of $2 random bytes named $1; prints its serial.
random_logon_key() {
	head -c "$2" /dev/urandom | $KEYCTL padd logon "$1" @u
}

# stash_refused WHAT KEY TEXT: the module refuses KEY; nothing is armed.
stash_refused() {
	want=$3
	out=$(keyhandover stash --keyring "$2" --name "$NAME" "$VOLUME" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "$1: stash exits 1" [ "$rc" = 1 ]
	gcheck "$1: stash says '$want'" \
		eval 'printf "%s\n" "$out" | grep -qF -- "$want"'
	gcheck "$1: one line of output" one_line "$out"
	gcheck "$1: nothing armed" status_is empty
}

keyring_refusals() {
	stash_refused "no such key" kh:nothere "no logon key 'kh:nothere' found"
	head -c 64 /dev/urandom | $KEYCTL padd user kh:asuser @u >/dev/null
	stash_refused "a user key where a logon key is named" kh:asuser \
		"but a user key of that description"
	# Possessor: every permission but search (0x08), or but view (0x01).
	$KEYCTL setperm "$(random_logon_key kh:nosearch 64)" 0x37000000
	stash_refused "a key the caller may not search" kh:nosearch \
		"permission denied"
	$KEYCTL setperm "$(random_logon_key kh:noview 64)" 0x3e000000
	stash_refused "a key the caller may not view" kh:noview \
		"permission denied"
	random_logon_key kh:long 129 >/dev/null
	stash_refused "a payload longer than the format allows" kh:long \
		"longer than 128 bytes"
	random_logon_key kh:short 32 >/dev/null
	stash_refused "a payload of another size than the volume key" \
		kh:short "is not 64 bytes"
	$KEYCTL revoke "$(random_logon_key kh:revoked 64)"
	stash_refused "a revoked key" kh:revoked "has been revoked"
}

# Keyring mode holds no key in userspace: the tool's count of secret
# buffers is 0, where a passphrase stash (the control) makes some.
stash_keyring() {
	out=$(KEYHANDOVER_DEBUG_SECMEM=1 keyhandover stash --key-file \
		"$FIXTURES/passphrase" --name "$NAME" "$VOLUME" 2>&1)
	gcheck "control: a passphrase stash makes secret buffers" \
		eval 'printf "%s\n" "$out" | grep -q "debug: [1-9][0-9]* secret buffers"'
	keyhandover wipe >/dev/null || fail "keyhandover wipe"
	say "keyhandover stash --keyring $1 --name $NAME $VOLUME"
	out=$(KEYHANDOVER_DEBUG_SECMEM=1 keyhandover stash --keyring "$1" \
		--name "$NAME" "$VOLUME" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	gcheck "keyring stash exits 0" [ "$rc" = 0 ]
	gcheck "keyring stash: the tool held no key (0 secret buffers)" \
		eval 'printf "%s\n" "$out" | grep -q "debug: 0 secret buffers, 0 bytes"'
	status_is armed || fail "not armed after the keyring stash"
	keyhandover status
	mark_stage stashed
}

# Debian 12: a logon key added with keyctl, stashed by its description;
# boot 2 is the plain restore stage.
stage_krarm() {
	load_keyhandover
	open_and_write
	keyring_refusals
	link_volume_key kh:data
	stash_keyring kh:data
	revoke_source_key kh:data
	checks_passed
	load_and_kexec restore tool
}

# cryptsetup 2.7 (Debian 13's, with its own libraries) opens the volume
# as a server's boot would and leaves its key linked as a logon key: no
# passphrase is used after this open, in this boot or the next.
stage_kr27arm() {
	load_keyhandover
	say "cryptsetup 2.7 opens $VOLUME, linking its volume key as logon key kh:data"
	$CRYPTSETUP27 open --link-vk-to-keyring "@u::%logon:kh:data" \
		--key-file "$FIXTURES/passphrase" "$VOLUME" "$NAME" ||
		fail "cryptsetup 2.7 open --link-vk-to-keyring"
	# Closed before kexec (kexec.sh write_and_close): a volume still open
	# at kexec leaves the old kernel's dm-crypt key in RAM the new kernel
	# does not scrub (docs/security.md). cryptsetup's linked key outlives
	# the mapping: revoke_source_key.
	write_and_close
	stash_keyring kh:data
	revoke_source_key kh:data
	checks_passed
	load_and_kexec kr27restore tool
}

# restore --to-keyring; $1 prefixes the check names. Sets $out.
restore_to_keyring() {
	out=$(keyhandover restore --to-keyring 2>&1)
	rc=$?
	printf '%s\n' "$out"
	mark_stage restored
	gcheck "${1}restore --to-keyring exits 0" [ "$rc" = 0 ]
}

# cryptsetup 2.7 opens the volume from the restored keyring key, and the
# content reads back; $1 prefixes the check name.
open_from_keyring() {
	gcheck "${1}cryptsetup 2.7 opens the volume with the restored key" \
		$CRYPTSETUP27 open --volume-key-keyring "%user:keyhandover:$NAME" \
		"$VOLUME" "$NAME"
	[ -b "/dev/mapper/$NAME" ] || fail "no /dev/mapper/$NAME"
	check_content
}

stage_kr27restore() {
	load_keyhandover
	say "keyhandover restore --to-keyring (no passphrase anywhere in this boot)"
	restore_to_keyring ""
	gcheck "restore --to-keyring names the key" \
		eval 'printf "%s\n" "$out" | grep -qF "key added as user key keyhandover:$NAME"'
	gcheck "restore --to-keyring opened nothing itself" \
		[ ! -e "/dev/mapper/$NAME" ]
	say "cryptsetup 2.7 open --volume-key-keyring %user:keyhandover:$NAME"
	open_from_keyring ""
	gcheck "the restored key can be revoked after use" \
		$KEYCTL27 revoke "%user:keyhandover:$NAME"
	status_is 'consumed|empty' || fail "the region is neither consumed nor empty"
	cryptsetup close "$NAME" || fail "cryptsetup close"
	mark_stage checked
	checks_passed
	result kr27-ok
}

# One hop of the cross-version chain, in a kernel other than the last
# one's: take the key over into the keyring, open the volume with it (no
# passphrase), then stash it again by description for the next kernel.
stage_hop() {
	load_keyhandover
	say "kernel $(uname -r): keyhandover restore --to-keyring"
	restore_to_keyring "$(uname -r): "
	open_from_keyring "$(uname -r): "
	cryptsetup close "$NAME" || fail "cryptsetup close"
	say "keyhandover stash --keyring %user:keyhandover:$NAME $VOLUME"
	keyhandover stash --keyring "%user:keyhandover:$NAME" --name "$NAME" \
		"$VOLUME" || fail "keyhandover stash --keyring exited $?"
	gcheck "$(uname -r): the key revokes once stashed" \
		$KEYCTL27 revoke "%user:keyhandover:$NAME"
	mark_stage stashed
	checks_passed
	next_kernel
	if [ -n "$REST" ]; then
		load_and_kexec hop tool
	else
		load_and_kexec restore tool
	fi
}
