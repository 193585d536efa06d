#!/bin/bash
# A stand-in for keyhandover, for the real run of the patched cryptreboot
# (ruby.sh) past the point this machine's missing module stops the real
# tool: it answers as keyhandover does with the module loaded and the
# region reserved (the documents' shapes are docs/json.md's examples,
# taken from real runs), and records how it was called, so that the test
# can check what cryptreboot sends: each call's arguments (calls), its
# environment (env.N) and stash's standard input (stash.in). What it does
# is set by files in its directory KH_STANDIN (not a secret: a path):
# not-set-up, armed, stash-fails, load-fails. The real tool's side of the
# contract is contract.sh's and the QEMU scenario cryptreboot's.
set -u
dir=${KH_STANDIN:?}
n=$(($(wc -l <"$dir/calls" 2>/dev/null || echo 0) + 1))
printf '%s\n' "$*" >>"$dir/calls"
env >"$dir/env.$n"

# shellcheck disable=SC2016 # memmap='s own $
region='4K$0x7000000'
state=empty
[ -e "$dir/armed" ] && state=armed
[ -e "$dir/stashed" ] && state=armed

json_tail='"messages":[]}'
case "$*" in
"setup --check --json")
	if [ -e "$dir/not-set-up" ]; then
		printf '{"schema":1,"command":"setup --check","root":"/","backend":"memmap","region":"%s","region_source":"module","checks":[{"name":"cmdline_memmap","ok":true,"required":true,"detail":"this kernel was booted with memmap= of the region","fix":null},{"name":"cmdline_region","ok":false,"required":true,"detail":"keyhandover.region= on the command line (modprobe passes it to the module)","fix":"keyhandover setup writes the GRUB drop-in; then one normal reboot"},{"name":"grub_dropin","ok":false,"required":false,"detail":"no GRUB drop-in","fix":"keyhandover setup (then one normal reboot)"}],"crypttab":{"path":"/etc/crypttab","error":null},"volumes":[],"ok":false,"exit":1,"error":null,%s\n' "$region" "$json_tail"
		exit 1
	fi
	printf '{"schema":1,"command":"setup --check","root":"/","backend":"memmap","region":"%s","region_source":"module","checks":[{"name":"cmdline_memmap","ok":true,"required":true,"detail":"this kernel was booted with memmap= of the region","fix":null},{"name":"cmdline_region","ok":true,"required":true,"detail":"keyhandover.region= on the command line (modprobe passes it to the module)","fix":null},{"name":"iomem_reserved","ok":true,"required":true,"detail":"the region is reserved in /proc/iomem","fix":null},{"name":"module_holds_region","ok":true,"required":true,"detail":"the module holds it (/dev/keyhandover)","fix":null}],"crypttab":{"path":"/etc/crypttab","error":null},"volumes":[],"ok":true,"exit":0,"error":null,%s\n' "$region" "$json_tail"
	;;
"status --json")
	expires=null
	[ "$state" = armed ] && expires=600
	printf '{"schema":1,"command":"status","loaded":true,"device":true,"state":"%s","verdict":null,"verdict_text":null,"entries":0,"capacity":16,"format_version":2,"region":{"size":4096,"address":117440512,"param":"%s"},"backend":"memmap","expires_in":%s,"last_wiped":null,"last_wiped_text":null,"ok":true,"exit":0,"error":null,%s\n' "$state" "$region" "$expires" "$json_tail"
	;;
"load --dry-run --json "*)
	printf '{"schema":1,"command":"load --dry-run","loaded":true,"backend":"memmap","armed":false,"kernel":null,"initrd":null,"cmdline":null,"chosen_from":"--kernel and --initrd","boot_loader":false,"kernel_release":null,"running_release":null,"newer":null,"ok":true,"exit":0,"error":null,"messages":["note: nothing stashed: the next kernel gets no keys"]}\n'
	echo "keyhandover: note: nothing stashed: the next kernel gets no keys" >&2
	;;
"stash "*)
	cat >"$dir/stash.in"
	shift
	names=() devs=()
	while [ $# -gt 0 ]; do
		case $1 in
		--name) names+=("$2"); shift ;;
		*) devs+=("$1") ;;
		esac
		shift
	done
	for i in "${!devs[@]}"; do
		printf 'Enter passphrase for %s (%s): \n' "${names[$i]:-}" "${devs[$i]}" >&2
		if [ -e "$dir/stash-fails" ]; then
			echo "keyhandover: wrong passphrase for ${devs[$i]}" >&2
			exit 1
		fi
	done
	for i in "${!devs[@]}"; do
		echo "stashed ${devs[$i]} as ${names[$i]:-luks-x} (4b48b6fc-5a8b-4f5e-9d9b-9e6a1b2c3d4e)"
	done
	: >"$dir/stashed"
	;;
"load "*)
	if [ -e "$dir/load-fails" ]; then
		echo "keyhandover: the next kernel's command line lacks memmap=$region before any \"--\": it would use the key's region as RAM" >&2
		echo "keyhandover: wiped the armed hand-over" >&2
		rm -f "$dir/stashed"
		exit 1
	fi
	echo "loaded $3 with $5"
	;;
wipe)
	rm -f "$dir/stashed"
	;;
*)
	echo "keyhandover: stand-in: unexpected call: $*" >&2
	exit 2
	;;
esac
