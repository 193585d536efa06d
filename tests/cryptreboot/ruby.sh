# shellcheck shell=bash
# shellcheck disable=SC2154 # top, tmp, kh, py: contract.sh's
# shellcheck disable=SC2016 # single quotes: literal $ and ` in patterns, eval'd checks
# The real run of cryptreboot --keep-key (sourced by contract.sh, after
# tests/lib/report.sh): the Ruby of a cryptreboot 0.3.1 checkout named by
# KH_CRYPTREBOOT_SRC, patched with integration/cryptreboot/*.patch (taken
# as it is if already patched), run for real on this host:
#
#   - against the built tool: this host has no module, so cryptreboot must
#     say why in one line and go its classic way (unpack the initramfs, ask
#     the passphrase, kexec -al the patched initramfs);
#   - against stand-in.sh, which answers as keyhandover does with the
#     module loaded and records its calls: the order of the calls, the
#     passphrase on stash's stdin and in no argument or environment, and
#     what cryptreboot does when stash, load or the kexec fail.
#
# Every run is --prepare-only or has kexec, systemctl and reboot replaced
# by stubs (--tool): nothing here may reboot this machine. Without
# KH_CRYPTREBOOT_SRC: one "# skip" line, never an "ok". With it, whatever
# keeps the run from happening is a failure, not a skip. The gems Debian
# lacks (tty-option, memory_locker) come from KH_CRYPTREBOOT_GEMS, a
# directory `gem install --install-dir` filled, or the system's.

cryptreboot_real_run() {
	local src=${KH_CRYPTREBOOT_SRC:-}
	if [ -z "$src" ]; then
		echo "# skip: cryptreboot --keep-key for real: KH_CRYPTREBOOT_SRC is not set (a cryptreboot 0.3.1 checkout: integration/cryptreboot/README.md)"
		return 0
	fi
	cr_prepare "$src" || return 0
	cr_fixtures || return 0
	cr_against_the_tool
	cr_with_the_stand_in
}

cr=
cr_dir=
# The patched cryptreboot as its exe/cryptreboot runs it, without Bundler
# (which would want the Gemfile's development gems).
cr_run() {
	GEM_PATH="${KH_CRYPTREBOOT_GEMS:+$KH_CRYPTREBOOT_GEMS:}$(gem env gempath)" \
		ruby -I "$cr/lib" -e 'require "crypt_reboot"
exit CryptReboot::Cli::ParamsParsingExecutor.new.call(ARGV).call' -- "$@"
}

