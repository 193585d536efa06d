#!/bin/bash
# The cryptreboot contract (docs/cryptreboot.md), played from cryptreboot's
# side by a shell script against the built tool on this host, where no
# module is loaded: the calls cryptreboot --keep-key makes
# (integration/cryptreboot/), in its order, with its arguments and the
# passphrase on standard input only, and the fields of their --json
# documents it reads, parsed by python3's json module and judged by the
# same rules as the patch's Ruby. What needs the module (the mode
# available, a wrong passphrase arming nothing, the stash, the load and
# the kexec, the restore) is the QEMU scenario `cryptreboot`'s.
#
# Then the real run of the patched cryptreboot (ruby.sh): only when
# KH_CRYPTREBOOT_SRC names a cryptreboot 0.3.1 checkout, else one "# skip"
# line saying so. A suite of make test (tests/run-all.sh): a few seconds.
set -uo pipefail

KH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
top=$KH_TOP
# shellcheck source=../lib/report.sh
. "$KH_TOP/tests/lib/report.sh"

kh=$top/userspace/keyhandover
[ -x "$kh" ] || make -s -C "$top/userspace" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Debian's python3 (scripts/deps.sh): a python3 earlier on PATH may be a
# wrapper that takes a second to start, and this suite starts it often.
py=python3
[ ! -x /usr/bin/python3 ] || py=/usr/bin/python3

# json_holds FILE EXPR: FILE is one line, one JSON object of schema 1,
# whose "exit" is the exit code in FILE.rc, and the Python expression
# EXPR holds of it (d the document, rc the exit code).
json_holds() {
	"$py" - "$1" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
rc = int(open(sys.argv[1] + ".rc").read())
d = json.loads(text)
ok = text.count("\n") == 1 and text.endswith("\n") and d["schema"] == 1 \
    and d["exit"] == rc and d["ok"] == (rc == 0)
sys.exit(0 if ok and eval(sys.argv[2]) else 1)
EOF
}

# verdict FILE: what cryptreboot --keep-key concludes from a setup --check
# or status document, as KeepKey::Checker does: "available", or the one
# line it prints before it patches the initramfs instead.
verdict() {
	"$py" - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
if d["command"] == "setup --check":
    if d["ok"] is True:
        print("available")
    else:
        missing = [c for c in d["checks"] if c["required"] and c["ok"] is not True]
        reason = d["error"] or (missing and "missing: %s (%s)" % (missing[0]["detail"], missing[0]["fix"]))
        print("not set up: %s" % (reason or "setup --check failed"))
elif not d["loaded"]:
    print(d["error"] or "module not loaded")
elif d["state"] in ("armed", "pending"):
    print("a stash is %s" % d["state"])
else:
    print("available")
EOF
}

# run_json NAME ARGS...: keyhandover ARGS, stdout in tmp/NAME, its exit
# code in tmp/NAME.rc, stderr in tmp/NAME.err.
run_json() {
	local name=$1
	shift
	"$kh" "$@" >"$tmp/$name" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}

one_line_reason() {
	local v
	v=$(verdict "$1") && [ -n "$v" ] && [ "$v" != available ] &&
		[ "$(printf '%s\n' "$v" | wc -l)" = 1 ] || return 1
	printf '%s\n' "$v" | grep -qE "$2"
}

# --- 1. setup --check --json: is keyhandover set up? -------------------------

run_json setup setup --check --json
check "setup --check --json: exit 1 without the module, one object of schema 1 on one line" \
	json_holds "$tmp/setup" "rc == 1 and d['command'] == 'setup --check'"
check "setup --check --json: the fields cryptreboot reads (ok, error, backend, region, each check's name, ok, required, detail, fix)" \
	json_holds "$tmp/setup" "isinstance(d['ok'], bool) and (d['error'] is None or isinstance(d['error'], str)) and 'backend' in d and 'region' in d and d['checks'] and all(set(c) >= {'name', 'ok', 'required', 'detail', 'fix'} and isinstance(c['required'], bool) for c in d['checks'])"
