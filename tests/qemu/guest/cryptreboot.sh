# shellcheck shell=sh disable=SC2034,SC2154 # KH_STAGES, NAME and the rest: init.sh's
# cryptreboot --keep-key's side of the contract (docs/cryptreboot.md) with
# the real module, sourced by /init (tests/qemu/init.sh): the calls the
# patch (integration/cryptreboot/) makes, in its order, as a shell would
# make them; the host's python3 reads their --json documents
# (scenarios/cryptreboot.sh) by the patch's rules.
#
#   crarm  setup --check --json and status --json (the mode is available),
#          load --dry-run --json with the kernel, initramfs and command
#          line picked; a wrong passphrase on stdin: exit 1, one line,
#          nothing armed; the passphrase on stdin: armed; load; kexec -e
#          (what the patch runs where systemd does not) -> restore
#          (kexec.sh) opens the volume with no passphrase

KH_STAGES="$KH_STAGES crarm"

# cr_stash FILE: keyhandover stash as the patch runs it, FILE's line on
# stdin; stdout in /tmp/cr.out, stderr in /tmp/cr.err; prints the exit code.
cr_stash() {
	keyhandover stash --name "$NAME" "$VOLUME" <"$1" >/tmp/cr.out 2>/tmp/cr.err
	echo $?
}

stage_crarm() {
	load_keyhandover
	open_and_write
	unpack_boot
	next_kernel
	cmd=$(next_cmdline restore)

	json_mark cr-setup-check keyhandover setup --check --json
	json_mark cr-status keyhandover status --json
	json_mark cr-load-dry-run keyhandover load --dry-run --json \
		--kernel "$KERNEL" --initrd "$INITRD" --append "$cmd"

	printf 'not the passphrase\n' >/tmp/cr.wrong
	rc=$(cr_stash /tmp/cr.wrong)
	cat /tmp/cr.err
	gcheck "crarm: a wrong passphrase on stdin: stash exits 1" [ "$rc" = 1 ]
	gcheck "crarm: ... one line says why (what cryptreboot shows)" \
		grep -qx "keyhandover: wrong passphrase for $VOLUME" /tmp/cr.err
	gcheck "crarm: ... nothing on stdout" [ ! -s /tmp/cr.out ]
	gcheck "crarm: ... nothing armed" status_is empty

	say "keyhandover stash --name $NAME $VOLUME (the passphrase a line on stdin, as cryptreboot gives it)"
	rc=$(cr_stash "$FIXTURES/passphrase")
	cat /tmp/cr.out /tmp/cr.err
	gcheck "crarm: stash --name NAME DEVICE, the passphrase on stdin: exit 0" [ "$rc" = 0 ]
	gcheck "crarm: ... stdout says what was stashed" \
		grep -q "^stashed $VOLUME as $NAME (" /tmp/cr.out
	gcheck "crarm: ... no error line" eval '! grep -q "^keyhandover: " /tmp/cr.err'
	json_mark cr-status-armed keyhandover status --json
	mark_stage stashed

	say "keyhandover load --kernel ${KERNEL##*/} --initrd ${INITRD##*/} --append (cryptreboot's --cmdline)"
	keyhandover load --kernel "$KERNEL" --initrd "$INITRD" --append "$cmd"
	gcheck "crarm: load --kernel --initrd --append: exit 0" [ $? = 0 ]
	checks_passed
	mark_stage loaded
	say "kexec -e (no systemd here: what cryptreboot runs then)"
	sync
	kexec -e
	fail "kexec -e returned $?"
}
