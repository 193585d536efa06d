#!/bin/sh
# cp.sh: checkpatch --strict every commit after the base in the dev tree.
C=/root/.cache/keyhandover/chroot-trixie
T=$C/usr/src/kh-upstream-dev
rm -rf $C/tmp/khp && mkdir -p $C/tmp/khp
cd $T && git format-patch -q -o $C/tmp/khp c599a28fd..HEAD
chroot $C sh -c 'cd /usr/src/kh-upstream-dev && for p in /tmp/khp/*.patch; do echo "== $p"; perl scripts/checkpatch.pl --strict --no-tree -q "$p" | tail -n +1; done'
