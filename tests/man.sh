# shellcheck shell=bash
# shellcheck disable=SC2013 # every list looped over is of single words
# The man pages and the bash completion, as built (userspace/Makefile:
# keyhandover.8 and keyhandover.bash made by gen_man from the option and
# command tables, keyhandover.4 by hand): lint-clean under mandoc and
# groff, and listing what the tool, the module and their headers have,
# so that a command, an option, an exit code, a module parameter or an
# ioctl added or renamed without them fails. Sourced by tests/check.sh
# after tests/lib/report.sh; man_checks TOP BUILT runs the checks on the
# tree TOP and the userspace build BUILT. Under pipefail, as check.sh
# runs: no grep -q at the end of a pipe (its early exit fails the pipe).

# mandoc -Tlint at its strictest (style included) and groff with every
# warning, through man-db as a reader would: no message at all.
man_lint() {
	local page=$1 out
	out=$(mandoc -Tlint "$page" 2>&1) || { printf '%s\n' "$out"; return 1; }
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
	out=$(MANWIDTH=80 man --warnings=w -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || { printf '%s\n' "$out"; return 1; }
}

# A page as plain text, one line per paragraph, single spaces.
man_text() {
	mandoc -Tascii -Owidth=1000 "$1" | col -bx | tr -s ' '
}

# The lines of section $2 of text $1.
man_section() {
	awk -v s="$2" '/^[A-Z]/ { on = ($0 == s); next } on' "$1"
}

# The commands and each command's options as the built tool's --help
# gives them: independent of the page's generator.
man_help_commands() {
	"$1" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 }
		on && /^  [a-z]/ { print $1 }'
}

man_help_options() {
	"$1" "$2" --help | grep -oE '^  (-[A-Za-z], )?--[a-z0-9-]+' |
		sed 's/.*--/--/'
}

