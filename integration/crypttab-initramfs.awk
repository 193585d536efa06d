# SPDX-License-Identifier: GPL-2.0
#
# /etc/crypttab cut to what `keyhandover restore` reads, for the copy both
# initramfs integrations put into the image as /etc/keyhandover/crypttab
# (integration/initramfs-tools/hooks/keyhandover and
# integration/dracut/90keyhandover/module-setup.sh run it: awk -f). Each
# line whose options have a dm-crypt activation option (discard, readonly,
# read-only, same-cpu-crypt, submit-from-crypt-cpus, no-read-workqueue,
# no-write-workqueue) or link-volume-key= becomes
# "name source none OPTIONS": those options, in their order, then
# link-volume-key=VALUE; no key file path and no other option goes into
# the image. Other lines are left out.
#
# Read as restore reads crypttab: whitespace-separated fields, '#'
# comments, the options split at each ',' that is not escaped ("\,"),
# systemd's last link-volume-key= winning, VALUE as written, escapes and
# all. A line whose options have an escape systemd does not read
# (anything but "\," and "\\") is left out, as stash uses none of its
# link-volume-key= either.
!/^[ \t]*#/ && NF >= 4 {
	o = $4; v = ""; f = ""; sub(/\r.*/, "", o)
	t = o; gsub(/\\[\\,]/, "", t); if (t ~ /\\/) next
	while (match(o, /^([^\\,]|\\.)*/)) {
		w = substr(o, 1, RLENGTH)
		if (w ~ /^link-volume-key=/)
			v = w
		else if (w ~ /^(discard|readonly|read-only|same-cpu-crypt|submit-from-crypt-cpus|no-read-workqueue|no-write-workqueue)$/)
			f = f w ","
		if (RLENGTH >= length(o))
			break
		o = substr(o, RLENGTH + 2)
	}
	# f ends in ','; v, a whole option, may end in an escaped one.
	if (v != "")
		f = f v
	else
		sub(/,$/, "", f)
	if (f != "")
		print $1, $2, "none", f
}