check "setup --check --json: the module's check is required and not true" \
	json_holds "$tmp/setup" "any(c['name'] == 'module_holds_region' and c['required'] and c['ok'] is not True for c in d['checks'])"
check "setup --check: cryptreboot's verdict is one line, not set up, with keyhandover's reason" \
	one_line_reason "$tmp/setup" '^not set up: .*(module|region)'

# A system set up but not rebooted yet: a drop-in names the region, this
# boot lacks memmap=. No error then: the reason is the first required
# check that is not true, with its fix.
mkdir -p "$tmp/root/etc/default/grub.d"
# shellcheck disable=SC2016 # the drop-in's own escaping, as setup writes it
printf '%s\n' 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX memmap=4K\\\$0x7000000 keyhandover.region=4K\\\$0x7000000"' \
	>"$tmp/root/etc/default/grub.d/keyhandover.cfg"
run_json setup-root setup --check --json --root "$tmp/root"
check "setup --check --json --root (a drop-in, no reboot yet): exit 1, the drop-in's region, no error" \
	json_holds "$tmp/setup-root" "rc == 1 and d['region'] == '4K\$0x7000000' and d['region_source'] == 'dropin' and d['error'] is None"
check "setup --check: cryptreboot's verdict names the first missing check and its fix" \
	one_line_reason "$tmp/setup-root" '^not set up: missing: this kernel was booted with memmap= of the region \(reboot once, normally'

# --- 2. status --json: loaded, nothing armed? ---------------------------------

run_json status status --json
check "status --json: exit 1 without the module, loaded false, state null, the error" \
	json_holds "$tmp/status" "rc == 1 and d['command'] == 'status' and d['loaded'] is False and d['state'] is None and d['capacity'] is None and d['error'].startswith('module not loaded (/dev/keyhandover missing): ')"
check "status: cryptreboot's verdict is keyhandover's one line" \
	one_line_reason "$tmp/status" '^module not loaded \(/dev/keyhandover missing\): '

# --- 3. load --dry-run --json: the kernel cryptreboot picked -------------------

printf 'not a kernel\n' >"$tmp/vmlinuz"
printf 'not an initramfs\n' >"$tmp/initrd.img"
run_json dry load --dry-run --json --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd.img" \
	--append 'root=/dev/mapper/cryptroot ro keyhandover.nonce=0123'
check "load --dry-run --json --kernel --initrd --append: exit 0, ok, cryptreboot's kernel and initramfs, an inherited nonce dropped, the note" \
	json_holds "$tmp/dry" "rc == 0 and d['command'] == 'load --dry-run' and d['loaded'] is False and d['armed'] is None and d['kernel'] == '$tmp/vmlinuz' and d['initrd'] == '$tmp/initrd.img' and d['cmdline'] == 'root=/dev/mapper/cryptroot ro' and d['chosen_from'] == '--kernel and --initrd' and d['messages'] == ['note: module not loaded: the next kernel gets no keys']"
run_json dry-reuse load --dry-run --json --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd.img" --reuse-cmdline
check "load --dry-run --json --reuse-cmdline (cryptreboot without --cmdline): this kernel's command line" \
	json_holds "$tmp/dry-reuse" "rc == 0 and isinstance(d['cmdline'], str) and d['error'] is None"
run_json load-json load --json --kernel "$tmp/vmlinuz" --initrd "$tmp/initrd.img" --reuse-cmdline
check "load --json without --dry-run: exit 2, nothing on stdout (cryptreboot asks for JSON only in the dry run)" \
	bash -c "[ \"\$(cat '$tmp/load-json.rc')\" = 2 ] && [ ! -s '$tmp/load-json' ]"

# --- 4. stash: the passphrase on standard input, one line per volume ----------