cr_prepare() {
	local src=$1 patch f bad=
	cr_dir=$tmp/cr-run
	cr=$tmp/cryptreboot
	export cr
	mkdir -p "$cr" "$cr_dir"
	check "cryptreboot real run: KH_CRYPTREBOOT_SRC ($src) is a cryptreboot checkout" \
		test -f "$src/lib/crypt_reboot.rb" -a -f "$src/lib/crypt_reboot/cli/params_parsing_executor.rb"
	[ "$LAST_OK" = 1 ] || return 1
	tar -C "$src" --exclude=.git -c . | tar -C "$cr" -x
	if [ -f "$cr/lib/crypt_reboot/keep_key.rb" ]; then
		note "KH_CRYPTREBOOT_SRC is patched already: run as it is"
	else
		patch=$(ls "$top"/integration/cryptreboot/*.patch)
		check_output "cryptreboot real run: the patch applies to KH_CRYPTREBOOT_SRC (git apply)" \
			git -C "$cr" apply "$patch"
		[ "$LAST_OK" = 1 ] || return 1
	fi
	while IFS= read -r f; do
		ruby -c "$f" >/dev/null 2>&1 || bad="$bad ${f#"$cr"/}"
	done < <(find "$cr/lib" -name '*.rb')
	check "cryptreboot real run: ruby -c parses every file of lib/${bad:+ (not:$bad)}" test -z "$bad"
	check_output "cryptreboot real run: it starts, with its gems (KH_CRYPTREBOOT_GEMS=${KH_CRYPTREBOOT_GEMS:-unset}): --version" \
		eval '[ "$(cr_run --version)" = "cryptreboot 0.3.1" ]'
	[ "$LAST_OK" = 1 ] || return 1
	check "cryptreboot real run: --help lists --keep-key and the keyhandover and systemctl tools" \
		cr_help_lists
	# cryptreboot mounts ramfs for its temporary files and locks its memory.
	check "cryptreboot real run: root (cryptreboot mounts ramfs)" test "$(id -u)" = 0
	[ "$LAST_OK" = 1 ]
}

cr_help_lists() {
	local h
	h=$(cr_run --help) && grep -q -- '--keep-key' <<<"$h" &&
		grep -q 'keyhandover, mount' <<<"$h" && grep -q 'systemctl' <<<"$h"
}
export -f cr_run

# An initramfs as Debian's with keyhandover's integration: an early
# uncompressed cpio, then the main one, gzip'd, holding cryptroot's
# crypttab (naming the LUKS image) and keyhandover's local-top script.
# Stubs for the tools that would reboot: each records its call.
cr_fixtures() {
	local d=$cr_dir t
	mkdir -p "$d/early/kernel/x86/microcode" "$d/main/cryptroot" \
		"$d/main/scripts/local-top" "$d/stubs"
	: >"$d/early/kernel/x86/microcode/GenuineIntel.bin"
	printf 'cryptroot %s none luks,discard\n' "$tmp/luks.img" >"$d/main/cryptroot/crypttab"
	printf '#!/bin/sh\n' >"$d/main/scripts/local-top/keyhandover"
	if ! (cd "$d/early" && find . | cpio -o -H newc --quiet) >"$d/initrd.img" ||
		! (cd "$d/main" && find . | cpio -o -H newc --quiet | gzip -n) >>"$d/initrd.img"; then
		not_ok "cryptreboot real run: an initramfs to unpack"
		return 1
	fi
	printf 'not a kernel\n' >"$d/vmlinuz"
	for t in kexec systemctl reboot; do
		printf '#!/bin/sh\necho "%s $*" >>"%s/stubs.log"\n' "$t" "$d" >"$d/stubs/$t"
		chmod +x "$d/stubs/$t"
	done
	cp "$top/tests/cryptreboot/stand-in.sh" "$d/keyhandover"
}

# cr_keep_key NAME TOOL [ARGS...]: cryptreboot --keep-key on a terminal
# answering its prompt with the passphrase; keyhandover is TOOL. Its
# terminal in NAME.tty, stderr in NAME.err, exit code in NAME.rc.
cr_keep_key() {
	local name=$1 tool=$2 d=$cr_dir
	shift 2
	rm -f "$d/stubs.log" "$d/standin/"{calls,env.*,stash.in,stashed}
	KH_STANDIN=$d/standin "$py" "$top/tests/cryptreboot/answer.py" \
		'Please unlock disk' "$tmp/pass" "$d/$name.err" -- \
		bash -c 'cr_run "$@"' cryptreboot --keep-key \
		--kernel "$d/vmlinuz" --initramfs "$d/initrd.img" \
		--tool "keyhandover:$tool" --tool "kexec:$d/stubs/kexec" \
		--tool "systemctl:$d/stubs/systemctl" --tool "reboot:$d/stubs/reboot" \
		"$@" >"$d/$name.tty" 2>&1
	echo $? >"$d/$name.rc"
}

# cr_is NAME RC: the run exited RC.
cr_is() {
	[ "$(cat "$cr_dir/$1.rc")" = "$2" ] ||
		{ note "exit $(cat "$cr_dir/$1.rc"), not $2"; tail -n 5 "$cr_dir/$1.err" "$cr_dir/$1.tty" | note_lines "$1"; return 1; }
}

# cr_fallback NAME REASON: exactly one line of the fallback, with REASON
# (a grep -E pattern), on stderr.
cr_fallback() {
	local lines
	lines=$(grep -c '^Not keeping the key with keyhandover: ' "$cr_dir/$1.err")
	if [ "$lines" != 1 ] ||
		! grep -qE "^Not keeping the key with keyhandover: $2; patching initramfs instead\$" "$cr_dir/$1.err"; then
		note_lines "$1.err" <"$cr_dir/$1.err"
		return 1
	fi
}

# cr_classic_load NAME: the classic path loaded a patched initramfs
# (kexec -al ... --initrd ANOTHER_FILE) and nothing rebooted.
cr_classic_load() {
	grep -qE "^kexec -al $cr_dir/vmlinuz --initrd /[^ ]+ (--reuse-cmdline|--append .*)\$" "$cr_dir/stubs.log" &&
		! grep -q "initrd $cr_dir/initrd.img" "$cr_dir/stubs.log" &&
		! grep -qE '^(reboot|systemctl|kexec -e)' "$cr_dir/stubs.log"
}

cr_against_the_tool() {
	cr_keep_key tool "$kh" --prepare-only
	check "cryptreboot --keep-key, the built tool without the module: exit 0 (--prepare-only)" cr_is tool 0
	check "... one line says why keyhandover is not used: setup --check's reason" \
		cr_fallback tool 'not set up: .*'
	check "... and the classic path follows: it asked the passphrase and kexec -al'd a patched initramfs" \
		cr_asked_then_classic tool
}

cr_asked_then_classic() {
	grep -q 'Please unlock disk cryptroot' "$cr_dir/$1.tty" && cr_classic_load
}

# The calls the stand-in recorded, one per line.
cr_calls() {
	cat "$cr_dir/standin/calls" 2>/dev/null
}

cr_calls_are() {
	local want
	want=$(printf '%s\n' "$@")
	[ "$(cr_calls)" = "$want" ] || { cr_calls | note_lines calls; return 1; }
}

cr_last_call_is() {
	[ "$(cr_calls | tail -n 1)" = "$1" ] || { cr_calls | note_lines calls; return 1; }
}

cr_nothing_kexecd() {
	[ ! -e "$cr_dir/stubs.log" ] || { note_lines stubs <"$cr_dir/stubs.log"; return 1; }
}

# cr_said NAME FILE LINE: FILE (tty or err) of run NAME has LINE, whole.
cr_said() {
	grep -qxF -- "$3" "$cr_dir/$1.$2" || { note_lines "$1.$2" <"$cr_dir/$1.$2"; return 1; }
}

cr_secret_nowhere() {
	! grep -qF -- "$(cat "$tmp/pass")" "$cr_dir/standin/calls" "$cr_dir"/standin/env.*
}

cr_kept() {
	cr_nothing_kexecd &&
		grep -q "^stashed $tmp/luks.img as cryptroot" "$cr_dir/ok.tty" &&
		grep -q 'Reboot with `systemctl kexec` or `kexec -e` within 600 seconds' "$cr_dir/ok.tty" &&
		! grep -q 'Not keeping' "$cr_dir/ok.err"
}

# cr_fell_back NAME RC REASON: exit RC, the one line with REASON, the
# classic path, no stash.
cr_fell_back() {
	cr_is "$1" "$2" && cr_fallback "$1" "$3" && cr_classic_load &&
		! cr_calls | grep -q '^stash'
}

cr_with_the_stand_in() {
	local d=$cr_dir k
	k="--kernel $d/vmlinuz --initrd $d/initrd.img"
	mkdir -p "$d/standin"

	cr_keep_key ok "$d/keyhandover" --prepare-only
	check "cryptreboot --keep-key, keyhandover set up (stand-in): exit 0 (--prepare-only)" cr_is ok 0
	check "... calls: setup --check --json, status --json, load --dry-run --json, stash --name NAME DEVICE, load, status --json" \
		cr_calls_are "setup --check --json" "status --json" \
		"load --dry-run --json $k --reuse-cmdline" \
		"stash --name cryptroot $tmp/luks.img" "load $k --reuse-cmdline" "status --json"
	check "... stash's standard input is the passphrase, one line" cmp -s "$tmp/pass" "$d/standin/stash.in"
	check "... the passphrase is in no argument and no environment of any call" cr_secret_nowhere
	check "... no fallback line, the initramfs not patched, nothing kexec'd or rebooted; stash's report and the deadline shown" \
		cr_kept

	: >"$d/standin/stash-fails"
	cr_keep_key stash "$d/keyhandover" --prepare-only
	rm -f "$d/standin/stash-fails"
	check "stash refused (a wrong passphrase): exit 1" cr_is stash 1
	check "... keyhandover's reason in one line" cr_said stash err "Stash error: wrong passphrase for $tmp/luks.img"
	check "... then wipe; no load, no classic path" \
		eval 'cr_last_call_is wipe && ! cr_calls | grep -q "^load --kernel" && cr_nothing_kexecd'

	: >"$d/standin/load-fails"
	cr_keep_key load "$d/keyhandover" --prepare-only
	rm -f "$d/standin/load-fails"
	check "load refused: exit 1" cr_is load 1
	check "... keyhandover's reasons in one line" cr_said load err \
		"Loading error: the next kernel's command line lacks memmap=4K\$0x7000000 before any \"--\": it would use the key's region as RAM; wiped the armed hand-over"
	check "... then wipe; no classic path" eval 'cr_last_call_is wipe && cr_nothing_kexecd'

	cr_keep_key cmdline "$d/keyhandover" --prepare-only --cmdline 'root=/dev/mapper/cryptroot ro'
	check "--cmdline without the region's memmap=: exit 0, one line why, the classic path" \
		cr_fell_back cmdline 0 'the command line lacks memmap=4K\$0x7000000, which keyhandover needs'

	: >"$d/standin/not-set-up"
	cr_keep_key unset "$d/keyhandover" --prepare-only
	rm -f "$d/standin/not-set-up"
	check "setup --check failing (no keyhandover.region=): one line naming the check and its fix, the classic path" \
		cr_fell_back unset 0 'not set up: missing: keyhandover.region= on the command line .* \(keyhandover setup writes the GRUB drop-in; then one normal reboot\)'

	: >"$d/standin/armed"
	cr_keep_key armed "$d/keyhandover" --prepare-only
	rm -f "$d/standin/armed"
	check "a stash armed already: one line, the classic path, no second stash" \
		cr_fell_back armed 0 'a stash is armed already .*'

	# Not --prepare-only: the reboot. The stubs stand for systemctl and
	# kexec: systemctl kexec returns once queued; kexec -e never returns
	# unless it failed, and the stub returns.
	cr_keep_key reboot "$d/keyhandover"
	if [ -d /run/systemd/system ]; then
		check "reboot under systemd: systemctl kexec, exit 0, nothing wiped" \
			eval 'cr_is reboot 0 && [ "$(cat "$cr_dir/stubs.log")" = "systemctl kexec" ] && ! cr_calls | grep -qx wipe'
	else
		check "reboot without systemd: kexec -e; the stub returns, so exit 1, one line, the stash wiped" \
			eval 'cr_is reboot 1 && [ "$(cat "$cr_dir/stubs.log")" = "kexec -e" ] && cr_last_call_is wipe &&
				cr_said reboot err "Reboot error: $cr_dir/stubs/kexec -e returned; the stash has been wiped"'
	fi
}
