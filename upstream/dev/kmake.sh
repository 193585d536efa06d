#!/bin/sh
# kmake.sh ARGS...: nice -n 19 make ARGS in the dev tree, in the trixie chroot
# with its own /proc (as tests/lib/debian.sh kh_chroot_run does).
C=/root/.cache/keyhandover/chroot-trixie
LC_ALL=C unshare --mount --propagation private sh -c '
	mount -t proc proc "$1/proc" || exit 125
	shift
	exec chroot "$0" sh -c "cd /usr/src/kh-upstream-dev && nice -n 19 make \"\$@\"" sh "$@"' "$C" "$C" "$@"
