# SPDX-License-Identifier: GPL-2.0
#
# /etc/crypttab cut to what `keyhandover restore` reads, for the copy both
# initramfs integrations put into the image as /etc/keyhandover/crypttab
# (integration/initramfs-tools/hooks/keyhandover and
# integration/dracut/90keyhandover/module-setup.sh run it: LC_ALL=C awk
# -f). Every line becomes "name source none" and its dm-crypt activation
# options (discard, readonly, read-only, same-cpu-crypt,
# submit-from-crypt-cpus, no-read-workqueue, no-write-workqueue), in
# their order, then link-volume-key=VALUE: no key file path and no other
# option goes into the image.
#
# restore must find the same line, with the same options and link, in
# the copy as in /etc/crypttab (userspace/crypttab.c), so the cut reads
# the file as the tool does and keeps every line, in order, one for one:
# a line with no option still hides a later line of that name and
# volume, and the entry count is the same (the tool reads 64 at most).
#  - whitespace-separated fields; leading blanks and '\r' skipped, the
#    line cut at its first other '\r'; blank lines and '#' comments out;
#  - a line the tool reads as naming no volume (one field, a field of
#    512 bytes or more, a line of 2048 or more) is kept as its name
#    alone, which the tool reads as naming none either;
#  - the options split at each ',' that is not escaped ("\,", "\\"),
#    systemd's last link-volume-key= winning, VALUE as written;
#  - an escape systemd does not read (anything but "\," and "\\"): the
#    activation options are kept (Debian's cryptroot applies them), the
#    link-volume-key= is not (the tool takes none from such a line);
#  - a line stash does not hand over (plain, tcrypt, bitlk, fvault2,
#    swap, tmp, keyscript=, header=, keyfile-offset=, keyfile-size=,
#    noauto, a key file under /dev/ or path:device) keeps its activation
#    options but not its link-volume-key=: the tool links no key for it.
{
	raw = length($0)
	sub(/^[ \t\r]+/, "")
	sub(/\r.*/, "")
	if ($0 == "" || /^#/)
		next
	if (NF < 2 || raw >= 2048 || length($1) >= 512 ||
	    length($2) >= 512 || length($3) >= 512 || length($4) >= 512) {
		print $1
		next
	}
	o = $4; v = ""; f = ""
	t = o; gsub(/\\[\\,]/, "", t)
	link = t !~ /\\/ && $3 !~ /^\/dev\// && $3 !~ /:/
	# A backslash ending the field is a character of the last option.
	while (match(o, /^([^\\,]|\\.|\\$)*/)) {
		w = substr(o, 1, RLENGTH)
		if (w ~ /^link-volume-key=/)
			v = w
		else if (w ~ /^(discard|readonly|read-only|same-cpu-crypt|submit-from-crypt-cpus|no-read-workqueue|no-write-workqueue)$/)
			f = f "," w
		else if (w ~ /^(plain|tcrypt|bitlk|fvault2|swap|tmp|keyscript|header|keyfile-offset|keyfile-size|noauto)(=|$)/)
			link = 0
		if (RLENGTH >= length(o))
			break
		o = substr(o, RLENGTH + 2)
	}
	if (link && v != "")
		f = f "," v
	if (f != "")
		print $1, $2, "none", substr(f, 2)
	else
		print $1, $2, "none"
}