# A real LUKS2 image file, as cryptreboot's crypttab entry would name a
# device: cryptsetup formats a file without device-mapper. Cheap PBKDF.
pass=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
truncate -s 32M "$tmp/luks.img"
printf '%s' "$pass" | cryptsetup luksFormat --batch-mode --type luks2 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$tmp/luks.img" ||
	not_ok "cryptsetup luksFormat of an image file"
check "the image is LUKS as cryptreboot checks it (cryptsetup isLuks none --header IMAGE)" \
	cryptsetup isLuks none --header "$tmp/luks.img"
printf '%s\n' "$pass" >"$tmp/pass"

# As the patch runs it: names, then devices, the passphrases on stdin.
# Whatever stash leaves unread on stdin comes out of cat.
stash_as_cryptreboot() {
	{ "$kh" stash --name cryptroot "$tmp/luks.img" >"$tmp/stash.out" 2>"$tmp/stash.err"
	  echo $? >"$tmp/stash.rc"; cat >"$tmp/stash.unread"; } <"$tmp/pass"
}
stash_as_cryptreboot
check "stash --name NAME DEVICE, passphrase on stdin: exit 1 without the module, nothing on stdout" \
	bash -c "[ \"\$(cat '$tmp/stash.rc')\" = 1 ] && [ ! -s '$tmp/stash.out' ]"
check "stash: one line on stderr, the reason cryptreboot shows (Stash error: ...)" \
	bash -c "[ \"\$(wc -l <'$tmp/stash.err')\" = 1 ] && grep -q '^keyhandover: module not loaded (/dev/keyhandover missing): ' '$tmp/stash.err'"
check "stash: refused before reading any passphrase (the line is still on stdin)" \
	cmp -s "$tmp/pass" "$tmp/stash.unread"
check "stash: the passphrase is in no output" \
	bash -c "! grep -qF -- '$pass' '$tmp/stash.out' '$tmp/stash.err'"

# The patch's rule for crypttab names (VolumeLister::NAME) against the
# tool's: a name the rule takes passes the tool's parsing (exit 1 here,
# the missing module), a name it refuses is the tool's usage error (exit
# 2), so the patch never asks a passphrase for a name stash refuses.
names_agree() {
	local n rc ok=0
	for n in cryptroot luks-4b48b6fc-5a8b a_b.c+d-e "$(printf 'a%.0s' $(seq 63))" \
		.hidden "$(printf 'a%.0s' $(seq 64))" 'a/b' 'a b' ''; do
		"$kh" stash --name "$n" "$tmp/luks.img" </dev/null >/dev/null 2>&1
		rc=$?
		if "$py" -c 'import re, sys; sys.exit(0 if re.fullmatch(r"(?!\.)[A-Za-z0-9_.+-]{1,63}", sys.argv[1]) else 1)' "$n"; then
			[ "$rc" = 1 ] || { echo "name '$n': the rule takes it, stash exited $rc"; ok=1; }
		else
			[ "$rc" = 2 ] || { echo "name '$n': the rule refuses it, stash exited $rc"; ok=1; }
		fi
	done
	return $ok
}
check_output "stash --name: the patch's name rule and the tool's agree (taken: parsed; refused: exit 2)" names_agree
check "... and that rule is the patch's (integration/cryptreboot/)" \
	grep -qF -- '+      NAME = /\A(?!\.)[A-Za-z0-9_.+-]{1,63}\z/' "$top"/integration/cryptreboot/*.patch

# --- 5. wipe: after any failure past the stash ---------------------------------

run_json wipe wipe
check "wipe: exit 1 and one line without the module (cryptreboot ignores wipe's result)" \
	bash -c "[ \"\$(cat '$tmp/wipe.rc')\" = 1 ] && [ \"\$(wc -l <'$tmp/wipe.err')\" = 1 ]"

# --- 6. the patched cryptreboot, for real --------------------------------------

# shellcheck source=ruby.sh
. "$KH_TOP/tests/cryptreboot/ruby.sh"
cryptreboot_real_run

finish