# Every command: in SYNOPSIS with the usage line --help gives it, word
# for word, and a subsection of COMMANDS. Every option of every command:
# an entry of OPTIONS naming that command. And no --option in the page,
# prose included, that the tool does not have.
man_lists_all() {
	local tool=$1 text=$2 cmd opt want got fail=0
	local -A known=([--volume-key-keyring]=1 [--now]=1)

	for cmd in $(man_help_commands "$tool"); do
		want=$("$tool" --help | awk -v c="$cmd" '/^  [a-z]/ && $1 == c { $1 = ""; print "keyhandover " c $0 }' |
			tr -s ' ' | sed 's/ $//')
		got=$(man_section "$text" SYNOPSIS | sed 's/^ //; s/ $//' |
			awk -v c="keyhandover $cmd" '$0 == c || index($0, c " ") == 1')
		if [ "$want" != "$got" ]; then
			echo "SYNOPSIS of $cmd: '$got', --help: '$want'"
			fail=1
		fi
		grep -qx " $cmd" <<<"$(man_section "$text" COMMANDS)" ||
			{ echo "COMMANDS has no $cmd"; fail=1; }
		for opt in $(man_help_options "$tool" "$cmd"); do
			known[$opt]=1
			got=$(man_section "$text" OPTIONS |
				awk -v o="$opt" -v c="$cmd" '
					/^ (-[A-Za-z], )?--/ { split($0, w, " ")
						on = (w[1] == o || w[2] == o); next }
					on && (/every command\.$/ || (/^ Commands: / &&
					       (index($0, " " c ",") || index($0, " " c "."))))')
			[ -n "$got" ] || { echo "OPTIONS: no $opt for $cmd"; fail=1; }
		done
	done
	for opt in $("$tool" --help | grep -oE -- '--[a-z0-9-]+'); do
		known[$opt]=1
	done
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$text" | sort -u); do
		[ -n "${known[$opt]:-}" ] ||
			{ echo "the page names $opt, which the tool does not have"; fail=1; }
	done
	return "$fail"
}

# EXIT STATUS has every KHU_EXIT_* of tool.h.
man_lists_exits() {
	local top=$1 text=$2 code fail=0

	for code in $(sed -nE 's/^\tKHU_EXIT_[A-Z_]+ = ([0-9]+),.*/\1/p' "$top/userspace/tool.h"); do
		grep -qE "^ $code( |\$)" <<<"$(man_section "$text" "EXIT STATUS")" ||
			{ echo "EXIT STATUS lacks $code"; fail=1; }
	done
	return "$fail"
}

# keyhandover(4) has every module parameter of kmod/main.c and every
# ioctl of the uapi header, and names no other.
man_lists_module() {
	local top=$1 page=$2 text=$3 p fail=0

	for p in $(sed -nE 's/^module_param[a-z_]*\(([a-z_]+),.*/\1/p' "$top/kmod/main.c"); do
		grep -qE "^ $p=" <<<"$(man_section "$text" PARAMETERS)" ||
			{ echo "PARAMETERS lacks $p="; fail=1; }
	done
	for p in $(sed -nE 's/^#define (KH_IOC_[A-Z_]+)[[:space:]]+_IO.*/\1/p' \
		"$top/kmod/uapi/keyhandover.h"); do
		grep -qE "^ $p( |\$)" <<<"$(man_section "$text" "THE DEVICE")" ||
			{ echo "THE DEVICE lacks $p"; fail=1; }
	done
	for p in $(grep -oE 'KH_IOC_[A-Z_]+' "$page" | sort -u); do
		grep -qE "^#define ${p}[[:space:]]+_IO" "$top/kmod/uapi/keyhandover.h" ||
			{ echo "the page names $p, which the uapi header does not define"; fail=1; }
	done
	return "$fail"
}

# What _keyhandover offers for the command line $1 (the cursor at its
# end), one word a line: COMP_WORDS as bash would split it, '=' and '@'
# words of their own (COMP_WORDBREAKS).
man_complete() {
	local line=$1 split
	local -a COMP_WORDS COMPREPLY
	local COMP_CWORD COMP_LINE=$line COMP_POINT=${#line}

	split=${line//=/ = }
	read -ra COMP_WORDS <<<"${split//@/ @ }"
	[[ $line == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_keyhandover keyhandover "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# $1 is what man_complete "$2" gives, and not empty.
man_completes() {
	local want=$1 got
	got=$(man_complete "$2")
	[ -n "$got" ] && [ "$got" = "$want" ] && return 0
	echo "'$2': got '${got//$'\n'/ }', want '${want//$'\n'/ }'"
	return 1
}

# The completion offers each command's options exactly as --help lists
# them, and files, directories, keyrings and block devices where the
# placeholders say so. Run in a subshell of its own: it sources the file.
man_completion() (
	local tool=$1 file=$2 dir cmd want dev
	# shellcheck source=/dev/null
	. "$file" || exit 1
	[ "$(complete -p keyhandover)" = "complete -F _keyhandover keyhandover" ] || exit 1
	dir=$(mktemp -d) && cd "$dir" || exit 1
	trap 'rm -rf "$dir"' EXIT
	mkdir sub && touch key.bin keys.txt
	man_completes "$(printf 'stash\nstatus\n')" "keyhandover sta" &&
		man_completes "$(man_help_commands "$tool" | sort)" "keyhandover " &&
		man_completes "$(printf -- '--help\n--version\n')" "keyhandover --" &&
		man_completes "$(printf 'key.bin\nkeys.txt\n')" "keyhandover stash --key-file ke" &&
		man_completes "$(printf 'key.bin\nkeys.txt\nsub\n')" "keyhandover reboot --crypttab=" &&
		man_completes sub "keyhandover setup --root s" &&
		man_completes "$(printf '@p\n@s\n@t\n@u\n@us\n')" "keyhandover restore --to-keyring @" &&
		man_completes "$(printf '@u\n@us\n')" "keyhandover restore --to-keyring @u" || exit 1
	for cmd in $(man_help_commands "$tool"); do
		want=$(man_help_options "$tool" "$cmd" | grep -- '^--' | sort)
		man_completes "$want" "keyhandover $cmd --" || exit 1
	done
	dev=$(find /sys/class/block -mindepth 1 -maxdepth 1 2>/dev/null | head -n 1)
	if [ -n "$dev" ]; then
		dev=/dev/${dev##*/}
		grep -qx "$dev" <<<"$(man_complete "keyhandover stash $dev")" ||
			{ echo "'keyhandover stash $dev' does not offer $dev"; exit 1; }
	fi
)

man_checks() {
	local top=$1 built=$2 tmp
	tmp=$(mktemp -d)
	if ! command -v mandoc >/dev/null; then
		not_ok "man: mandoc installed (scripts/deps.sh test)"
	else
		check_output "man: keyhandover.8 lint-clean (mandoc -Tlint, groff -ww)" \
			man_lint "$built/keyhandover.8"
		check_output "man: keyhandover.4 lint-clean (mandoc -Tlint, groff -ww)" \
			man_lint "$built/keyhandover.4"
		man_text "$built/keyhandover.8" >"$tmp/8.txt"
		man_text "$built/keyhandover.4" >"$tmp/4.txt"
		check_output "man: keyhandover.8 has every command and option of --help, with its synopsis, and no other" \
			man_lists_all "$built/keyhandover" "$tmp/8.txt"
		check_output "man: keyhandover.8 has every exit code of tool.h" \
			man_lists_exits "$top" "$tmp/8.txt"
		check_output "man: keyhandover.4 has every module parameter and ioctl, and no other ioctl" \
			man_lists_module "$top" "$built/keyhandover.4" "$tmp/4.txt"
	fi
	check_output "completion: bash -n keyhandover.bash" bash -n "$built/keyhandover.bash"
	check_output "completion: commands, every command's options as --help lists them, files, dirs, keyrings, devices" \
		man_completion "$built/keyhandover" "$built/keyhandover.bash"
	rm -rf "$tmp"
}
